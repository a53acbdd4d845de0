package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFeatureMessages: unknown names (all of them, with the closest
// valid name), exclusive groups and requirements, each naming the fix.
func TestFeatureMessages(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"every unknown feature", []string{"new", "x", "--yes", "--features", "ratelimt,nope,redsi"},
			`unknown features "ratelimt" (did you mean ratelimit?), "nope" and "redsi" (did you mean redis?) (valid: auth-builtin,`},
		{"unknown --without", []string{"new", "x", "--yes", "--without", "userz"}, `unknown feature "userz": did you mean users? (valid: `},
		{"unknown preset", []string{"new", "x", "--preset", "minmal"}, `unknown preset "minmal": did you mean minimal? (valid: minimal, api`},
		{"preset too far", []string{"new", "x", "--preset", "enterprise"}, `unknown preset "enterprise" (valid: minimal, api`},
		{"database value", []string{"new", "x", "--database", "postgress"}, `unknown --database value "postgress": did you mean postgres? (valid: postgres, sqlite)`},
		{"auth value", []string{"new", "x", "--auth", "supabse"}, `unknown --auth value "supabse": did you mean supabase? (valid: builtin, clerk, supabase, none)`},
		{"second auth provider on a preset", []string{"new", "x", "--preset", "api", "--features", "auth-clerk"},
			"--features auth-clerk: auth-builtin is already chosen and the auth group takes one of auth-builtin, auth-clerk, auth-supabase; pass --auth clerk instead"},
		{"two databases", []string{"new", "x", "--features", "postgres,sqlite"}, `alternatives in the exclusive group "database"`},
		{"group flag and --features disagree", []string{"new", "x", "--auth", "clerk", "--features", "auth-builtin"}, "--auth clerk and --features auth-builtin disagree"},
		{"without a requirement", []string{"new", "x", "--preset", "api", "--without", "users"},
			"--without users: feature auth-builtin requires it; drop both (--without auth-builtin,users) or keep users"},
		{"without a requirement of an added feature", []string{"new", "x", "--auth", "builtin", "--without", "users"}, "--without users: feature auth-builtin requires it"},
		{"added and dropped", []string{"new", "x", "--features", "redis", "--without", "redis"}, `"redis" is both added and dropped`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			r := run(t, nil, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q\nwant it to contain %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

// TestGroupFlagSwitches: a group flag replaces the preset's member.
func TestGroupFlagSwitches(t *testing.T) {
	for _, tt := range []struct{ flag, want string }{
		{"--auth=clerk", "Features: auth-clerk, ratelimit, sqlite, users\n"},
		{"--auth=none", "Features: ratelimit, sqlite, users\n"},
		{"--database=postgres", "Features: auth-builtin, postgres, ratelimit, users\n"},
	} {
		r := run(t, nil, "new", "x", "--preset", "api", tt.flag, "--dry-run", "-o", filepath.Join(t.TempDir(), "x"))
		if r.code != 0 || !strings.HasSuffix(r.stdout, tt.want) {
			t.Errorf("%s: exit %d, want %q at the end of\n%s%s", tt.flag, r.code, tt.want, r.stdout, r.stderr)
		}
	}
}

// TestAddExclusive: add replaces the database but refuses a second auth
// provider, saying what to run first.
func TestAddExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	if r := run(t, nil, "new", "svc", "--preset", "api", "-o", dir); r.code != 0 {
		t.Fatalf("new: %s", r.stderr)
	}
	r := run(t, nil, "add", "auth-clerk", "-C", dir)
	want := "cannot add auth-clerk: the project has auth-builtin, and the auth group takes one of auth-builtin, auth-clerk, auth-supabase; run omnistack remove auth-builtin first, then omnistack add auth-clerk"
	if r.code != exitUsage || !strings.Contains(r.stderr, want) {
		t.Errorf("add auth-clerk: exit %d %q", r.code, r.stderr)
	}
	r = run(t, nil, "add", "postgres", "sqlite", "-C", dir)
	if r.code != exitUsage || !strings.Contains(r.stderr, `sqlite and postgres are alternatives in the exclusive group "database": choose one of postgres, sqlite`) {
		t.Errorf("add postgres sqlite: exit %d %q", r.code, r.stderr)
	}
	r = run(t, nil, "add", "ratelimt", "usrs", "-C", dir)
	if r.code != exitUsage || !strings.Contains(r.stderr, `unknown features "ratelimt" (did you mean ratelimit?) and "usrs" (did you mean users?)`) {
		t.Errorf("add typos: exit %d %q", r.code, r.stderr)
	}
	r = run(t, nil, "remove", "ratelimt", "-C", dir)
	if r.code != exitUsage || !strings.Contains(r.stderr, `unknown feature "ratelimt": did you mean ratelimit?`) {
		t.Errorf("remove typo: exit %d %q", r.code, r.stderr)
	}
}
