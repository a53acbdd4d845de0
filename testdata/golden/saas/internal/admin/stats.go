// Package admin holds what only admins use: the dashboard's numbers and
// impersonation (an admin acting as a user, with a short-lived token).
// The audit log is its own package, internal/audit, since other features
// write to it.
package admin

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"example.com/myapp/internal/users"
)

// Stat is one entry of the dashboard: each feature contributes its own
// (its line in the admin.stats slot of internal/app/admin.go), so this
// package knows none of them but users.
type Stat struct {
	// Name is the entry's key in the dashboard, e.g. "users" or "jobs".
	Name string
	// Collect returns the entry's numbers, as a value that encodes to a JSON
	// object. It runs on every dashboard request: keep it to a few indexed
	// queries.
	Collect func(ctx context.Context, db *sql.DB) (any, error)
}

// Dashboard collects the stats of every feature.
type Dashboard struct {
	db    *sql.DB
	stats []Stat
}

// NewDashboard returns a dashboard over db with the given entries; two
// entries with one name are a wiring bug.
func NewDashboard(db *sql.DB, stats ...Stat) (*Dashboard, error) {
	seen := map[string]bool{}
	for _, s := range stats {
		if s.Name == "" || s.Collect == nil || seen[s.Name] {
			return nil, fmt.Errorf("admin: dashboard stat %q is empty or listed twice", s.Name)
		}
		seen[s.Name] = true
	}
	return &Dashboard{db: db, stats: stats}, nil
}

// Collect returns every entry by name. One failing entry fails the whole:
// a dashboard with a silently missing number misleads.
func (d *Dashboard) Collect(ctx context.Context) (map[string]any, error) {
	out := make(map[string]any, len(d.stats))
	for _, s := range d.stats {
		v, err := s.Collect(ctx, d.db)
		if err != nil {
			return nil, fmt.Errorf("dashboard stat %s: %w", s.Name, err)
		}
		out[s.Name] = v
	}
	return out, nil
}

// NewUserDays is how many days UserStats counts sign-ups for.
const NewUserDays = 30

// Users is the dashboard's "users" entry.
type Users struct {
	// Total counts the live (not deleted) users.
	Total int64 `json:"total"`
	// ByRole counts the live users of each role; every role is present.
	ByRole map[string]int64 `json:"by_role"`
	// NewPerDay counts the accounts created on each of the last 30 UTC days,
	// oldest first, today last (deleted ones included: it counts sign-ups).
	NewPerDay []DayCount `json:"new_per_day"`
}

// DayCount is a number for one UTC day.
type DayCount struct {
	Date  string `json:"date" example:"2026-11-30"` // YYYY-MM-DD
	Count int64  `json:"count"`
}

// UserStats collects the Users entry at the current time.
func UserStats(ctx context.Context, db *sql.DB) (any, error) {
	return userStats(ctx, db, time.Now())
}

func userStats(ctx context.Context, db *sql.DB, now time.Time) (Users, error) {
	u := Users{ByRole: map[string]int64{}}
	for _, r := range users.Roles {
		u.ByRole[string(r)] = 0
	}
	rows, err := db.QueryContext(ctx, `SELECT role, COUNT(*) FROM users WHERE deleted_at IS NULL GROUP BY role`)
	if err != nil {
		return Users{}, fmt.Errorf("count users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			role string
			n    int64
		)
		if err := rows.Scan(&role, &n); err != nil {
			return Users{}, fmt.Errorf("count users: %w", err)
		}
		u.ByRole[role] = n
		u.Total += n
	}
	if err := rows.Err(); err != nil {
		return Users{}, fmt.Errorf("count users: %w", err)
	}

	// Sign-ups per day: the creation times of the last 30 days, bucketed
	// here, which is portable between SQLite and PostgreSQL and reads only
	// the created_at index.
	today := now.UTC().Truncate(24 * time.Hour)
	first := today.AddDate(0, 0, -(NewUserDays - 1))
	u.NewPerDay = make([]DayCount, NewUserDays)
	for i := range u.NewPerDay {
		u.NewPerDay[i].Date = first.AddDate(0, 0, i).Format(time.DateOnly)
	}
	days, err := db.QueryContext(ctx, `SELECT created_at FROM users WHERE created_at >= $1`, first)
	if err != nil {
		return Users{}, fmt.Errorf("count new users: %w", err)
	}
	defer days.Close()
	for days.Next() {
		var at time.Time
		if err := days.Scan(&at); err != nil {
			return Users{}, fmt.Errorf("count new users: %w", err)
		}
		if i := int(at.UTC().Sub(first) / (24 * time.Hour)); i >= 0 && i < NewUserDays {
			u.NewPerDay[i].Count++
		}
	}
	if err := days.Err(); err != nil {
		return Users{}, fmt.Errorf("count new users: %w", err)
	}
	return u, nil
}
