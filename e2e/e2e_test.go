//go:build e2e

// Package e2e generates real projects with the omnistack binary and proves
// they work: every preset, its PostgreSQL variant, and a pairwise cover of
// the features. Each project must be tidy as generated (go mod tidy -diff
// is empty), build with -mod=readonly and without the network, and pass go
// vet and its own tests. With DATABASE_URL and REDIS_URL set, the projects'
// tests run against those servers. Run with `make e2e`.
package e2e

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/omnistack/omnistack/generator"
)

type project struct {
	name     string
	preset   string
	features []string // resolved feature set
	serve    bool     // also start the server and probe it
	// race runs the project's tests under the race detector: the presets'
	// SQLite variants. The PostgreSQL variants and the cover, which test
	// the other dialect and the combinations, reuse the plain build of go
	// build and go vet instead of compiling everything a second time for
	// -race...
	race bool
	// ...except racePkgs: in a cover set holding features no project
	// before it ran under -race, the packages of those features' own tests
	// (their internal/<pkg> folders; not internal/app, cmd/server or
	// internal/api/v1, whose test binaries link every SDK of the set) run
	// again under -race. So every feature's own package is raced once
	// without race-compiling the 20-feature sets whole, which took
	// 1,700-1,800 s each.
	racePkgs []string
}

// featureTestDirs returns the output folders of a feature's test files
// (templates/features/<name>/files/.../*_test.go.tmpl), as ./path
// patterns, except the folders every feature shares: internal/app,
// cmd/server and the API versions (internal/api/v1, ...), whose test
// binaries import every feature of the set, so that racing them races the
// whole set (the presets race them).
func featureTestDirs(t *testing.T, name string) []string {
	root := filepath.Join("..", "templates", "features", name, "files")
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go.tmpl") {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != "internal/app" && rel != "cmd/server" && !strings.HasPrefix(rel, "internal/api/") {
			seen["./"+rel] = true
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(seen))
}

func projects(t *testing.T, reg *generator.Registry) []project {
	var out []project
	seen := map[string]bool{}
	add := func(p project) {
		key := strings.Join(p.features, ",")
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, p)
	}
	for _, name := range reg.PresetNames() {
		feats, _, err := reg.ResolveFeatures(reg.Presets[name].Features)
		if err != nil {
			t.Fatalf("preset %s: %v", name, err)
		}
		add(project{name: "p-" + name, preset: name, features: feats, serve: name == "minimal", race: true})
		// The PostgreSQL variant.
		if slices.Contains(feats, "sqlite") {
			pg := slices.DeleteFunc(slices.Clone(feats), func(f string) bool { return f == "sqlite" })
			pg, _, err = reg.ResolveFeatures(append(pg, "postgres"))
			if err != nil {
				t.Fatalf("preset %s with postgres: %v", name, err)
			}
			add(project{name: "p-" + name + "-pg", preset: name, features: pg})
		}
	}
	// The cover only adds what the presets and their variants miss: the
	// pairs they hold are tested already.
	given := make([][]string, 0, len(out))
	for _, p := range out {
		given = append(given, p.features)
	}
	raced := map[string]bool{}
	for _, p := range out {
		for _, f := range p.features {
			raced[f] = raced[f] || p.race
		}
	}
	cover := reg.PairwiseCoverAfter(given)
	t.Logf("pairwise cover beyond the presets: %d sets", len(cover))
	for i, set := range cover {
		var pkgs []string
		for _, f := range set {
			if !raced[f] {
				raced[f] = true
				pkgs = append(pkgs, featureTestDirs(t, f)...)
			}
		}
		slices.Sort(pkgs)
		pkgs = slices.Compact(pkgs)
		raceNote := "none"
		if len(pkgs) > 0 {
			raceNote = strings.Join(pkgs, " ")
		}
		t.Logf("  cover-%d: %s (race: %s)", i+1, strings.Join(set, ","), raceNote)
		add(project{name: fmt.Sprintf("cover-%d", i+1), features: set, racePkgs: pkgs})
	}
	// Largest first, so that small projects fill the end of the run rather
	// than one large one running alone (a race build costs about twice a
	// plain one); ties keep the order above.
	slices.SortStableFunc(out, func(a, b project) int { return cmp.Compare(b.weight(), a.weight()) })
	return out
}

