package generator

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
)

//go:generate go test -run Golden -update

var update = flag.Bool("update", false, "rewrite testdata/golden from the current templates (make golden)")

const goldenRoot = "../testdata/golden"

// TestGolden renders every preset (name myapp, module example.com/myapp)
// and compares it byte for byte with testdata/golden/<preset>. It also
// checks that rendering twice gives identical output and that the Go
// packages hang together (checkPackages), which Render does not check.
func TestGolden(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range reg.PresetNames() {
		t.Run(name, func(t *testing.T) {
			res, err := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp", Features: reg.Presets[name].Features})
			if err != nil {
				t.Fatal(err)
			}
			files, err := reg.Render(res)
			if err != nil {
				t.Fatal(err)
			}
			again, err := reg.Render(res)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range files.Paths() {
				if !bytes.Equal(files[p], again[p]) {
					t.Errorf("%s: rendering twice gave different output", p)
				}
			}
			if err := checkPackages(files, "example.com/myapp"); err != nil {
				t.Error(err)
			}
			if len(again) != len(files) {
				t.Errorf("rendering twice gave %d and %d files", len(files), len(again))
			}
			dir := filepath.Join(goldenRoot, name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				for _, p := range files.Paths() {
					dst := filepath.Join(dir, filepath.FromSlash(p))
					if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(dst, files[p], 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			compareGolden(t, dir, files)
		})
	}
}

func compareGolden(t *testing.T, dir string, files Files) {
	t.Helper()
	want := Files{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		want[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatalf("read golden files: %v (run make golden)", err)
	}
	var missing, extra, changed []string
	for _, p := range want.Paths() {
		if _, ok := files[p]; !ok {
			extra = append(extra, p)
		}
	}
	shown := 0
	for _, p := range files.Paths() {
		w, ok := want[p]
		if !ok {
			missing = append(missing, p)
			continue
		}
		if !bytes.Equal(w, files[p]) {
			changed = append(changed, p)
			if shown < 3 {
				shown++
				t.Errorf("%s differs from golden:\n%s", p, diff.Diff("golden/"+p, w, "rendered/"+p, files[p]))
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("rendered but not in golden: %s", strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		t.Errorf("in golden but no longer rendered: %s", strings.Join(extra, ", "))
	}
	if len(changed) > 0 {
		t.Errorf("%d files differ: %s", len(changed), strings.Join(changed, ", "))
	}
	if t.Failed() {
		t.Log("if the change is intended, run `make golden` and review the diff before committing")
	}
}

// TestPinsConsistent catches, before any e2e run, a module pinned at two
// versions by two features, or a pin the dependency record disagrees with.
func TestPinsConsistent(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.CheckPins(); err != nil {
		t.Fatal(err)
	}
	rec, err := depsRecord()
	if err != nil {
		t.Fatal(err)
	}
	for feature, pins := range reg.Pins() {
		for _, p := range pins {
			if got := rec.Version(p[0]); got != p[1] {
				t.Errorf("feature %s pins %s %s but the dependency record selects %q: run make deps", feature, p[0], p[1], got)
			}
		}
	}
	// Every feature set of the pairwise cover renders, so every direct
	// import is pinned by the features that use it.
	for _, set := range reg.PairwiseCover() {
		res, err := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp", Features: set})
		if err != nil {
			t.Fatal(err)
		}
		files, err := reg.Render(res)
		if err != nil {
			t.Errorf("features %s: %v", strings.Join(set, ","), err)
			continue
		}
		if err := checkPackages(files, "example.com/myapp"); err != nil {
			t.Errorf("features %s: %v", strings.Join(set, ","), err)
		}
	}
}

// checkPackages checks what a Go file alone cannot show: the non-test files
// of a directory share one package name (tests may add _test), and every
// import of the project's own module names a directory the render has Go
// files in, so no fragment imports the package of an absent feature.
func checkPackages(files Files, module string) error {
	pkgOf := map[string]string{} // directory -> package of its non-test files
	imports := map[string]string{}
	var errs []string
	for _, p := range files.Paths() {
		if !strings.HasSuffix(p, ".go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, files[p], parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir, name := path.Dir(p), f.Name.Name
		if !strings.HasSuffix(p, "_test.go") {
			if prev, ok := pkgOf[dir]; ok && prev != name {
				errs = append(errs, fmt.Sprintf("%s: package %s, but %s holds package %s", p, name, dir, prev))
			}
			pkgOf[dir] = name
		}
		for _, spec := range f.Imports {
			ip, _ := strconv.Unquote(spec.Path.Value)
			if rel, ok := strings.CutPrefix(ip, module+"/"); ok {
				imports[rel] = p
			}
		}
	}
	for _, p := range files.Paths() {
		if dir := path.Dir(p); strings.HasSuffix(p, "_test.go") && pkgOf[dir] == "" {
			pkgOf[dir] = "(tests only)"
		}
	}
	for _, rel := range slices.Sorted(maps.Keys(imports)) {
		if _, ok := pkgOf[rel]; !ok {
			errs = append(errs, fmt.Sprintf("%s imports %s/%s, which the render has no Go files in", imports[rel], module, rel))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

func TestCheckPackagesCatchesDanglingImports(t *testing.T) {
	files := Files{
		"internal/app/app.go":   []byte("package app\n\nimport \"m/internal/gone\"\n\nvar _ = gone.X\n"),
		"internal/app/other.go": []byte("package other\n"),
	}
	err := checkPackages(files, "m")
	if err == nil || !strings.Contains(err.Error(), "imports m/internal/gone") || !strings.Contains(err.Error(), "package other, but internal/app holds package app") {
		t.Fatalf("checkPackages = %v", err)
	}
}
