package billing

import (
	"context"
	"database/sql"
	"fmt"
)

// Stats are billing's numbers on the admin dashboard.
type Stats struct {
	ActiveSubscriptions int64            `json:"active_subscriptions"`
	ByPlan              map[string]int64 `json:"by_plan"`
	PastDue             int64            `json:"past_due"`
	UnreportedUsage     int64            `json:"unreported_usage" doc:"Usage events not yet accepted by Stripe"`
}

// DashboardStats collects Stats: a few indexed counts, no Stripe call.
func DashboardStats(ctx context.Context, db *sql.DB) (any, error) {
	st := Stats{ByPlan: map[string]int64{}}
	rows, err := db.QueryContext(ctx, `SELECT plan, COUNT(*) FROM billing_subscriptions WHERE `+live+` GROUP BY plan`)
	if err != nil {
		return nil, fmt.Errorf("billing stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var plan string
		var n int64
		if err := rows.Scan(&plan, &n); err != nil {
			return nil, err
		}
		st.ByPlan[plan] = n
		st.ActiveSubscriptions += n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM billing_subscriptions WHERE status = 'past_due'`).Scan(&st.PastDue); err != nil {
		return nil, fmt.Errorf("billing stats: %w", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM billing_usage_events WHERE reported_at IS NULL AND error = ''`).Scan(&st.UnreportedUsage); err != nil {
		return nil, fmt.Errorf("billing stats: %w", err)
	}
	return st, nil
}
