package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"example.com/myapp/internal/jobs"
)

// jobs_by_state counts the jobs of each state at scrape time, every state
// present; a count that fails is a scrape error, not a zero.
func TestMetricsCountJobsByState(t *testing.T) {
	sqlDB, url := testDB(t)
	svc := newService(t, sqlDB, url, testConfig(), func(context.Context, *river.Job[testArgs]) error { return nil })
	for i := range 3 {
		if _, err := svc.Insert(context.Background(), testArgs{N: i}, nil); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(jobs.NewMetrics(sqlDB, 2*time.Second))
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(fams) != 1 || fams[0].GetName() != "jobs_by_state" {
		t.Fatalf("families %v", fams)
	}
	got := map[string]float64{}
	for _, m := range fams[0].GetMetric() {
		got[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
	}
	if got["available"] != 3 || len(got) < len(jobs.States) {
		t.Errorf("jobs_by_state = %v, want available 3 and every state of %v", got, jobs.States)
	}
	for _, s := range jobs.States {
		if _, ok := got[s]; !ok {
			t.Errorf("jobs_by_state has no state %q", s)
		}
	}

	_ = sqlDB.Close()
	if _, err := reg.Gather(); err == nil {
		t.Error("Gather on a closed database: no error")
	}
}
