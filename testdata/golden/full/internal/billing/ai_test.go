package billing_test

import (
	"context"
	"testing"
	"time"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/billing/billingtest"
)

// The AI gateway's usage store with MeterAI: tokens of every attempt and
// successful calls become meter usage, reported to Stripe exactly.
func TestMeterAI(t *testing.T) {
	fake := billingtest.NewFake(t)
	e := newEnv(t, billing.Config{SecretKey: "sk_test_fake", APIBase: fake.URL})
	u, customer := e.user("ada@example.com")
	store := ai.NewSQLStore(e.db)
	store.InTx = billing.MeterAI
	ctx := context.Background()
	now := time.Now()
	for _, r := range []ai.UsageRecord{
		{UserID: u.ID, Provider: "openai", Model: "gpt-4o", Usage: ai.Usage{InputTokens: 100, OutputTokens: 20}, Status: "ok", At: now},
		{UserID: u.ID, Provider: "openai", Model: "gpt-4o", Usage: ai.Usage{InputTokens: 5}, Status: "error", At: now},
		{UserID: u.ID, Provider: "anthropic", Model: "claude-sonnet-4-5", Status: "cancelled", At: now},
		{UserID: 0, Provider: "openai", Model: "gpt-4o", Usage: ai.Usage{InputTokens: 1000}, Status: "ok", At: now},
	} {
		if err := store.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	_, usage, err := e.svc.Usage(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, m := range usage {
		got[m.Meter] = m.Quantity
	}
	if len(got) != 2 || got[billing.MeterAITokens] != 125 || got[billing.MeterAPICalls] != 1 {
		t.Fatalf("usage %+v; want 125 ai_tokens (every attempt's tokens) and 1 api_calls (the one that succeeded)", usage)
	}
	if n, err := e.svc.ReportUsage(ctx); err != nil || n != 3 {
		t.Fatalf("reported %d, %v; want 3 events", n, err)
	}
	if fake.Total(customer, billing.MeterAITokens) != 125 || fake.Total(customer, billing.MeterAPICalls) != 1 {
		t.Fatalf("Stripe totals wrong: %s", fake)
	}
}
