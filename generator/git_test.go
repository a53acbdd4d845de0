package generator

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/rogpeppe/go-internal/diff"
)

func TestInitRepoAndPristine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "myapp")
	files := sampleFiles()
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
	got, err := ReadPristine(dir)
	if err != nil {
		t.Fatal(err)
	}
	assertSameFiles(t, got, files)

	// The branch's first commit is the pristine tree itself.
	repo, _ := git.PlainOpen(dir)
	head, _ := repo.Head()
	if head.Hash() != first || head.Name().Short() != "main" {
		t.Errorf("HEAD = %s %s, want main at %s", head.Name(), head.Hash(), first)
	}

	// A new pristine commit has the previous one as parent and leaves the
	// user's branch alone.
	next := Files{"README.md": []byte("# y\n")}
	h, err := CommitPristine(dir, next, "add x")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := repo.CommitObject(h)
	if len(c.ParentHashes) != 1 || c.ParentHashes[0] != first {
		t.Errorf("pristine parent = %v, want %s", c.ParentHashes, first)
	}
	head2, _ := repo.Head()
	if head2.Hash() != first {
		t.Errorf("CommitPristine moved HEAD")
	}
	got, _ = ReadPristine(dir)
	assertSameFiles(t, got, next)
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
