package main

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"example.com/myapp/internal/db"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/flags"
	"example.com/myapp/internal/users"
)

// TestFlagsPlan sets and clears a user's plan, and refuses an unknown
// user, a malformed plan and a missing --id, naming the problem.
func TestFlagsPlan(t *testing.T) {
	ctx := context.Background()
	url := dbtest.URL(t)
	sqlDB, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if err := db.Migrate(ctx, sqlDB, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	u, err := users.NewSQLStore(sqlDB).Create(ctx, users.New{Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"DATABASE_URL": url})
	plan := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(ctx, append([]string{"flags", "plan"}, args...), env, nil, &stdout, &stderr)
		return stdout.String(), err
	}
	id := strconv.FormatInt(u.ID, 10)
	if out, err := plan("--id", id, "--plan", "pro"); err != nil || !strings.Contains(out, `plan "pro"`) {
		t.Fatalf("set: %q, %v", out, err)
	}
	if got, _ := flags.NewSQLPlans(sqlDB).PlanOf(ctx, u.ID); got != "pro" {
		t.Errorf("plan after set = %q", got)
	}
	if _, err := plan("--id", id, "--plan", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := flags.NewSQLPlans(sqlDB).PlanOf(ctx, u.ID); got != "" {
		t.Errorf("plan after clearing = %q", got)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--id", "999", "--plan", "pro"}, "no user with id 999"},
		{[]string{"--id", id, "--plan", "Pro Plan"}, "plan: must be"},
		{[]string{"--plan", "pro"}, "give --id"},
	} {
		if _, err := plan(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("flags plan %v: %v, want an error naming %q", c.args, err, c.want)
		}
	}
}
