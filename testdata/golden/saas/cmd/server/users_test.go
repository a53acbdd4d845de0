package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"example.com/myapp/internal/db"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/users"
)

// TestUsersPromote gives an existing user each role in turn, by email and
// by id, and refuses what it cannot do.
func TestUsersPromote(t *testing.T) {
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
	store := users.NewSQLStore(sqlDB)
	u, err := store.Create(ctx, users.New{Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"DATABASE_URL": url})
	promote := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(ctx, append([]string{"users", "promote"}, args...), env, nil, &stdout, &stderr)
		return stdout.String(), err
	}

	if out, err := promote("--email", "ADA@example.com", "--role", "superadmin"); err != nil || !strings.Contains(out, "role user -> superadmin") {
		t.Fatalf("promote by email: %q, %v", out, err)
	}
	if got, _ := store.Get(ctx, u.ID); got.Role != users.RoleSuperadmin {
		t.Fatalf("stored role %q, want superadmin", got.Role)
	}
	if out, err := promote("--id", "1", "--role", "superadmin"); err != nil || !strings.Contains(out, "already has role superadmin") {
		t.Fatalf("same role again: %q, %v", out, err)
	}
	if out, err := promote("--id", "1", "--role", "admin"); err != nil || !strings.Contains(out, "superadmin -> admin") {
		t.Fatalf("demote by id: %q, %v", out, err)
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"bad role", []string{"--email", "ada@example.com", "--role", "root"}, `--role "root": must be one of user, admin, superadmin`},
		{"no role", []string{"--email", "ada@example.com"}, `--role "": must be one of`},
		{"unknown email", []string{"--email", "nobody@example.com", "--role", "admin"}, `no user with email "nobody@example.com"`},
		{"unknown id", []string{"--id", "99", "--role", "admin"}, "no user with id 99"},
		{"neither email nor id", []string{"--role", "admin"}, "give --email or --id"},
		{"both email and id", []string{"--email", "ada@example.com", "--id", "1", "--role", "admin"}, "give --email or --id"},
		{"stray argument", []string{"--role", "admin", "ada@example.com"}, `unexpected argument "ada@example.com"`},
		{"password flag", []string{"--email", "ada@example.com", "--role", "admin", "--password", "secret"}, "a password is never a flag"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := promote(tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("promote %q = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
	if got, _ := store.Get(ctx, u.ID); got.Role != users.RoleAdmin {
		t.Fatalf("refused commands changed the role to %q", got.Role)
	}
}

// The users commands are listed by help; "users" alone names its verbs.
func TestUsersHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"help"}, envOf(nil), nil, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if h := stdout.String(); !strings.Contains(h, "users promote --email E | --id N --role R ") || !strings.Contains(h, "set a user's role") {
		t.Errorf("help does not list users promote:\n%s", &stdout)
	}
	env := envOf(map[string]string{"DATABASE_URL": dbtest.UnusedURL(t)})
	for args, want := range map[string]string{
		"users":          "users needs one of: ",
		"users frobnify": `unknown users command "frobnify" (want `,
	} {
		err := run(context.Background(), strings.Fields(args), env, nil, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("run(%q) = %v, want an error containing %q", args, err, want)
		}
	}
}
