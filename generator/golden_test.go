package generator

import (
	"bytes"
	"flag"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
)

//go:generate go test -run Golden -update

var update = flag.Bool("update", false, "rewrite testdata/golden from the current templates (make golden)")

const goldenRoot = "../testdata/golden"

// TestGolden renders every preset (name myapp, module example.com/myapp)
// and compares it byte for byte with testdata/golden/<preset>. It also
// checks that rendering twice gives identical output and that every Go file
// parses.
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
				if strings.HasSuffix(p, ".go") {
					if _, err := parser.ParseFile(token.NewFileSet(), p, files[p], parser.AllErrors); err != nil {
						t.Errorf("generated Go file does not parse: %v", err)
					}
				}
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
		if _, err := reg.Render(res); err != nil {
			t.Errorf("features %s: %v", strings.Join(set, ","), err)
		}
	}
}
