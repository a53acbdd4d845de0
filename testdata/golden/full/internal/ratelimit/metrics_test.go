package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/myapp/internal/ratelimit"
)

// failing is a store that always fails.
type failing struct{}

func (failing) Allow(context.Context, ratelimit.Key, ratelimit.Spec) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, context.DeadlineExceeded
}

// decisions gathers ratelimit_requests_total as "policy decision" -> value.
func decisions(t *testing.T, m *ratelimit.Metrics) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != "ratelimit_requests_total" {
			t.Errorf("unexpected family %s", f.GetName())
		}
		for _, s := range f.GetMetric() {
			var policy, decision string
			for _, l := range s.GetLabel() {
				switch l.GetName() {
				case "policy":
					policy = l.GetValue()
				case "decision":
					decision = l.GetValue()
				}
			}
			out[policy+" "+decision] = s.GetCounter().GetValue()
		}
	}
	return out
}

// Every decision is counted by policy (the route pattern of a per-route
// limit, not the path) and outcome; the store failing counts as failed.
func TestMetricsCountDecisions(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /items", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /items/{id}", func(http.ResponseWriter, *http.Request) {})
	m := ratelimit.NewMetrics()
	l, err := ratelimit.New(ratelimit.Config{
		Default: ratelimit.Spec{Limit: 2, Window: time.Minute},
		Routes:  ratelimit.Routes{{Pattern: "POST /items", Spec: ratelimit.Spec{Limit: 1, Window: time.Minute}}},
		Mux:     mux,
		Observe: m.Observe,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := l.Middleware(mux)
	for i := range 3 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/"+string(rune('a'+i)), nil))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/items", nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil)) // exempt: not counted

	broken, err := ratelimit.New(ratelimit.Config{Default: ratelimit.Spec{Limit: 1, Window: time.Minute}, Store: failing{}, Observe: m.Observe})
	if err != nil {
		t.Fatal(err)
	}
	broken.Middleware(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/x", nil))

	want := map[string]float64{
		"default allowed": 2, "default limited": 1, "default failed": 1,
		"POST /items allowed": 1, "POST /items limited": 2, "POST /items failed": 0,
	}
	got := decisions(t, m)
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("ratelimit_requests_total{%s} = %v, want %v", k, got[k], v)
		}
	}
}

// Counting a decision allocates nothing once the policy has been seen.
func TestMetricsObserveAllocatesNothing(t *testing.T) {
	m := ratelimit.NewMetrics()
	m.Observe("default", ratelimit.Allowed)
	if n := testing.AllocsPerRun(1000, func() { m.Observe("default", ratelimit.Limited) }); n != 0 {
		t.Errorf("Observe allocates %v times, want 0", n)
	}
}
