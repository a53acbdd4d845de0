package ai

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Totals are calls, tokens and estimated cost over a span of days.
type Totals struct {
	Calls        int64   `json:"calls"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd"`
}

// ProviderTotals are the Totals of one provider.
type ProviderTotals struct {
	Provider string `json:"provider"`
	Totals
}

// Stats is the AI entry of the admin dashboard.
type Stats struct {
	Today        Totals           `json:"today"`
	Last30Days   Totals           `json:"last_30_days"`
	ByProvider30 []ProviderTotals `json:"by_provider_30_days"`
}

// DashboardStats collects Stats from the usage table: every attempt
// counts as a call, failed ones included (they are what a vendor may
// bill), for the current UTC day and the 30 days ending with it.
func DashboardStats(ctx context.Context, db *sql.DB) (any, error) {
	return statsAt(ctx, db, time.Now())
}

func statsAt(ctx context.Context, db *sql.DB, now time.Time) (Stats, error) {
	today := Day(now)
	since := Day(now.UTC().AddDate(0, 0, -29))
	s := Stats{ByProvider30: []ProviderTotals{}}
	rows, err := db.QueryContext(ctx,
		`SELECT provider, day = $2, COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), COALESCE(SUM(cost_usd), 0)
		   FROM ai_usage WHERE day >= $1 AND day <= $2
		  GROUP BY provider, day = $2 ORDER BY provider`, since, today)
	if err != nil {
		return Stats{}, fmt.Errorf("ai stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p ProviderTotals
		var isToday bool
		if err := rows.Scan(&p.Provider, &isToday, &p.Calls, &p.InputTokens, &p.OutputTokens, &p.CostUSD); err != nil {
			return Stats{}, fmt.Errorf("ai stats: %w", err)
		}
		if isToday {
			s.Today.add(p.Totals)
		}
		s.Last30Days.add(p.Totals)
		if n := len(s.ByProvider30); n > 0 && s.ByProvider30[n-1].Provider == p.Provider {
			s.ByProvider30[n-1].add(p.Totals)
		} else {
			s.ByProvider30 = append(s.ByProvider30, p)
		}
	}
	return s, rows.Err()
}

func (t *Totals) add(o Totals) {
	t.Calls += o.Calls
	t.InputTokens += o.InputTokens
	t.OutputTokens += o.OutputTokens
	t.CostUSD += o.CostUSD
}