// weight is a rough cost of checking p: its features, twice over when its
// tests run under the race detector.
func (p project) weight() int {
	if p.race {
		return 2 * len(p.features)
	}
	return len(p.features)
}

func TestGeneratedProjects(t *testing.T) {
	reg, err := generator.LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	bin := filepath.Join(root, "omnistack")
	mustRun(t, "", nil, "go", "build", "-o", bin, "../cmd/omnistack")

	list := projects(t, reg)
	names := make([]string, len(list))
	for i, p := range list {
		names[i] = p.name
	}
	t.Logf("order: %s", strings.Join(names, " "))
	parallel := 2
	if s := os.Getenv("E2E_PARALLEL"); s != "" {
		fmt.Sscan(s, &parallel)
	}
	parallel = max(parallel, 1)
	// parallel workers take the projects in list order, except that the
	// first (the largest) builds and vets alone: with a cold build cache,
	// two projects started together would compile the same heavy SDKs
	// twice at once, each on half the cores. After it, the others find them
	// compiled, and its race build compiles their race variants once.
	// Subtests run from the workers rather than by t.Parallel, whose start
	// order is random.
	var mu sync.Mutex
	var timings []string
	t.Run("projects", func(t *testing.T) {
		jobs := make(chan int)
		warm := make(chan struct{})
		warmed := sync.OnceFunc(func() { close(warm) })
		go func() {
			defer close(jobs)
			for i := range list {
				jobs <- i
				if i == 0 {
					<-warm
				}
			}
		}()
		var wg sync.WaitGroup
		for range parallel {
			wg.Go(func() {
				for i := range jobs {
					p := list[i]
					built := func() {}
					if i == 0 {
						built = warmed
					}
					t.Run(p.name, func(t *testing.T) {
						start := time.Now()
						checkProject(t, bin, root, p, built)
						mu.Lock()
						timings = append(timings, fmt.Sprintf("%-12s %6.1fs  %s", p.name, time.Since(start).Seconds(), strings.Join(p.features, ",")))
						mu.Unlock()
					})
					if i == 0 {
						warmed() // it failed before building, or -run left it out
					}
				}
			})
		}
		wg.Wait()
	})
	t.Logf("time per project:\n  %s", strings.Join(timings, "\n  "))
}

