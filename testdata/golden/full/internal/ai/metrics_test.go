package ai_test

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/ai/aitest"
)

// series gathers m as "family{label=value,...}" -> value.
func series(t *testing.T, m *ai.Metrics) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, s := range f.GetMetric() {
			var ls []string
			for _, l := range s.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			out[f.GetName()+"{"+strings.Join(ls, ",")+"}"] = s.GetCounter().GetValue()
		}
	}
	return out
}

// Every record through the store is counted: calls by status, tokens by
// kind, cost; and it still reaches the store.
func TestMetricsCountUsage(t *testing.T) {
	m := ai.NewMetrics()
	mem := &aitest.MemoryUsage{}
	store := m.Store(mem)
	ctx := context.Background()
	for _, r := range []ai.UsageRecord{
		{UserID: 1, Provider: "openai", Model: "gpt-4o", Usage: ai.Usage{InputTokens: 100, OutputTokens: 50}, CostUSD: 0.75, Status: "ok"},
		{UserID: 2, Provider: "openai", Model: "gpt-4o", Usage: ai.Usage{InputTokens: 10, OutputTokens: 5}, CostUSD: 0.25, Status: "ok"},
		{UserID: 1, Provider: "openai", Model: "gpt-4o", Status: "error"},
		{UserID: 1, Provider: "anthropic", Model: "claude-sonnet-4-5", Usage: ai.Usage{InputTokens: 7, OutputTokens: 3}, Status: "cancelled"},
	} {
		if err := store.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if len(mem.Records) != 4 {
		t.Fatalf("the wrapped store has %d records, want 4", len(mem.Records))
	}
	got := series(t, m)
	for k, want := range map[string]float64{
		"ai_requests_total{model=gpt-4o,provider=openai,status=ok}":                      2,
		"ai_requests_total{model=gpt-4o,provider=openai,status=error}":                   1,
		"ai_requests_total{model=claude-sonnet-4-5,provider=anthropic,status=cancelled}": 1,
		"ai_tokens_total{kind=input,model=gpt-4o,provider=openai}":                       110,
		"ai_tokens_total{kind=output,model=gpt-4o,provider=openai}":                      55,
		"ai_tokens_total{kind=output,model=claude-sonnet-4-5,provider=anthropic}":        3,
		"ai_cost_usd_total{model=gpt-4o,provider=openai}":                                1,
	} {
		if math.Abs(got[k]-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
}

// Past MaxModelLabels distinct models, the rest share the label "other".
func TestMetricsBoundModels(t *testing.T) {
	m := ai.NewMetrics()
	store := m.Store(&aitest.MemoryUsage{})
	for i := range ai.MaxModelLabels + 100 {
		_ = store.Record(context.Background(), ai.UsageRecord{Provider: "openai", Model: "model-" + strconv.Itoa(i), Status: "ok"})
	}
	calls := 0
	other := 0.0
	for k, v := range series(t, m) {
		if strings.HasPrefix(k, "ai_requests_total{") {
			calls++
			if strings.Contains(k, "model=other") {
				other = v
			}
		}
	}
	if calls != ai.MaxModelLabels+1 || other != 100 {
		t.Errorf("%d ai_requests_total series, %v in model=other; want %d and 100", calls, other, ai.MaxModelLabels+1)
	}
}
