package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omnistack/omnistack/generator"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, sys *System, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	if sys == nil {
		sys = &System{}
	}
	if sys.In == nil {
		sys.In = strings.NewReader("")
	}
	sys.Out, sys.Err = &out, &errb
	if sys.Getenv == nil {
		sys.Getenv = func(string) string { return "" }
	}
	code := Execute(sys, args)
	return result{code, out.String(), errb.String()}
}

func TestNewYes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	r := run(t, nil, "new", "myapp", "--yes", "-o", dir, "--no-git")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"Created myapp", "Features: ", "cd " + dir + " && make run", "/docs"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	m, err := os.ReadFile(filepath.Join(dir, generator.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	man, err := generator.ParseManifest(m)
	if err != nil || man.Module != "example.com/myapp" {
		t.Fatalf("manifest = %+v, %v", man, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); !os.IsNotExist(err) {
		t.Errorf("--no-git created a repository")
	}
}

func TestNewUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no terminal, nothing given", []string{"new"}, "not a terminal, so no questions can be asked: pass a project name (omnistack new <name>) and --preset or --features, or --yes"},
		{"no terminal, name only", []string{"new", "myapp"}, "pass --preset or --features, or --yes"},
		{"yes without name", []string{"new", "--yes"}, "project name missing"},
		{"dot dot", []string{"new", "..", "--yes"}, `invalid project name ".."`},
		{"slash", []string{"new", "a/b", "--yes"}, `invalid project name "a/b"`},
		{"upper", []string{"new", "MyApp", "--yes"}, `invalid project name "MyApp"`},
		{"long", []string{"new", strings.Repeat("a", 200), "--yes"}, "invalid project name"},
		{"empty", []string{"new", "", "--yes"}, "project name missing"},
		{"module", []string{"new", "myapp", "--yes", "--module", "-x/y"}, `invalid module path "-x/y"`},
		{"preset", []string{"new", "myapp", "--preset", "nope"}, `unknown preset "nope" (valid: minimal`},
		{"feature", []string{"new", "myapp", "--features", "nope"}, `unknown feature "nope" (valid: `},
		{"without", []string{"new", "myapp", "--yes", "--without", "nope"}, `unknown feature "nope"`},
		{"flag", []string{"new", "myapp", "--bogus"}, "unknown flag: --bogus"},
		{"args", []string{"new", "a", "b"}, "new takes one project name, got 2: a b; e.g. omnistack new myapp (see omnistack new --help)"},
		{"command", []string{"nope"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			r := run(t, nil, tt.args...)
			if r.code != exitUsage {
				t.Errorf("exit = %d, want %d (stderr %q)", r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.want)
			}
			if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("error is not one line: %q", r.stderr)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 0 {
				t.Errorf("files written on a usage error: %v", entries)
			}
		})
	}
}

func TestNewRefusesNonEmptyTarget(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "new", "myapp", "--yes", "-o", dir)
	if r.code != exitUsage || !strings.Contains(r.stderr, "is not empty") || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "README.md")); string(got) != "mine\n" {
		t.Errorf("README.md clobbered: %q", got)
	}
}

func TestNewDryRunWritesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "myapp")
	r := run(t, nil, "new", "myapp", "--yes", "--dry-run", "-o", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "Would write") || !strings.Contains(r.stdout, "go.mod") {
		t.Errorf("dry run output:\n%s", r.stdout)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("dry run created %s", dir)
	}
}