// TestAddToEditedProject generates the minimal preset, edits it as a user
// would (a new function in a generated file, a line in the README, a file
// of their own), commits, runs `omnistack add` for a few features, and
// proves the merged project keeps every edit, builds and passes its tests.
func TestAddToEditedProject(t *testing.T) {
	reg, err := generator.LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	adds := []string{"ratelimit", "auth-builtin"}
	for _, x := range adds {
		if _, ok := reg.Features[x]; !ok {
			t.Fatalf("feature %s does not exist (renamed?): update this test", x)
		}
	}
	root := t.TempDir()
	bin := filepath.Join(root, "omnistack")
	mustRun(t, "", nil, "go", "build", "-o", bin, "../cmd/omnistack")
	for _, x := range adds {
		t.Run(x, func(t *testing.T) {
			dir := filepath.Join(root, "edited-"+x)
			mustRun(t, "", nil, bin, "new", "edited", "--yes", "-o", dir)
			items := filepath.Join(dir, "internal/items/items.go")
			appendFile(t, items, "\n// UserHelper was written by the project's owner.\nfunc UserHelper() string { return \"mine\" }\n")
			appendFile(t, filepath.Join(dir, "README.md"), "\nOwner's note: keep this line.\n")
			if err := os.WriteFile(filepath.Join(dir, "internal/items/mine_test.go"), []byte("package items\n\nimport \"testing\"\n\nfunc TestUserHelper(t *testing.T) {\n\tif UserHelper() != \"mine\" {\n\t\tt.Fatal(\"lost\")\n\t}\n}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			git := []string{"GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@localhost", "GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@localhost"}
			mustRun(t, dir, git, "git", "add", "-A")
			mustRun(t, dir, git, "git", "commit", "-qm", "owner edits")
			statusBefore := mustRun(t, dir, nil, bin, "status")
			out := mustRun(t, dir, nil, bin, "add", x)
			t.Logf("omnistack add %s:\n%s", x, out)
			for path, want := range map[string]string{"internal/items/items.go": "func UserHelper()", "README.md": "Owner's note: keep this line.", "internal/items/mine_test.go": "TestUserHelper"} {
				data, err := os.ReadFile(filepath.Join(dir, path))
				if err != nil || !strings.Contains(string(data), want) {
					t.Errorf("%s lost the owner's edit %q", path, want)
				}
			}
			verifyMerged(t, dir)
			offline := []string{"GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local"}
			// A second add is a no-op.
			mustRun(t, dir, git, "git", "add", "-A")
			mustRun(t, dir, git, "git", "commit", "-qm", "add "+x)
			if out := mustRun(t, dir, nil, bin, "add", x); !strings.Contains(out, "Nothing to do") {
				t.Errorf("second add is not a no-op:\n%s", out)
			}
			// Undone with git revert, the project builds as before, status
			// is what it was before the add (the owner's edits), and the
			// same add gives the committed add's tree.
			mustRun(t, dir, git, "git", "revert", "--no-edit", "HEAD")
			mustRun(t, dir, offline, "go", "build", "./...")
			if out := mustRun(t, dir, nil, bin, "status"); out != statusBefore {
				t.Errorf("status after git revert:\n%s\nwant, as before the add:\n%s", out, statusBefore)
			}
			mustRun(t, dir, nil, bin, "add", x)
			mustRun(t, dir, git, "git", "add", "-A")
			if out := mustRun(t, dir, git, "git", "diff", "--cached", "--stat", "HEAD~1"); out != "" {
				t.Errorf("add after git revert differs from the first add:\n%s", out)
			}
		})
	}
}

// TestAddFeatureFlagsToLivedInProject generates the api preset, makes the
// edits a team makes over weeks (a route and its handler in
// internal/api/v1, a changed line in internal/app, a configuration
// variable, a migration, a renamed test), commits, and runs `omnistack add
// feature-flags` (with admin, when the registry has it). The add must merge
// without a conflict, keep every edit, build, pass go vet and the tests,
// leave go.mod tidy, and `omnistack status` must list exactly the owner's
// edits before and after. The conflict case puts the owner's route where
// the feature adds its routes: the add exits 1, marks and lists that file,
// and every other file comes out as in the clean case.
func TestAddFeatureFlagsToLivedInProject(t *testing.T) {
	reg, err := registry()
	if err != nil {
		t.Fatal(err)
	}
	adds := []string{"feature-flags", "admin"} // the command of the issue: omnistack add feature-flags admin
	for _, f := range adds {
		if _, ok := reg.Features[f]; !ok {
			t.Fatalf("feature %s does not exist (renamed?): update this test", f)
		}
	}
	root := t.TempDir()
	bin := filepath.Join(root, "omnistack")
	mustRun(t, "", nil, "go", "build", "-o", bin, "../cmd/omnistack")
	git := []string{"GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@localhost", "GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@localhost"}
	// The generated files the owner edits (status lists them as modified)
	// or renames away (deleted).
	ownerEdits := []string{
		"deleted internal/items/sql_test.go",
		"modified .env.example",
		"modified internal/api/v1/routes.go",
		"modified internal/app/app.go",
		"modified internal/config/config.go",
		"modified internal/config/config_test.go",
	} // sorted, as statusLines returns them

	clean := filepath.Join(root, "clean")
	keep := livedIn(t, bin, clean, git, false)
	if got := statusLines(t, bin, clean); !slices.Equal(got, ownerEdits) {
		t.Fatalf("status before the add lists\n  %s\nwant the owner's edits\n  %s", strings.Join(got, "\n  "), strings.Join(ownerEdits, "\n  "))
	}
	out := mustRun(t, clean, nil, bin, append([]string{"add"}, adds...)...)
	t.Logf("omnistack add %s:\n%s", strings.Join(adds, " "), out)
	if strings.Contains(out, "conflict") {
		t.Errorf("add reports conflicts on edits in other lines:\n%s", out)
	}
	checkKept(t, clean, keep)
	if _, err := os.Stat(filepath.Join(clean, "internal/items/sql_test.go")); err == nil {
		t.Error("add brought back internal/items/sql_test.go, which the owner renamed")
	}
	if got := statusLines(t, bin, clean); !slices.Equal(got, ownerEdits) {
		t.Errorf("status after the add lists\n  %s\nwant exactly the owner's edits\n  %s", strings.Join(got, "\n  "), strings.Join(ownerEdits, "\n  "))
	}
	verifyMerged(t, clean)

	// The conflict: the owner's route goes at the end of Register, where
	// the feature adds its block.
	conflict := filepath.Join(root, "conflict")
	keep = livedIn(t, bin, conflict, git, true)
	cmd := exec.Command(bin, append([]string{"add"}, adds...)...)
	cmd.Dir = conflict
	var cout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &cout, &cout
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("add with a conflicting edit: %v, want exit 1\n%s", err, cout.String())
	}
	t.Logf("omnistack add %s, with the conflicting edit:\n%s", strings.Join(adds, " "), cout.String())
	routes := "internal/api/v1/routes.go"
	if !strings.Contains(cout.String(), "conflicts; resolve") || !strings.Contains(cout.String(), "  "+routes) {
		t.Errorf("add does not list %s as conflicted:\n%s", routes, cout.String())
	}
	data, _ := os.ReadFile(filepath.Join(conflict, routes))
	for _, marker := range []string{"<<<<<<< yours", "=======", ">>>>>>> omnistack", "/ping", "/admin/flags"} {
		if !strings.Contains(string(data), marker) {
			t.Errorf("%s lacks %q:\n%s", routes, marker, data)
		}
	}
	checkKept(t, conflict, keep)
	// Nothing else touched: every other file is byte for byte what the
	// clean add wrote.
	for _, p := range trackedAndNew(t, clean) {
		if p == routes || p == "omnistack.yaml" {
			continue
		}
		a, errA := os.ReadFile(filepath.Join(clean, p))
		b, errB := os.ReadFile(filepath.Join(conflict, p))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from the clean add's (%v, %v)", p, errA, errB)
		}
	}
	if extra := slices.DeleteFunc(trackedAndNew(t, conflict), func(p string) bool { return slices.Contains(trackedAndNew(t, clean), p) }); len(extra) > 0 {
		t.Errorf("the conflicted add wrote files the clean one did not: %v", extra)
	}
}

