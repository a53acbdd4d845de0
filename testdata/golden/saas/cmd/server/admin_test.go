package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"example.com/myapp/internal/audit"
	"example.com/myapp/internal/db"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/users"
)

// A role given on the command line is audited too: authz_change with no
// actor and the system method.
func TestUsersPromoteIsAudited(t *testing.T) {
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
	if _, err := users.NewSQLStore(sqlDB).Create(ctx, users.New{Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"users", "promote", "--email", "ada@example.com", "--role", "admin"}
	if err := run(ctx, args, envOf(map[string]string{"DATABASE_URL": url}), nil, &stdout, &stderr); err != nil {
		t.Fatalf("promote: %v\n%s", err, stderr.String())
	}
	page, err := audit.New(sqlDB).List(ctx, audit.Query{Limit: 10})
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("rows %+v, %v; want one", page.Rows, err)
	}
	r := page.Rows[0]
	if r.Action != audit.ActionAuthzChange || r.ActorID != nil || r.AuthMethod != audit.MethodSystem || string(r.After) != `{"role":"admin"}` {
		t.Errorf("row %+v (after %s); want authz_change by the system to admin", r, r.After)
	}
}
