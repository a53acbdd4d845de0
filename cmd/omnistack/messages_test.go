package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omnistack/omnistack/generator"
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
			`unknown features "ratelimt" (did you mean ratelimit?), "nope" and "redsi" (did you mean redis?) (valid: admin, ai, ai-anthropic, ai-gemini, ai-openai, auth-builtin,`},
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
		{"without the auth feature a preset's feature needs", []string{"new", "x", "--preset", "ai", "--without", "auth-builtin"},
			"--without auth-builtin: feature ai needs one auth feature; choose another (--auth clerk or --auth supabase), drop both (--without ai,auth-builtin) or keep auth-builtin"},
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
		{"--auth=clerk", "Features: auth-clerk, idp (required by auth-clerk), ratelimit, sqlite, users\n"},
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

// TestArityMessages: a wrong number of arguments says what to pass.
func TestArityMessages(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"new", "a", "b"}, "new takes one project name, got 2: a b; e.g. omnistack new myapp (see omnistack new --help)"},
		{[]string{"add"}, "add needs at least one feature; e.g. omnistack add ratelimit; omnistack features lists them (see omnistack add --help)"},
		{[]string{"remove"}, "remove needs at least one feature; e.g. omnistack remove ratelimit"},
		{[]string{"status", "x"}, "status takes no arguments, got 1: x (see omnistack status --help)"},
		{[]string{"upgrade", "ratelimit"}, "upgrade takes no arguments, got 1: ratelimit"},
		{[]string{"features", "x"}, "features takes no arguments"},
		{[]string{"presets", "x"}, "presets takes no arguments"},
		{[]string{"version", "x"}, "version takes no arguments"},
		{[]string{"completion"}, "completion takes one of bash, zsh or fish (see omnistack completion --help)"},
		{[]string{"completion", "tcsh"}, "completion takes one of bash, zsh or fish, got 1: tcsh"},
	}
	for _, tt := range tests {
		r := run(t, nil, tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "arg(s)") {
			t.Errorf("%v: exit %d %q, want %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// TestUpdateMessages covers the messages of add, remove, status and
// upgrade on a real project.
func TestUpdateMessages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	if r := run(t, nil, "new", "svc", "--preset", "api", "-o", dir); r.code != 0 {
		t.Fatalf("new: %s", r.stderr)
	}
	tests := []struct {
		name    string
		args    []string
		code    int
		want    string // in stdout or stderr
		wantNot string
	}{
		{name: "comma list", args: []string{"add", "ratelimit,redis"}, code: exitUsage,
			want: "add takes features as separate arguments, not a comma list: omnistack add ratelimit redis"},
		{name: "comma list remove", args: []string{"remove", "users,ratelimit"}, code: exitUsage, want: "omnistack remove users ratelimit"},
		{name: "remove a requirement", args: []string{"remove", "users"}, code: exitUsage,
			want: "cannot remove users: auth-builtin requires it; run omnistack remove auth-builtin users to remove both", wantNot: "--without"},
		{name: "remove the database", args: []string{"remove", "sqlite"}, code: exitUsage,
			want: "cannot remove sqlite: the database group needs one feature; run omnistack add postgres instead (it replaces sqlite)", wantNot: "add sqlite"},
		{name: "replaces", args: []string{"add", "postgres", "--dry-run"}, want: "replacing sqlite with postgres (the database group takes one)"},
		{name: "written and deleted", args: []string{"remove", "ratelimit", "--dry-run"}, want: " written, "},
		{name: "deleted counted", args: []string{"remove", "ratelimit", "--dry-run"}, want: " deleted)"},
		{name: "upgrade names the versions", args: []string{"upgrade", "--dry-run"}, want: "omnistack.yaml says omnistack " + generator.Version + " generated the project, the version running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, append(tt.args, "-C", dir)...)
			out := r.stdout + r.stderr
			if r.code != tt.code || !strings.Contains(out, tt.want) || (tt.wantNot != "" && strings.Contains(out, tt.wantNot)) {
				t.Errorf("exit %d, want %d; want %q (not %q) in:\n%s", r.code, tt.code, tt.want, tt.wantNot, out)
			}
		})
	}
	// Plurals: one changed file.
	appendLine(t, filepath.Join(dir, "README.md"), "mine\n")
	if r := run(t, nil, "status", "-C", dir); !strings.Contains(r.stdout, "1 generated file changed") {
		t.Errorf("status with one change:\n%s", r.stdout)
	}
}

// TestUpgradeVersionsAndDryRunConflict: upgrade says from which version to
// which, and a dry run that would conflict exits 1 listing the files.
func TestUpgradeVersionsAndDryRunConflict(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	if r := run(t, nil, "new", "svc", "--yes", "-o", dir); r.code != 0 {
		t.Fatalf("new: %s", r.stderr)
	}
	// Pretend an older omnistack generated the project, with another
	// default in config.go; the owner changed that same line.
	pristine, err := generator.ReadPristine(dir)
	if err != nil {
		t.Fatal(err)
	}
	const cfg = "internal/config/config.go"
	line := `envDefault:"file:data/app.db"`
	if !strings.Contains(string(pristine[cfg]), line) {
		t.Fatalf("%s has no %s", cfg, line)
	}
	pristine[cfg] = []byte(strings.Replace(string(pristine[cfg]), line, `envDefault:"file:data/old.db"`, 1))
	pristine[generator.ManifestName] = []byte(strings.Replace(string(pristine[generator.ManifestName]), "generator: "+generator.Version, "generator: v0.0.1", 1))
	stamped, err := generator.CommitPristine(dir, pristine, "older omnistack")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{cfg, generator.ManifestName} {
		data, _ := os.ReadFile(filepath.Join(dir, p))
		if p == generator.ManifestName {
			data = stamped[p] // the working manifest names the older base
		}
		edited := strings.Replace(string(data), line, `envDefault:"file:data/owner.db"`, 1)
		edited = strings.Replace(edited, "generator: "+generator.Version, "generator: v0.0.1", 1)
		if err := os.WriteFile(filepath.Join(dir, p), []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, nil, "upgrade", "--dry-run", "-C", dir)
	if r.code != exitFailure || !strings.Contains(r.stdout, "upgrading from omnistack v0.0.1 (omnistack.yaml) to "+generator.Version) ||
		!strings.Contains(r.stderr, "1 file would have conflicts:\n  "+cfg) {
		t.Errorf("upgrade --dry-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, cfg)); strings.Contains(string(data), "<<<<<<<") {
		t.Errorf("dry run wrote conflict markers")
	}
	r = run(t, nil, "upgrade", "--force", "-C", dir)
	if r.code != exitFailure || !strings.Contains(r.stderr, "1 file has conflicts") {
		t.Errorf("upgrade: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestNewWithoutRequiredGroupWarns: dropping the database's default keeps
// it and says so.
func TestNewWithoutRequiredGroupWarns(t *testing.T) {
	r := run(t, nil, "new", "x", "--without", "sqlite", "--dry-run", "-o", filepath.Join(t.TempDir(), "x"))
	want := "warning: --without sqlite: the database group needs one feature, so sqlite (its default) was kept; choose another with --database postgres\n"
	if r.code != 0 || r.stderr != want {
		t.Errorf("exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}
	// A switch through the group flag does not warn.
	r = run(t, nil, "new", "x", "--database", "postgres", "--dry-run", "-o", filepath.Join(t.TempDir(), "x"))
	if r.code != 0 || r.stderr != "" {
		t.Errorf("--database postgres: exit %d, stderr %q", r.code, r.stderr)
	}
}
