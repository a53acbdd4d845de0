package ai_test

import (
	"context"
	"testing"
	"time"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/db/dbtest"
)

func TestSQLStore(t *testing.T) {
	ctx := context.Background()
	s := ai.NewSQLStore(dbtest.Open(t))
	today := time.Date(2026, 3, 4, 23, 59, 0, 0, time.UTC)
	yesterday := today.AddDate(0, 0, -1)
	for _, r := range []ai.UsageRecord{
		{UserID: 1, Provider: "openai", Model: "gpt-4o", Usage: ai.Usage{InputTokens: 100, OutputTokens: 50}, CostUSD: 0.75, Status: "ok", At: today, Latency: 1500 * time.Millisecond},
		{UserID: 1, Provider: "openai", Model: "gpt-4o", Usage: ai.Usage{InputTokens: 10, OutputTokens: 5}, CostUSD: 0.25, Status: "ok", At: today},
		{UserID: 1, Provider: "openai", Model: "gpt-4o", Status: "error", At: today},
		{UserID: 1, Provider: "anthropic", Model: "claude-sonnet-4-5", Usage: ai.Usage{InputTokens: 7, OutputTokens: 3}, Status: "cancelled", At: yesterday},
		{UserID: 2, Provider: "gemini", Model: "gemini-2.5-flash", Usage: ai.Usage{InputTokens: 1, OutputTokens: 1}, Status: "ok", At: today},
	} {
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.TokensOn(ctx, 1, ai.Day(today)); err != nil || n != 165 {
		t.Fatalf("TokensOn(today) = %d, %v; want 165", n, err)
	}
	if n, err := s.TokensOn(ctx, 1, ai.Day(today.AddDate(0, 0, 1))); err != nil || n != 0 {
		t.Fatalf("TokensOn(tomorrow) = %d, %v", n, err)
	}
	rows, err := s.Summary(ctx, 1, ai.Day(yesterday))
	if err != nil || len(rows) != 2 {
		t.Fatalf("Summary = %+v, %v", rows, err)
	}
	if r := rows[0]; r.Day != "2026-03-04" || r.Model != "gpt-4o" || r.Calls != 3 || r.InputTokens != 110 || r.OutputTokens != 55 || r.CostUSD < 0.999 || r.CostUSD > 1.001 {
		t.Fatalf("today's row = %+v", r)
	}
	if r := rows[1]; r.Day != "2026-03-03" || r.Provider != "anthropic" || r.Calls != 1 {
		t.Fatalf("yesterday's row = %+v", r)
	}
	if rows, err := s.Summary(ctx, 0, ai.Day(today)); err != nil || len(rows) != 2 || rows[0].UserID != 1 || rows[1].UserID != 2 {
		t.Fatalf("everyone's Summary = %+v, %v", rows, err)
	}
}
