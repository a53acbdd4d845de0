package generator

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/omnistack/omnistack/generator/merge"
)

// renders caches renders across tests: most lifecycle tests start from the
// same few feature sets, and rendering (formatting every Go file, under the
// race detector) is most of their CPU time. Cached Files are only read.
var renders sync.Map // renderKey -> Files

type renderKey struct {
	reg      *Registry
	features string
}

// renderOnce renders myapp with features, once per registry and set.
func renderOnce(t testing.TB, reg *Registry, features []string) Files {
	t.Helper()
	key := renderKey{reg, strings.Join(features, ",")}
	if files, ok := renders.Load(key); ok {
		return files.(Files)
	}
	res, err := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp", Features: features})
	if err != nil {
		t.Fatal(err)
	}
	files, err := reg.Render(res)
	if err != nil {
		t.Fatal(err)
	}
	renders.Store(key, files)
	return files
}

// newRealProject generates a project from reg into dir, with git.
func newRealProject(t testing.TB, reg *Registry, dir string, features []string) *Project {
	t.Helper()
	files := renderOnce(t, reg, features)
	if err := Write(dir, files, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := InitRepo(dir, files, "initial"); err != nil {
		t.Fatal(err)
	}
	p, err := FindProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNewPlusAddEqualsNew: for every preset P and every feature X that can
// be added to it, `new P` + `add X` gives byte for byte the files of
// `new P+X`.
func TestNewPlusAddEqualsNew(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, preset := range reg.PresetNames() {
		base := reg.Presets[preset].Features
		for _, x := range reg.FeatureNames() {
			if slices.Contains(base, x) {
				continue
			}
			want, err := reg.WithAdded(base, []string{x})
			if err != nil {
				continue // conflicts with the preset
			}
			if testing.Short() && n >= 6 {
				break
			}
			n++
			t.Run(preset+"+"+x, func(t *testing.T) {
				t.Parallel()
				p := newRealProject(t, reg, filepath.Join(t.TempDir(), "a"), base)
				planApply(t, reg, p, want)
				direct := newRealProject(t, reg, filepath.Join(t.TempDir(), "b"), want)
				assertSameProject(t, p.Dir, direct.Dir)

				// remove X on the unedited project gives back the preset's
				// files byte for byte (when X brought no requirement along).
				resolved, _, _ := reg.ResolveFeatures(want)
				if len(resolved) != len(base)+1 || reg.Group(reg.Features[x].Group).Required {
					return
				}
				p2, _ := FindProject(p.Dir)
				back, err := reg.Without(p2.Manifest.Features, []string{x})
				if err != nil {
					t.Fatal(err)
				}
				planApply(t, reg, p2, back)
				orig := newRealProject(t, reg, filepath.Join(t.TempDir(), "c"), base)
				assertSameProject(t, p.Dir, orig.Dir)
			})
		}
	}
	t.Logf("%d preset+feature pairs checked", n)
}

// TestAddNeverLosesAnEdit is a property test: random edits (inserted
// tagged lines, deleted lines) in random generated files, then add a
// feature. Every inserted line must be in the result, inside a reported
// conflict, or in a file reported kept-edited/kept-deleted; no line is lost
// silently.
func TestAddNeverLosesAnEdit(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	type addCase struct{ from, add []string }
	var cases []addCase
	for _, x := range reg.FeatureNames() {
		if want, err := reg.WithAdded(reg.Presets["minimal"].Features, []string{x}); err == nil && !slices.Equal(want, reg.Presets["minimal"].Features) {
			cases = append(cases, addCase{reg.Presets["minimal"].Features, []string{x}})
		}
	}
	if len(cases) == 0 {
		t.Fatal("no feature can be added to minimal: the registry lost its features?")
	}
	iterations := 40
	if testing.Short() {
		iterations = 8
	}
	for i := 0; i < iterations; i++ {
		seed := uint64(i)
		rng := rand.New(rand.NewPCG(seed, 42))
		c := cases[rng.IntN(len(cases))]
		t.Run(fmt.Sprintf("seed%d-%s", seed, strings.Join(c.add, "+")), func(t *testing.T) {
			t.Parallel()
			p := newRealProject(t, reg, filepath.Join(t.TempDir(), "p"), c.from)
			pristine, _ := ReadPristine(p.Dir)
			paths := slices.DeleteFunc(pristine.Paths(), func(s string) bool { return s == ManifestName || s == "go.sum" || s == "go.mod" })
			inserted := map[string]string{} // tag -> path
			for e := 0; e < 6; e++ {
				path := paths[rng.IntN(len(paths))]
				full := filepath.Join(p.Dir, filepath.FromSlash(path))
				data, err := os.ReadFile(full)
				if err != nil {
					continue // deleted by an earlier edit
				}
				lines := strings.SplitAfter(string(data), "\n")
				switch rng.IntN(5) {
				case 0: // delete a line (possibly one the user inserted)
					if len(lines) > 1 {
						k := rng.IntN(len(lines))
						delete(inserted, strings.TrimSpace(lines[k]))
						lines = append(lines[:k], lines[k+1:]...)
					}
				case 1: // delete the file, with the user's own lines in it
					os.Remove(full)
					for tag, at := range inserted {
						if at == path {
							delete(inserted, tag)
						}
					}
					continue
				default: // insert a tagged line
					tag := fmt.Sprintf("// user-edit-%d-%d\n", seed, e)
					k := rng.IntN(len(lines) + 1)
					lines = slices.Insert(lines, k, tag)
					inserted[strings.TrimSpace(tag)] = path
				}
				os.WriteFile(full, []byte(strings.Join(lines, "")), 0o644)
			}
			want, err := reg.WithAdded(p.Manifest.Features, c.add)
			if err != nil {
				t.Fatal(err)
			}
			u := planApply(t, reg, p, want)
			reported := map[string]bool{}
			for _, ch := range u.Changes {
				if ch.Status == merge.StatusConflict || ch.Status == merge.StatusKeptEdited {
					reported[ch.Path] = true
				}
			}
			after := readAll(t, p.Dir)
			all := bytes.Join(func() [][]byte {
				var out [][]byte
				for _, path := range after.Paths() {
					out = append(out, after[path])
				}
				return out
			}(), nil)
			for tag := range inserted {
				if !bytes.Contains(all, []byte(tag)) {
					t.Errorf("user line %q lost (conflicts reported in %v)", tag, reported)
				}
			}
		})
	}
}
