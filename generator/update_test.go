package generator

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/omnistack/omnistack/generator/merge"
)

// newTestProject generates a project from the given registry, with git.
func newTestProject(t *testing.T, reg *Registry, features ...string) *Project {
	t.Helper()
	return newRealProject(t, reg, filepath.Join(t.TempDir(), "myapp"), features)
}

func readAll(t *testing.T, dir string) Files {
	t.Helper()
	out := Files{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		data, _ := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = data
		return nil
	})
	return out
}

func addAndApply(t *testing.T, reg *Registry, p *Project, features ...string) *Update {
	t.Helper()
	m, err := FindProject(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	feats, err := reg.WithAdded(m.Manifest.Features, features)
	if err != nil {
		t.Fatal(err)
	}
	return planApply(t, reg, m, feats)
}

// planApply plans the update of p to features and applies it.
func planApply(t testing.TB, reg *Registry, p *Project, features []string) *Update {
	t.Helper()
	u, err := reg.PlanUpdate(p, features)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Apply(); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAddKeepsEditInUntouchedRegion(t *testing.T) {
	reg := testRegistry(t)
	p := newTestProject(t, reg)
	readme := filepath.Join(p.Dir, "README.md")
	orig, _ := os.ReadFile(readme)
	edited := append([]byte("My service does things.\n\n"), orig...)
	os.WriteFile(readme, edited, 0o644)
	os.WriteFile(filepath.Join(p.Dir, "NOTES.md"), []byte("mine\n"), 0o644)

	u := addAndApply(t, reg, p, "redis")
	got, _ := os.ReadFile(readme)
	if !bytes.Contains(got, []byte("My service does things.")) || !bytes.Contains(got, []byte("redis!")) {
		t.Errorf("README.md after add:\n%s", got)
	}
	if n := len(u.Conflicts()); n != 0 {
		t.Errorf("%d conflicts", n)
	}
	if mine, _ := os.ReadFile(filepath.Join(p.Dir, "NOTES.md")); string(mine) != "mine\n" {
		t.Errorf("user file changed: %q", mine)
	}
	m, _ := FindProject(p.Dir)
	if !strings.Contains(strings.Join(m.Manifest.Features, ","), "redis") {
		t.Errorf("manifest features = %v", m.Manifest.Features)
	}
	// The pristine tree is now the render with redis.
	pristine, err := ReadPristine(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	assertSameFiles(t, pristine, u.Theirs)
}

func TestAddConflictGetsMarkers(t *testing.T) {
	reg := testRegistry(t)
	p := newTestProject(t, reg)
	readme := filepath.Join(p.Dir, "README.md")
	// Edit the last line, where the redis block will be appended.
	orig, _ := os.ReadFile(readme)
	os.WriteFile(readme, append(orig, []byte("user tail\n")...), 0o644)
	u := addAndApply(t, reg, p, "redis")
	got, _ := os.ReadFile(readme)
	if len(u.Conflicts()) != 1 || !bytes.Contains(got, []byte("<<<<<<< yours")) || !bytes.Contains(got, []byte(">>>>>>> omnistack")) {
		t.Fatalf("want one conflict with markers, got %d:\n%s", len(u.Conflicts()), got)
	}
	if !bytes.Contains(got, []byte("user tail")) || !bytes.Contains(got, []byte("redis!")) {
		t.Errorf("conflict lost a side:\n%s", got)
	}
}

func TestAddTwiceIsNoOp(t *testing.T) {
	reg := testRegistry(t)
	p := newTestProject(t, reg)
	addAndApply(t, reg, p, "redis")
	before := readAll(t, p.Dir)
	m, _ := FindProject(p.Dir)
	u, err := reg.PlanUpdate(m, withFeature(m.Manifest, "redis"))
	if err != nil {
		t.Fatal(err)
	}
	if w := u.Writes(); len(w) != 0 {
		t.Errorf("second add writes %d files: %v", len(w), w[0].Path)
	}
	assertSameFiles(t, readAll(t, p.Dir), before)
}

func TestAddThenRemoveRestoresBytes(t *testing.T) {
	reg := testRegistry(t)
	p := newTestProject(t, reg)
	before := readAll(t, p.Dir)
	addAndApply(t, reg, p, "redis")
	m, _ := FindProject(p.Dir)
	feats, err := reg.Without(m.Manifest.Features, []string{"redis"})
	if err != nil {
		t.Fatal(err)
	}
	planApply(t, reg, m, feats)
	assertSameFiles(t, readAll(t, p.Dir), before)
}

func TestAddEqualsNewWithFeature(t *testing.T) {
	reg := testRegistry(t)
	p := newTestProject(t, reg)
	addAndApply(t, reg, p, "postgres", "redis")
	direct := newTestProject(t, reg, "postgres", "redis")
	assertSameProject(t, p.Dir, direct.Dir)
}

func TestWithAddedRefusesConflicts(t *testing.T) {
	reg := testRegistry(t)
	if _, err := reg.WithAdded([]string{"auth-a", "sqlite", "users"}, []string{"auth-b"}); err == nil || !strings.Contains(err.Error(), "exclusive group \"auth\"") {
		t.Errorf("second auth provider: err = %v", err)
	}
	if _, err := reg.WithAdded([]string{"sqlite"}, []string{"nope"}); err == nil || !strings.Contains(err.Error(), "valid:") {
		t.Errorf("unknown: err = %v", err)
	}
	got, err := reg.WithAdded([]string{"sqlite"}, []string{"postgres"})
	if err != nil || strings.Join(got, ",") != "postgres" {
		t.Errorf("database swap = %v, %v", got, err)
	}
}

func TestDeletedFileStaysDeleted(t *testing.T) {
	reg := testRegistry(t)
	p := newTestProject(t, reg)
	os.Remove(filepath.Join(p.Dir, "db.txt"))
	m, _ := FindProject(p.Dir)
	u, err := reg.PlanUpdate(m, withFeature(m.Manifest, "redis"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range u.Changes {
		if c.Path == "db.txt" {
			found = true
			if c.Status != merge.StatusKeptDeleted {
				t.Errorf("db.txt status = %s", c.Status)
			}
		}
	}
	if !found {
		t.Errorf("db.txt not in the plan")
	}
	if err := u.Apply(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "db.txt")); !os.IsNotExist(err) {
		t.Errorf("deleted file came back")
	}
}

func TestUpdateWithoutGitNeedsSameVersion(t *testing.T) {
	reg := testRegistry(t)
	res, _ := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp"})
	files, _ := reg.Render(res)
	dir := filepath.Join(t.TempDir(), "myapp")
	if err := Write(dir, files, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	p, err := FindProject(filepath.Join(dir))
	if err != nil {
		t.Fatal(err)
	}
	u, err := reg.PlanUpdate(p, withFeature(p.Manifest, "redis"))
	if err != nil || u.BaseFrom != "re-render" {
		t.Fatalf("without git: %v, base from %q", err, u.BaseFrom)
	}
	p.Manifest.Generator = "v0.0.1"
	_, err = reg.PlanUpdate(p, withFeature(p.Manifest, "redis"))
	if err == nil || !strings.Contains(err.Error(), "generated by omnistack v0.0.1") || !strings.Contains(err.Error(), "to proceed, install it (go install github.com/omnistack/omnistack/cmd/omnistack@v0.0.1)") {
		t.Fatalf("err = %v", err)
	}
}

func TestFindProjectWalksUp(t *testing.T) {
	reg := testRegistry(t)
	p := newTestProject(t, reg)
	sub := filepath.Join(p.Dir, "a", "b")
	os.MkdirAll(sub, 0o755)
	got, err := FindProject(sub)
	if err != nil || got.Dir != p.Dir {
		t.Fatalf("FindProject = %v, %v", got, err)
	}
	if _, err := FindProject(t.TempDir()); err == nil || !IsUsage(err) {
		t.Fatalf("outside a project: err = %v", err)
	}
}

// withFeature is the manifest's features plus name, unvalidated.
func withFeature(m *Manifest, name string) []string {
	return append(slices.Clone(m.Features), name)
}