// livedIn generates the api preset into dir and makes the owner's edits;
// conflicting puts the owner's route where the feature's routes go. It
// commits and returns, per file, a text each edit left there.
func livedIn(t *testing.T, bin, dir string, git []string, conflicting bool) map[string]string {
	t.Helper()
	mustRun(t, "", nil, bin, "new", "lived", "--preset", "api", "--yes", "-o", dir)
	write := func(path, text string) {
		t.Helper()
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	replace := func(path, old, new string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil || !strings.Contains(string(data), old) {
			t.Fatalf("%s has no %q to edit (the template changed? update this test): %v", path, old, err)
		}
		write(path, strings.Replace(string(data), old, new, 1))
	}
	// A route and its handler in internal/api/v1.
	write("internal/api/v1/ping.go", `package v1

import "context"

type pingOutput struct {
	Body struct {
		Pong string `+"`json:\"pong\"`"+`
	}
}

// ping is the owner's own operation.
func ping(context.Context, *struct{}) (*pingOutput, error) {
	out := &pingOutput{}
	out.Body.Pong = "pong"
	return out, nil
}
`)
	write("internal/api/v1/ping_test.go", `package v1

import (
	"context"
	"testing"
)

func TestPing(t *testing.T) {
	out, err := ping(context.Background(), nil)
	if err != nil || out.Body.Pong != "pong" {
		t.Fatalf("ping = %+v, %v", out, err)
	}
}
`)
	route := "\thuma.Register(g, op(http.MethodGet, \"/ping\", \"ping\", \"Answer pong\", \"owner\"), ping)\n"
	if conflicting {
		replace("internal/api/v1/routes.go", "ah.oauthCallback)\n", "ah.oauthCallback)\n"+route)
	} else {
		replace("internal/api/v1/routes.go", "ih.delete)\n", "ih.delete)\n"+route)
	}
	// A changed line in internal/app.
	replace("internal/app/app.go", `const Version = "1.0.0"`, `const Version = "1.4.2" // the owner's release`)
	// A configuration variable: the field, .env.example and the defaults
	// test, among the base's variables (the end of the base section is
	// where the first feature's section goes: an edit there conflicts).
	replace("internal/config/config.go", "\tPort Port `env:\"PORT\" envDefault:\"8080\"`\n",
		"\tPort Port `env:\"PORT\" envDefault:\"8080\"`\n\n\t// SupportEmail (SUPPORT_EMAIL): Where users write for help.\n\tSupportEmail string `env:\"SUPPORT_EMAIL\" envDefault:\"help@example.com\"`\n")
	replace(".env.example", "PORT=8080\n", "PORT=8080\n\n# Where users write for help (default: help@example.com)\nSUPPORT_EMAIL=help@example.com\n")
	replace("internal/config/config_test.go", "\t\tPort:                    8080,\n", "\t\tPort:                    8080,\n\t\tSupportEmail:            \"help@example.com\",\n")
	// A migration of the owner's.
	write("internal/db/migrations/sqlite/01000_owner_notes.sql", "-- +goose Up\nCREATE TABLE owner_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n\n-- +goose Down\nDROP TABLE owner_notes;\n")
	// A renamed test.
	mustRun(t, dir, git, "git", "mv", "internal/items/sql_test.go", "internal/items/store_test.go")
	mustRun(t, dir, git, "git", "add", "-A")
	mustRun(t, dir, git, "git", "commit", "-qm", "weeks of owner edits")
	return map[string]string{
		"internal/api/v1/ping.go":                             "func ping(",
		"internal/api/v1/ping_test.go":                        "func TestPing(",
		"internal/api/v1/routes.go":                           route,
		"internal/app/app.go":                                 `const Version = "1.4.2" // the owner's release`,
		"internal/config/config.go":                           "SupportEmail string `env:\"SUPPORT_EMAIL\"",
		".env.example":                                        "SUPPORT_EMAIL=help@example.com",
		"internal/config/config_test.go":                      `SupportEmail:            "help@example.com",`,
		"internal/db/migrations/sqlite/01000_owner_notes.sql": "CREATE TABLE owner_notes",
		"internal/items/store_test.go":                        "package items",
	}
}

// checkKept fails t for every owner edit no longer in its file.
func checkKept(t *testing.T, dir string, keep map[string]string) {
	t.Helper()
	for path, want := range keep {
		data, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil || !strings.Contains(string(data), want) {
			t.Errorf("%s lost the owner's edit %q (%v)", path, want, err)
		}
	}
}

// statusLines returns the file lines of `omnistack status` ("modified
// path"), sorted.
func statusLines(t *testing.T, bin, dir string) []string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(mustRun(t, dir, nil, bin, "status"), "\n") {
		if f := strings.Fields(l); len(f) == 2 && strings.HasPrefix(l, "  ") {
			lines = append(lines, f[0]+" "+f[1])
		}
	}
	slices.Sort(lines)
	return lines
}

