package admin

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/users"
)

// UserStats counts live users by role and sign-ups per UTC day over the
// last 30 days, today last.
func TestUserStats(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)
	create := func(email string, role users.Role, at time.Time) {
		t.Helper()
		_, err := db.ExecContext(ctx,
			`INSERT INTO users (email, name, role, version, created_at, updated_at) VALUES ($1, '', $2, 1, $3, $3)`,
			email, string(role), at.UTC())
		if err != nil {
			t.Fatal(err)
		}
	}
	create("a@example.com", users.RoleUser, now)                          // today
	create("b@example.com", users.RoleUser, now.Add(-15*time.Hour))       // today, 00:00 UTC
	create("c@example.com", users.RoleAdmin, now.Add(-16*time.Hour))      // yesterday, 23:00
	create("d@example.com", users.RoleUser, now.AddDate(0, 0, -29))       // the first day counted; deleted below
	create("e@example.com", users.RoleSuperadmin, now.AddDate(0, 0, -30)) // too old to count
	if _, err := db.ExecContext(ctx, `UPDATE users SET deleted_at = $1 WHERE email = 'd@example.com'`, now); err != nil {
		t.Fatal(err)
	}

	got, err := userStats(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != 4 {
		t.Errorf("total %d; want 4 live users", got.Total)
	}
	if want := map[string]int64{"user": 2, "admin": 1, "superadmin": 1}; len(got.ByRole) != 3 ||
		got.ByRole["user"] != want["user"] || got.ByRole["admin"] != want["admin"] || got.ByRole["superadmin"] != want["superadmin"] {
		t.Errorf("by role %v; want %v", got.ByRole, want)
	}
	if len(got.NewPerDay) != NewUserDays {
		t.Fatalf("%d days; want %d", len(got.NewPerDay), NewUserDays)
	}
	first, last := got.NewPerDay[0], got.NewPerDay[NewUserDays-1]
	if first.Date != "2026-11-01" || first.Count != 1 {
		t.Errorf("first day %+v; want 2026-11-01 with the deleted sign-up", first)
	}
	if last.Date != "2026-11-30" || last.Count != 2 || got.NewPerDay[NewUserDays-2].Count != 1 {
		t.Errorf("last days %+v, %+v; want 1 yesterday and 2 today", got.NewPerDay[NewUserDays-2], last)
	}
	var sum int64
	for _, d := range got.NewPerDay {
		sum += d.Count
	}
	if sum != 4 {
		t.Errorf("%d sign-ups in 30 days; want 4", sum)
	}
}

func TestDashboard(t *testing.T) {
	db := dbtest.Open(t)
	one := func(context.Context, *sql.DB) (any, error) { return 1, nil }
	if _, err := NewDashboard(db, Stat{Name: "x", Collect: one}, Stat{Name: "x", Collect: one}); err == nil {
		t.Error("two stats named x accepted")
	}
	d, err := NewDashboard(db, Stat{Name: "users", Collect: UserStats}, Stat{Name: "x", Collect: one})
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Collect(context.Background())
	if err != nil || len(got) != 2 || got["x"] != 1 {
		t.Fatalf("Collect = %v, %v", got, err)
	}
	broken, _ := NewDashboard(db, Stat{Name: "x", Collect: func(context.Context, *sql.DB) (any, error) { return nil, errors.New("boom") }})
	if _, err := broken.Collect(context.Background()); err == nil {
		t.Error("a failing stat was left out silently")
	}
}
