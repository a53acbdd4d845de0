package ai

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// UsageRecord is one attempt at a provider: who, where, what it cost.
type UsageRecord struct {
	UserID   int64
	Provider string
	Model    string
	Usage    Usage
	CostUSD  float64 // estimated from the route prices
	Latency  time.Duration
	Status   string // ok, error or cancelled
	At       time.Time
}

// UsageRow is the usage of one user, day, provider and model.
type UsageRow struct {
	Day          string // YYYY-MM-DD, UTC
	UserID       int64
	Provider     string
	Model        string
	Calls        int64
	InputTokens  int64
	OutputTokens int64
	CostUSD      float64
}

// UsageStore keeps the usage records. Implementations are safe for
// concurrent use.
type UsageStore interface {
	// Record stores r.
	Record(ctx context.Context, r UsageRecord) error
	// TokensOn returns the input and output tokens user spent on day
	// (YYYY-MM-DD, UTC).
	TokensOn(ctx context.Context, user int64, day string) (int64, error)
	// Summary returns the usage since day (inclusive) of user, or of
	// everyone when user is 0, newest day first.
	Summary(ctx context.Context, user int64, since string) ([]UsageRow, error)
}

// SQLStore is the UsageStore over the ai_usage table, portable between
// SQLite and PostgreSQL. The UTC day is stored with each row, so budgets
// and summaries group by it without date functions of either dialect.
type SQLStore struct {
	db *sql.DB
	// InTx, when set, runs in the transaction that inserts each record, so
	// what it writes (e.g. a billing meter's usage) is kept exactly when
	// the record is; an error from it rolls the record back. Set it before
	// the gateway serves.
	InTx func(ctx context.Context, tx *sql.Tx, r UsageRecord) error
}

var _ UsageStore = (*SQLStore)(nil)

// NewSQLStore returns a store over db, whose schema the migrations create.
func NewSQLStore(db *sql.DB) *SQLStore { return &SQLStore{db: db} }

// Record implements UsageStore.
func (s *SQLStore) Record(ctx context.Context, r UsageRecord) error {
	if s.InTx == nil { // one statement: no transaction to open
		return insertUsage(ctx, s.db, r)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record ai usage: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := insertUsage(ctx, tx, r); err != nil {
		return err
	}
	if err := s.InTx(ctx, tx, r); err != nil {
		return fmt.Errorf("record ai usage: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record ai usage: %w", err)
	}
	return nil
}

// insertUsage writes r's row through db or a transaction.
func insertUsage(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, r UsageRecord) error {
	_, err := ex.ExecContext(ctx,
		`INSERT INTO ai_usage (user_id, provider, model, input_tokens, output_tokens, cost_usd, latency_ms, status, day, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.UserID, r.Provider, r.Model, r.Usage.InputTokens, r.Usage.OutputTokens, r.CostUSD,
		r.Latency.Milliseconds(), r.Status, Day(r.At), r.At.UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("record ai usage: %w", err)
	}
	return nil
}

// TokensOn implements UsageStore.
func (s *SQLStore) TokensOn(ctx context.Context, user int64, day string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx,
		`SELECT COALESCE(SUM(input_tokens + output_tokens), 0) FROM ai_usage WHERE user_id = $1 AND day = $2`,
		user, day).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("ai tokens of the day: %w", err)
	}
	return n, nil
}

// Summary implements UsageStore.
func (s *SQLStore) Summary(ctx context.Context, user int64, since string) ([]UsageRow, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT day, user_id, provider, model, COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cost_usd)
		   FROM ai_usage
		  WHERE day >= $1 AND ($2 = 0 OR user_id = $2)
		  GROUP BY day, user_id, provider, model
		  ORDER BY day DESC, user_id, provider, model
		  LIMIT 1000`,
		since, user)
	if err != nil {
		return nil, fmt.Errorf("ai usage summary: %w", err)
	}
	defer rows.Close()
	out := []UsageRow{}
	for rows.Next() {
		var r UsageRow
		if err := rows.Scan(&r.Day, &r.UserID, &r.Provider, &r.Model, &r.Calls, &r.InputTokens, &r.OutputTokens, &r.CostUSD); err != nil {
			return nil, fmt.Errorf("ai usage summary: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