// trackedAndNew lists the files of the git work tree at dir: tracked ones
// and untracked ones not ignored.
func trackedAndNew(t *testing.T, dir string) []string {
	t.Helper()
	out := mustRun(t, dir, nil, "git", "ls-files", "--cached", "--others", "--exclude-standard")
	files := strings.Fields(out)
	slices.Sort(files)
	return slices.Compact(files)
}

// verifyMerged checks a project after an add: go.mod and go.sum tidy, and
// it builds, vets and passes its tests offline with -mod=readonly.
func verifyMerged(t *testing.T, dir string) {
	t.Helper()
	if out := tidyDiff(t, dir); out != "" {
		t.Errorf("go mod tidy changes the merged go.mod/go.sum:\n%s", out)
	}
	offline := []string{"GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local"}
	mustRun(t, dir, offline, "go", "build", "./...")
	mustRun(t, dir, offline, "go", "vet", "./...")
	mustRun(t, dir, offline, "go", "test", "-count=1", "./...")
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// checkProject generates p and verifies it; built is called once it has
// built and vetted, before its tests.
func checkProject(t *testing.T, bin, root string, p project, built func()) {
	dir := filepath.Join(root, p.name)
	args := []string{"new", p.name, "--yes", "--no-git", "-o", dir, "--module", "example.com/" + p.name}
	if p.preset != "" {
		args = append(args, "--preset", p.preset)
	}
	// Library features (idp) come with the features that need them; the CLI
	// refuses them by name.
	args = append(args, "--features", strings.Join(slices.DeleteFunc(slices.Clone(p.features), isLibrary), ","))
	if p.preset != "" {
		// Drop preset features that the variant replaced.
		var without []string
		for _, f := range mustPreset(t, p.preset) {
			if !slices.Contains(p.features, f) {
				without = append(without, f)
			}
		}
		if len(without) > 0 {
			args = append(args, "--without", strings.Join(without, ","))
		}
	}
	mustRun(t, "", nil, bin, args...)
	buildProject(t, dir)
	built()
	testProject(t, dir, p.race, p.racePkgs...)
	if p.serve {
		serveAndProbe(t, dir)
	}
}

// TestProbeProject generates a project with the throwaway probe feature
// (generator/testdata/probe), which fills every slot of the shared
// templates, and proves it builds, vets and passes its tests: the slot
// contract holds for code a feature puts anywhere. With metrics, the probe
// also fills the slots metrics owns (its dashboard row and README lines),
// which the generated dashboard test then checks.
func TestProbeProject(t *testing.T) {
	reg, err := generator.LoadRegistryWithFeature("probe", "../generator/testdata/probe")
	if err != nil {
		t.Fatal(err)
	}
	res, err := reg.Resolve(generator.Spec{Name: "probe", Module: "example.com/probe", Features: []string{"probe", "redis", "ratelimit", "metrics"}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := reg.Render(res)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "probe")
	if err := generator.Write(dir, files, generator.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	buildProject(t, dir)
	testProject(t, dir, true)
}

// noNetwork is the environment of every go command after buildProject's
// download: the project must build and test without the network and
// without changing go.mod or go.sum.
var noNetwork = []string{"GOPROXY=off", "GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local"}

// buildProject checks a generated project: tidy as generated, builds and
// vets offline and read-only, gofmt-clean.
func buildProject(t *testing.T, dir string) {
	t.Helper()
	// Fetch modules once (network allowed: tidy also checks the zips of
	// modules that only dependencies' tests need), then prove the rest
	// offline and read-only.
	if out := tidyDiff(t, dir); out != "" {
		t.Errorf("go mod tidy changes the generated go.mod/go.sum:\n%s", out)
	}
	mustRun(t, dir, nil, "go", "mod", "download")
	mustRun(t, dir, noNetwork, "go", "build", "./...")
	mustRun(t, dir, noNetwork, "go", "vet", "./...")
	if out := mustRun(t, dir, nil, "gofmt", "-l", "."); strings.TrimSpace(out) != "" {
		t.Errorf("gofmt -l lists files:\n%s", out)
	}
}

// testProject runs a generated project's tests, under the race detector
// when race is set; otherwise racePkgs alone run under it afterwards.
func testProject(t *testing.T, dir string, race bool, racePkgs ...string) {
	t.Helper()
	test := []string{"test", "-count=1", "./..."}
	if race {
		test = slices.Insert(test, 1, "-race")
	}
	mustRun(t, dir, noNetwork, "go", test...)
	// Packages a cover set races: those that exist in this project (a
	// feature's test file may render to nothing here).
	var pkgs []string
	for _, p := range racePkgs {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) > 0 && !race {
		mustRun(t, dir, noNetwork, "go", append([]string{"test", "-race", "-count=1"}, pkgs...)...)
	}
}

// isLibrary reports whether a feature is a library feature (pulled in by
// requires, never chosen).
func isLibrary(name string) bool {
	reg, err := registry()
	return err == nil && reg.Features[name] != nil && reg.Features[name].Library
}

// registry is the embedded registry, loaded once.
var registry = sync.OnceValues(generator.LoadRegistry)

func mustPreset(t *testing.T, name string) []string {
	reg, err := generator.LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	return reg.Presets[name].Features
}

// serveAndProbe builds the service, runs it on a free port with only the
// defaults (SQLite) and checks /health/ready and /docs, then stops it with
// SIGTERM and expects a clean exit.
func serveAndProbe(t *testing.T, dir string) {
	mustRun(t, dir, []string{"GOPROXY=off"}, "go", "build", "-o", "server.bin", "./cmd/server")
	srv := startServer(t, dir, "PORT="+freeTCPPort(t))
	if srv.ready != http.StatusOK {
		t.Fatalf("/health/ready = %d; logs:\n%s", srv.ready, srv.logs.String())
	}
	for _, path := range []string{"/docs", "/openapi.json", "/health/live"} {
		resp, err := http.Get(srv.base + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %v %v", path, resp, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
	srv.stop(t)
}

// server is a generated service's server.bin running on 127.0.0.1.
type server struct {
	base  string        // http://127.0.0.1:PORT
	ready int           // the status of its first /health/ready answer; 0 if none came
	logs  *bytes.Buffer // what it wrote; read it only once it has stopped or for a failure message
	cmd   *exec.Cmd
	done  chan error
}

// startServer runs dir's server.bin on its defaults (see cleanEnv) plus
// env, which must set PORT, and waits up to 30 s for /health/ready to
// answer. The server is killed when t ends unless stop ran.
func startServer(t *testing.T, dir string, env ...string) *server {
	t.Helper()
	srv := &server{logs: &bytes.Buffer{}, done: make(chan error, 1)}
	srv.cmd = exec.Command("./server.bin")
	srv.cmd.Dir = dir
	srv.cmd.Env = append(append(cleanEnv(), "HOST=127.0.0.1"), env...)
	srv.cmd.Stdout, srv.cmd.Stderr = srv.logs, srv.logs
	for _, kv := range env {
		if port, ok := strings.CutPrefix(kv, "PORT="); ok {
			srv.base = "http://127.0.0.1:" + port
		}
	}
	if srv.base == "" {
		t.Fatal("startServer: env sets no PORT")
	}
	if err := srv.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { srv.done <- srv.cmd.Wait() }()
	t.Cleanup(func() {
		if srv.cmd.ProcessState == nil {
			srv.cmd.Process.Kill()
			<-srv.done
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if resp, err := http.Get(srv.base + "/health/ready"); err == nil {
			srv.ready = resp.StatusCode
			resp.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return srv
}

// stop sends SIGTERM and checks the server exits cleanly within 20 s.
func (srv *server) stop(t *testing.T) {
	t.Helper()
	srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-srv.done:
		if err != nil {
			t.Errorf("server exit after SIGTERM: %v; logs:\n%s", err, srv.logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("server did not stop within 20s of SIGTERM")
	}
}

// cleanEnv is the environment without the service URLs, so the server runs
// on its defaults as `make run` would on a fresh machine.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "REDIS_URL=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// tidyDiff runs `go mod tidy -diff` and returns the diff (stdout only:
// stderr carries "go: downloading" lines on a cold module cache). tidy
// -diff exits 1 when there is a diff, so its exit code is not an error.
func tidyDiff(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "tidy", "-diff")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if diff := strings.TrimSpace(stdout.String()); diff != "" {
		return diff
	}
	if err != nil {
		t.Fatalf("go mod tidy -diff (in %s): %v\n%s", dir, err, stderr.String())
	}
	return ""
}

func mustRun(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, out.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Logf("%s %s: %.1fs", name, strings.Join(args[:min(2, len(args))], " "), d.Seconds())
	}
	return out.String()
}
