package ai_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
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

// TestSQLStoreInTx checks the hook runs in the record's transaction: what
// it writes is kept with the record, and its error rolls the record back.
func TestSQLStoreInTx(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	s := ai.NewSQLStore(db)
	at := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	var seen []ai.UsageRecord
	s.InTx = func(ctx context.Context, tx *sql.Tx, r ai.UsageRecord) error {
		var n int64
		// The record is visible inside the transaction, not yet outside.
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ai_usage WHERE user_id = $1`, r.UserID).Scan(&n); err != nil {
			return err
		}
		if n != int64(len(seen))+1 {
			t.Errorf("inside the transaction: %d rows, want %d", n, len(seen)+1)
		}
		seen = append(seen, r)
		if r.Model == "refused" {
			return errors.New("meter down")
		}
		return nil
	}
	ok := ai.UsageRecord{UserID: 7, Provider: "openai", Model: "gpt-4o", Usage: ai.Usage{InputTokens: 3, OutputTokens: 4}, Status: "ok", At: at}
	if err := s.Record(ctx, ok); err != nil {
		t.Fatal(err)
	}
	bad := ok
	bad.Model = "refused"
	if err := s.Record(ctx, bad); err == nil || !strings.Contains(err.Error(), "meter down") {
		t.Fatalf("Record with a failing hook = %v, want its error", err)
	}
	if len(seen) != 2 || seen[0].Usage.InputTokens != 3 {
		t.Fatalf("hook saw %+v", seen)
	}
	if n, err := s.TokensOn(ctx, 7, ai.Day(at)); err != nil || n != 7 {
		t.Fatalf("TokensOn = %d, %v; want 7 (the refused record rolled back)", n, err)
	}
}
