package ai

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxModelLabels bounds the model label of the AI metrics: the first models
// seen are labelled by name, later ones "other". Vendors answer with dated
// model names, and a proxy could answer with anything.
const MaxModelLabels = 50

// Metrics counts the gateway's calls for Prometheus from its usage
// records: ai_requests_total{provider,model,status},
// ai_tokens_total{provider,model,kind} (kind input or output) and
// ai_cost_usd_total{provider,model}, estimated from the route prices.
// Wrap the gateway's store with Store and register Metrics.
type Metrics struct {
	calls, tokens, cost *prometheus.CounterVec

	mu     sync.Mutex
	models map[string]bool
}

var _ prometheus.Collector = (*Metrics)(nil)

// NewMetrics returns the counters.
func NewMetrics() *Metrics {
	return &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ai_requests_total",
			Help: "Attempts at an AI provider, by provider, model and status (ok, error, cancelled).",
		}, []string{"provider", "model", "status"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ai_tokens_total",
			Help: "Tokens the AI providers counted, by provider, model and kind (input, output).",
		}, []string{"provider", "model", "kind"}),
		cost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ai_cost_usd_total",
			Help: "Estimated cost of the AI calls in US dollars, from the route prices, by provider and model.",
		}, []string{"provider", "model"}),
		models: map[string]bool{},
	}
}

// Store returns s, counting every record it is given.
func (m *Metrics) Store(s UsageStore) UsageStore { return meteredStore{UsageStore: s, m: m} }

type meteredStore struct {
	UsageStore
	m *Metrics
}

func (s meteredStore) Record(ctx context.Context, r UsageRecord) error {
	s.m.observe(r)
	return s.UsageStore.Record(ctx, r)
}

func (m *Metrics) observe(r UsageRecord) {
	model := m.model(r.Model)
	status := r.Status
	if status != "ok" && status != "cancelled" {
		status = "error"
	}
	m.calls.WithLabelValues(r.Provider, model, status).Inc()
	m.tokens.WithLabelValues(r.Provider, model, "input").Add(float64(max(r.Usage.InputTokens, 0)))
	m.tokens.WithLabelValues(r.Provider, model, "output").Add(float64(max(r.Usage.OutputTokens, 0)))
	m.cost.WithLabelValues(r.Provider, model).Add(max(r.CostUSD, 0))
}

// model is the label of name: itself while fewer than MaxModelLabels
// names have been seen, "other" after.
func (m *Metrics) model(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.models[name] {
		return name
	}
	if len(m.models) >= MaxModelLabels {
		return "other"
	}
	m.models[name] = true
	return name
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.calls.Describe(ch)
	m.tokens.Describe(ch)
	m.cost.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.calls.Collect(ch)
	m.tokens.Collect(ch)
	m.cost.Collect(ch)
}
