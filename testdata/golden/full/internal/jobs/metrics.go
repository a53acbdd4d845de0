package jobs

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics exports the number of jobs in each state as jobs_by_state{state}
// (every river state, 0 included), counted when Prometheus scrapes with
// the grouped query /health/ready and the admin dashboard use, bounded by
// a timeout. A count that fails leaves the family out of that scrape (the
// metrics handler logs why) and the rest of the scrape is served.
type Metrics struct {
	db      *sql.DB
	timeout time.Duration
	desc    *prometheus.Desc
}

var _ prometheus.Collector = (*Metrics)(nil)

// NewMetrics returns the collector over the river_job table in db.
func NewMetrics(db *sql.DB, timeout time.Duration) *Metrics {
	return &Metrics{db: db, timeout: timeout, desc: prometheus.NewDesc(
		"jobs_by_state", "Background jobs in each state (river), counted at scrape time.", []string{"state"}, nil)}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.desc }

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), m.timeout)
	defer cancel()
	n, err := counts(ctx, m.db)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(m.desc, err)
		return
	}
	states := make([]string, 0, len(n))
	for s := range n {
		states = append(states, s)
	}
	slices.Sort(states)
	for _, s := range states {
		ch <- prometheus.MustNewConstMetric(m.desc, prometheus.GaugeValue, float64(n[s]), s)
	}
}
