package ratelimit

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts the limiter's decisions for Prometheus, as
// ratelimit_requests_total{policy,decision}: policy "default" or a
// RATE_LIMIT_ROUTES pattern (bounded by the configuration), decision
// allowed, limited or failed. Pass its Observe as Config.Observe and
// register it (it is a prometheus.Collector).
type Metrics struct {
	vec *prometheus.CounterVec
	// The counters of each policy, made on its first decision; the map
	// is replaced, never changed, so Observe reads it without a lock and
	// allocates nothing.
	byPolicy atomic.Pointer[map[string]*[3]prometheus.Counter]
	mu       sync.Mutex
}

var _ prometheus.Collector = (*Metrics)(nil)

// NewMetrics returns the decision counters.
func NewMetrics() *Metrics {
	m := &Metrics{vec: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ratelimit_requests_total",
		Help: "Rate-limit decisions, by policy (default or a RATE_LIMIT_ROUTES pattern) and decision (allowed, limited, failed).",
	}, []string{"policy", "decision"})}
	m.byPolicy.Store(&map[string]*[3]prometheus.Counter{})
	return m
}

// Observe counts one decision.
func (m *Metrics) Observe(policy string, o Outcome) {
	c, ok := (*m.byPolicy.Load())[policy]
	if !ok {
		c = m.policy(policy)
	}
	c[o].Inc()
}

func (m *Metrics) policy(name string) *[3]prometheus.Counter {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.byPolicy.Load()
	if c, ok := old[name]; ok {
		return c
	}
	c := &[3]prometheus.Counter{}
	for _, o := range []Outcome{Allowed, Limited, Failed} {
		c[o] = m.vec.WithLabelValues(name, o.String())
	}
	next := make(map[string]*[3]prometheus.Counter, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[name] = c
	m.byPolicy.Store(&next)
	return c
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { m.vec.Describe(ch) }

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) { m.vec.Collect(ch) }
