package generator

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/rogpeppe/go-internal/diff"
)

func TestInitRepoAndPristine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "myapp")
	files := sampleFiles()
	manifest, _ := (&Manifest{Generator: Version, Name: "myapp", Module: "example.com/myapp", Features: []string{"sqlite"}}).Marshal()
	files[ManifestName] = manifest
	if err := Write(dir, files, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	first, err := InitRepo(dir, files, "initial")
	if err != nil {
		t.Fatal(err)
	}
	dirty, err := Dirty(dir)
	if err != nil || len(dirty) != 0 {
		t.Fatalf("fresh repository is dirty: %v %v", dirty, err)
	}

	// The pristine commit holds the render as it is; the working tree's
	// omnistack.yaml records that commit.
	repo, _ := git.PlainOpen(dir)
	ref, err := repo.Reference(PristineRef, true)
	if err != nil {
		t.Fatal(err)
	}
	pc, _ := repo.CommitObject(ref.Hash())
	stored, err := commitFiles(pc)
	if err != nil {
		t.Fatal(err)
	}
	assertSameFiles(t, stored, files)
	onDisk, _ := os.ReadFile(filepath.Join(dir, ManifestName))
	m, err := ParseManifest(onDisk)
	if err != nil || m.Pristine != ref.Hash().String() {
		t.Fatalf("omnistack.yaml records %q (%v), want the pristine commit %s:\n%s", m.Pristine, err, ref.Hash(), onDisk)
	}
	if plain, _ := unstamp(Files{ManifestName: onDisk}); !bytes.Equal(plain[ManifestName], manifest) {
		t.Errorf("unstamped manifest differs from the render:\n%s", diff.Diff("render", manifest, "unstamped", plain[ManifestName]))
	}
	got, err := ReadPristine(dir)
	if err != nil {
		t.Fatal(err)
	}
	assertSameFiles(t, got, readAll(t, dir))

	// The branch's first commit is the working tree, the pristine commit
	// stays off it.
	head, _ := repo.Head()
	if head.Hash() != first || head.Name().Short() != "main" || first == ref.Hash() {
		t.Errorf("HEAD = %s %s, want main at %s, not the pristine commit", head.Name(), head.Hash(), first)
	}

	// A new pristine commit has the previous one as parent and leaves the
	// user's branch alone; planning alone writes nothing.
	next := maps.Clone(files)
	next["README.md"] = []byte("# y\n")
	pend, err := planPristine(repo, next, ref.Hash(), "add x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CommitObject(pend.commit); err == nil {
		t.Errorf("planning stored the commit")
	}
	if err := pend.store(); err != nil {
		t.Fatal(err)
	}
	if err := pend.publish(); err != nil {
		t.Fatal(err)
	}
	c, _ := repo.CommitObject(pend.commit)
	if len(c.ParentHashes) != 1 || c.ParentHashes[0] != ref.Hash() {
		t.Errorf("pristine parent = %v, want %s", c.ParentHashes, ref.Hash())
	}
	if head2, _ := repo.Head(); head2.Hash() != first {
		t.Errorf("a pristine commit moved HEAD")
	}
	// The same tree again reuses the commit that has it, also an older one.
	for tree, want := range map[string]plumbing.Hash{"next": pend.commit, "first": ref.Hash()} {
		f := map[string]Files{"next": next, "first": files}[tree]
		again, err := planPristine(repo, f, pend.commit, "again")
		if err != nil {
			t.Fatal(err)
		}
		if again.objects != nil || again.commit != want {
			t.Errorf("%s tree again: commit %s (new: %v), want %s reused", tree, again.commit, again.objects != nil, want)
		}
	}
}

func TestReadPristineWithoutGit(t *testing.T) {
	if _, err := ReadPristine(t.TempDir()); err != ErrNoPristine {
		t.Fatalf("err = %v, want ErrNoPristine", err)
	}
}

func assertSameFiles(t *testing.T, got, want Files) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d files, want %d: %v", len(got), len(want), got.Paths())
	}
	for _, p := range want.Paths() {
		if !bytes.Equal(got[p], want[p]) {
			t.Errorf("%s differs:\n%s", p, diff.Diff("want/"+p, want[p], "got/"+p, got[p]))
		}
	}
	for _, p := range got.Paths() {
		if _, ok := want[p]; !ok {
			t.Errorf("unexpected file %s", p)
		}
	}
}

// assertSameProject compares two projects generated apart: their files are
// the same except for the pristine commit omnistack.yaml records (each
// repository has its own), whose trees must be the same.
func assertSameProject(t *testing.T, got, want string) {
	t.Helper()
	g, err := unstamp(readAll(t, got))
	if err != nil {
		t.Fatal(err)
	}
	w, err := unstamp(readAll(t, want))
	if err != nil {
		t.Fatal(err)
	}
	assertSameFiles(t, g, w)
	if gt, wt := pristineTree(t, got), pristineTree(t, want); gt != wt {
		t.Errorf("pristine trees differ: %s, want %s", gt, wt)
	}
}

// pristineTree is the tree of the pristine commit the project's manifest
// records.
func pristineTree(t *testing.T, dir string) plumbing.Hash {
	t.Helper()
	p, err := FindProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(plumbing.NewHash(p.Manifest.Pristine))
	if err != nil {
		t.Fatalf("%s: recorded pristine commit %q: %v", dir, p.Manifest.Pristine, err)
	}
	return c.TreeHash
}