func TestNewGit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "myapp")
	r := run(t, nil, "new", "myapp", "--yes", "-o", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	pristine, err := generator.ReadPristine(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pristine.Paths() {
		got, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil || !bytes.Equal(got, pristine[p]) {
			t.Errorf("%s: working tree differs from pristine tree", p)
		}
	}
	if dirty, err := generator.Dirty(dir); err != nil || len(dirty) > 0 {
		t.Errorf("new repository is dirty: %v %v", dirty, err)
	}
}

func TestFeaturesAndPresetsJSON(t *testing.T) {
	r := run(t, nil, "features", "--json")
	var feats []generator.Feature
	if err := json.Unmarshal([]byte(r.stdout), &feats); err != nil || len(feats) == 0 {
		t.Fatalf("features --json: %v\n%s", err, r.stdout)
	}
	r = run(t, nil, "features")
	if !strings.HasPrefix(r.stdout, "NAME") || !strings.Contains(r.stdout, "sqlite") {
		t.Errorf("features table:\n%s", r.stdout)
	}
	r = run(t, nil, "presets", "--json")
	var presets []generator.Preset
	if err := json.Unmarshal([]byte(r.stdout), &presets); err != nil || len(presets) == 0 || presets[0].Name != "minimal" {
		t.Fatalf("presets --json: %v\n%s", err, r.stdout)
	}
}

func TestVersionAndCompletion(t *testing.T) {
	if r := run(t, nil, "version"); r.stdout != "omnistack "+generator.Version+"\n" {
		t.Errorf("version = %q", r.stdout)
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		r := run(t, nil, "completion", sh)
		if r.code != 0 || !strings.Contains(r.stdout, "omnistack") {
			t.Errorf("completion %s: exit %d, %d bytes", sh, r.code, len(r.stdout))
		}
	}
	if r := run(t, nil, "completion", "tcsh"); r.code != exitUsage {
		t.Errorf("completion tcsh: exit %d", r.code)
	}
	// Dynamic completion of feature names.
	r := run(t, nil, "__complete", "new", "x", "--features", "sq")
	if !strings.Contains(r.stdout, "sqlite") {
		t.Errorf("feature completion:\n%s", r.stdout)
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, cmd := range [][]string{{}, {"new"}, {"add"}, {"remove"}, {"status"}, {"upgrade"}, {"features"}, {"presets"}, {"version"}, {"completion"}} {
		r := run(t, nil, append(cmd, "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("%v --help has no examples:\n%s", cmd, r.stdout)
		}
	}
}

// TestFormAccessible drives the real huh form in accessible mode through
// injected input, as a screen reader user would answer it.
func TestFormAccessible(t *testing.T) {
	reg, err := generator.LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	// Name, module (empty = default), preset (enter = minimal), then every
	// feature section: enter keeps the preset's choice, 0 ends a
	// multi-select; enter accepts the summary.
	var in strings.Builder
	in.WriteString("formapp\n\n\n")
	in.WriteString(keepScreens(reg))
	in.WriteString("\n")
	dir := filepath.Join(t.TempDir(), "formapp")
	sys := &System{In: strings.NewReader(in.String()), Terminal: true}
	r := run(t, sys, "new", "--accessible", "--no-git", "-o", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	for _, want := range []string{"Project name", "Go module path", "Preset", "Database"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("form did not ask %q:\n%s", want, r.stdout)
		}
	}
	wantCmd := fmt.Sprintf("omnistack new formapp --preset minimal --output %s --no-git --yes", dir)
	if !strings.Contains(r.stdout, wantCmd) {
		t.Errorf("equivalent command missing; want %q in:\n%s", wantCmd, r.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "omnistack.yaml")); err != nil {
		t.Errorf("project not written: %v", err)
	}
}

// keepScreens answers every feature screen of the accessible form with
// its default: enter for a select, 0 for a multi-select.
func keepScreens(reg *generator.Registry) string {
	var b strings.Builder
	for _, s := range formScreens(reg) {
		if s.multi {
			b.WriteString("0\n")
		} else {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func TestFormRejectsBadNameThenAccepts(t *testing.T) {
	reg, err := generator.LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	input := "Bad Name\nokname\n\n\n" + keepScreens(reg) + "\n"
	dir := filepath.Join(t.TempDir(), "okname")
	sys := &System{In: strings.NewReader(input), Terminal: true, Getenv: func(k string) string {
		if k == "ACCESSIBLE" {
			return "1"
		}
		return ""
	}}
	r := run(t, sys, "new", "--no-git", "-o", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, `invalid project name "Bad Name"`) {
		t.Errorf("form did not explain the bad name:\n%s", r.stdout)
	}
}

func TestGroupFlags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "g")
	r := run(t, nil, "new", "g", "--database", "postgres", "--dry-run", "-o", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Features: postgres") {
		t.Fatalf("--database postgres: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "new", "g", "--database", "mysql", "-o", dir)
	if r.code != exitUsage || !strings.Contains(r.stderr, `unknown --database value "mysql" (valid: postgres, sqlite)`) {
		t.Fatalf("--database mysql: exit %d %q", r.code, r.stderr)
	}
	reg, _ := generator.LoadRegistry()
	if _, ok := reg.Features["auth-builtin"]; ok {
		r = run(t, nil, "new", "g", "--auth", "builtin", "--dry-run", "-o", dir)
		if r.code != 0 || !strings.Contains(r.stdout, "auth-builtin") || !strings.Contains(r.stdout, "users (required by auth-builtin)") {
			t.Fatalf("--auth builtin: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
}

// TestAddStatusRemoveUpgrade drives the update commands as a user would.
func TestAddStatusRemoveUpgrade(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	if r := run(t, nil, "new", "svc", "--yes", "-o", dir); r.code != 0 {
		t.Fatalf("new: %s", r.stderr)
	}
	// Not in a project.
	if r := run(t, nil, "status", "-C", t.TempDir()); r.code != exitUsage || !strings.Contains(r.stderr, "no omnistack.yaml") {
		t.Errorf("status outside a project: exit %d %q", r.code, r.stderr)
	}
	readme := filepath.Join(dir, "README.md")
	appendLine(t, readme, "Owner's line.\n")
	r := run(t, nil, "status", "-C", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "modified  README.md") || !strings.Contains(r.stdout, "features: sqlite") {
		t.Errorf("status:\n%s%s", r.stdout, r.stderr)
	}
	// A dirty tree is refused, and nothing is written.
	r = run(t, nil, "add", "ratelimit", "-C", dir)
	if r.code != exitUsage || !strings.Contains(r.stderr, "uncommitted changes (README.md)") {
		t.Errorf("dirty add: exit %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "internal/ratelimit")); !os.IsNotExist(err) {
		t.Errorf("refused add wrote files")
	}
	// Unknown and conflicting features name the choices.
	if r := run(t, nil, "add", "nope", "-C", dir, "--force"); r.code != exitUsage || !strings.Contains(r.stderr, "valid:") {
		t.Errorf("add nope: exit %d %q", r.code, r.stderr)
	}
	// Dry run writes nothing and shows a diff.
	r = run(t, nil, "add", "ratelimit", "-C", dir, "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "new          internal/ratelimit/") || !strings.Contains(r.stdout, "+++ b/") {
		t.Errorf("dry run:\n%s%s", r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "internal/ratelimit")); !os.IsNotExist(err) {
		t.Errorf("dry run wrote files")
	}
	r = run(t, nil, "add", "ratelimit", "-C", dir, "--force")
	if r.code != 0 || !strings.Contains(r.stdout, "merged       README.md") {
		t.Fatalf("add:\n%s%s", r.stdout, r.stderr)
	}
	if data, _ := os.ReadFile(readme); !strings.Contains(string(data), "Owner's line.") || !strings.Contains(string(data), "RATE_LIMIT_DEFAULT") {
		t.Errorf("README after add lost a side")
	}
	// add twice: nothing to do.
	if r := run(t, nil, "add", "ratelimit", "-C", dir, "--force"); !strings.Contains(r.stdout, "Nothing to do") {
		t.Errorf("second add:\n%s", r.stdout)
	}
	// upgrade with the same omnistack: nothing to do.
	if r := run(t, nil, "upgrade", "-C", dir, "--force"); r.code != 0 || !strings.Contains(r.stdout, "Nothing to do") {
		t.Errorf("upgrade:\n%s%s", r.stdout, r.stderr)
	}
	// remove: the feature's files go, the owner's line stays.
	r = run(t, nil, "remove", "ratelimit", "-C", dir, "--force")
	if r.code != 0 {
		t.Fatalf("remove:\n%s%s", r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "internal/ratelimit")); !os.IsNotExist(err) {
		t.Errorf("remove left the feature's files")
	}
	if data, _ := os.ReadFile(readme); !strings.Contains(string(data), "Owner's line.") || strings.Contains(string(data), "RATE_LIMIT_DEFAULT") {
		t.Errorf("README after remove:\n%s", data)
	}
	if r := run(t, nil, "remove", "sqlite", "-C", dir, "--force"); r.code != exitUsage || !strings.Contains(r.stderr, "cannot remove sqlite: the database group needs one feature; run omnistack add postgres instead") {
		t.Errorf("remove sqlite: exit %d %q", r.code, r.stderr)
	}
}

// TestAddConflictExitsOne: a conflict is written with markers, listed on
// stderr, and the exit code is 1.
func TestAddConflictExitsOne(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	if r := run(t, nil, "new", "svc", "--yes", "-o", dir); r.code != 0 {
		t.Fatalf("new: %s", r.stderr)
	}
	cfg := filepath.Join(dir, "internal/config/config.go")
	data, _ := os.ReadFile(cfg)
	edited := strings.Replace(string(data), `envDefault:"file:data/app.db"`, `envDefault:"file:data/owner.db"`, 1)
	if edited == string(data) {
		t.Fatal("config.go has no DATABASE_URL default to edit")
	}
	os.WriteFile(cfg, []byte(edited), 0o644)
	r := run(t, nil, "add", "postgres", "-C", dir, "--force")
	if r.code != exitFailure || !strings.Contains(r.stderr, "internal/config/config.go") || !strings.Contains(r.stderr, "conflicts") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, _ := os.ReadFile(cfg); !strings.Contains(string(got), "<<<<<<< yours") {
		t.Errorf("no markers in config.go")
	}
}

func appendLine(t *testing.T, path, line string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(line)
}

func TestRemoveTellsAboutRequirements(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	if r := run(t, nil, "new", "svc", "--yes", "--auth", "builtin", "-o", dir); r.code != 0 {
		t.Fatalf("new: %s", r.stderr)
	}
	r := run(t, nil, "remove", "auth-builtin", "-C", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "note: users stays (it was required by auth-builtin); run omnistack remove users") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestNoColor(t *testing.T) {
	for _, noColor := range []string{"", "1"} {
		dir := filepath.Join(t.TempDir(), "svc")
		sys := &System{Terminal: true, Getenv: func(k string) string {
			if k == "NO_COLOR" {
				return noColor
			}
			return ""
		}}
		r := run(t, sys, "new", "svc", "--yes", "--no-git", "-o", dir)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if has := strings.Contains(r.stdout, "\x1b["); has != (noColor == "") {
			t.Errorf("NO_COLOR=%q: escape codes in output = %v", noColor, has)
		}
	}
}

// TestAddDirtyTreeAdvice: add on a tree dirty only from untracked files
// suggests git stash -u (a plain stash leaves them); tracked changes
// suggest git commit or git stash.
func TestAddDirtyTreeAdvice(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	if r := run(t, nil, "new", "svc", "--yes", "-o", dir); r.code != 0 {
		t.Fatalf("new: %s", r.stderr)
	}
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "add", "ratelimit", "-C", dir)
	if r.code != exitUsage || !strings.Contains(r.stderr, "untracked files (notes.txt)") || !strings.Contains(r.stderr, "git stash -u") {
		t.Errorf("untracked only: exit %d %q", r.code, r.stderr)
	}
	appendLine(t, filepath.Join(dir, "README.md"), "Owner's line.\n")
	r = run(t, nil, "add", "ratelimit", "-C", dir)
	if r.code != exitUsage || !strings.Contains(r.stderr, "uncommitted changes and untracked files") || !strings.Contains(r.stderr, "git stash -u") {
		t.Errorf("tracked and untracked: exit %d %q", r.code, r.stderr)
	}
	if err := os.Remove(notes); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "add", "ratelimit", "-C", dir)
	if r.code != exitUsage || !strings.Contains(r.stderr, "uncommitted changes (README.md): git commit or git stash them") || strings.Contains(r.stderr, "stash -u") {
		t.Errorf("tracked only: exit %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "internal/ratelimit")); !os.IsNotExist(err) {
		t.Errorf("refused add wrote files")
	}
}
