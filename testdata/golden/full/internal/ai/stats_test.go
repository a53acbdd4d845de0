package ai

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"example.com/myapp/internal/db/dbtest"
)

func TestDashboardStats(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	s := NewSQLStore(db)
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	for _, r := range []UsageRecord{
		{UserID: 1, Provider: "openai", Model: "gpt-4o", Usage: Usage{InputTokens: 100, OutputTokens: 50}, CostUSD: 0.5, Status: "ok", At: now},
		{UserID: 2, Provider: "openai", Model: "gpt-4o-mini", Usage: Usage{InputTokens: 10, OutputTokens: 5}, CostUSD: 0.25, Status: "error", At: now.AddDate(0, 0, -3)},
		{UserID: 1, Provider: "anthropic", Model: "claude-sonnet-4-5", Usage: Usage{InputTokens: 7, OutputTokens: 3}, CostUSD: 1, Status: "ok", At: now.AddDate(0, 0, -29)},
		{UserID: 1, Provider: "gemini", Model: "gemini-2.5-flash", Usage: Usage{InputTokens: 1000}, CostUSD: 9, Status: "ok", At: now.AddDate(0, 0, -30)}, // outside
		{UserID: 1, Provider: "openai", Model: "gpt-4o", Usage: Usage{InputTokens: 1000}, CostUSD: 9, Status: "ok", At: now.AddDate(0, 0, 1)},             // tomorrow
	} {
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := statsAt(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Today.Calls != 1 || got.Today.InputTokens != 100 || got.Today.OutputTokens != 50 || math.Abs(got.Today.CostUSD-0.5) > 1e-9 {
		t.Errorf("today = %+v", got.Today)
	}
	if got.Last30Days.Calls != 3 || got.Last30Days.InputTokens != 117 || math.Abs(got.Last30Days.CostUSD-1.75) > 1e-9 {
		t.Errorf("last 30 days = %+v", got.Last30Days)
	}
	if len(got.ByProvider30) != 2 || got.ByProvider30[0].Provider != "anthropic" || got.ByProvider30[1].Provider != "openai" || got.ByProvider30[1].Calls != 2 {
		t.Errorf("by provider = %+v", got.ByProvider30)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil || obj["today"] == nil || obj["last_30_days"] == nil || obj["by_provider_30_days"] == nil {
		t.Errorf("JSON = %s (%v)", b, err)
	}
	empty, err := statsAt(ctx, dbtest.Open(t), now)
	if err != nil || empty.Today.Calls != 0 || empty.ByProvider30 == nil {
		t.Errorf("empty = %+v, %v (want zero totals and an empty list)", empty, err)
	}
}
