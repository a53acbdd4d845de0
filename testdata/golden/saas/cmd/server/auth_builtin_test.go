package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/auth"
	"example.com/myapp/internal/db"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/users"
)

// TestUsersCreate makes the first admin with the password on stdin, then
// signs in with it as the service does; the refusals change nothing.
func TestUsersCreate(t *testing.T) {
	ctx := context.Background()
	url := dbtest.URL(t)
	env := envOf(map[string]string{"DATABASE_URL": url})
	const password = "correct horse battery staple"
	// create returns stdout and stderr together.
	create := func(stdin string, args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(ctx, append([]string{"users", "create"}, args...), env, strings.NewReader(stdin), &stdout, &stderr)
		return stdout.String() + stderr.String(), err
	}

	out, err := create(password+"\n", "--email", "Root@Example.com", "--role", "superadmin", "--name", "Root")
	if err != nil || !strings.Contains(out, "created user 1 (root@example.com) with role superadmin") {
		t.Fatalf("create: %q, %v", out, err)
	}

	sqlDB, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	store := users.NewSQLStore(sqlDB)
	u, err := store.GetByEmail(ctx, "root@example.com")
	if err != nil || u.Role != users.RoleSuperadmin || u.EmailVerifiedAt == nil || u.Name != "Root" {
		t.Fatalf("stored user %+v, %v; want a verified superadmin named Root", u, err)
	}
	var hash string
	if err := sqlDB.QueryRowContext(ctx, `SELECT hash FROM auth_passwords WHERE user_id = $1`, u.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("stored hash %q is not the service's argon2id", hash)
	}
	svc, err := auth.New(sqlDB, store, auth.Config{Issuer: "test", Audience: "test-api", AccessTTL: 15 * time.Minute, RefreshTTL: time.Hour, SessionMaxAge: 24 * time.Hour}, auth.LogNotifier{Log: slog.New(slog.DiscardHandler)}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Login(ctx, "root@example.com", password, "127.0.0.1"); err != nil {
		t.Fatalf("login with the created password: %v", err)
	}

	for _, tt := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"bad role", password, []string{"--email", "a@example.com", "--role", "root"}, `--role "root": must be one of user, admin, superadmin`},
		{"bad email", password, []string{"--email", "not-an-email"}, `--email "not-an-email": must be an email address`},
		{"empty password", "", []string{"--email", "a@example.com"}, "empty password"},
		{"blank line", "\n", []string{"--email", "a@example.com"}, "empty password"},
		{"short password", "short\n", []string{"--email", "a@example.com"}, "the password must be at least 8 characters"},
		{"common password", "password123\n", []string{"--email", "a@example.com"}, "most common passwords"},
		{"password flag", "", []string{"--email", "a@example.com", "--password", password}, "a password is never a flag"},
		{"password flag with =", "", []string{"--email", "a@example.com", "--password=" + password}, "a password is never a flag"},
		{"taken email", password, []string{"--email", "root@example.com"}, "exists already; to change its role: server users promote --email root@example.com"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := create(tt.stdin, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("create %q = %q, %v; want an error containing %q", tt.args, out, err, tt.want)
			}
			if strings.Contains(out+err.Error(), password) {
				t.Errorf("the password appears in the output: %q, %v", out, err)
			}
		})
	}
	if page, err := store.List(ctx, users.Query{Limit: 10, Total: true}); err != nil || page.Total != 1 {
		t.Fatalf("refused commands created users: total %d, %v", page.Total, err)
	}
}
