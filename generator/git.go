package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage"
)

// PristineRef points at a commit whose tree is exactly what omnistack last
// generated for the project. `add`, `remove`, `status` and `upgrade` use it
// as the merge base; it moves on every successful change.
const PristineRef = plumbing.ReferenceName("refs/omnistack/pristine")

// ErrNoPristine is returned when a project has no git repository or no
// pristine ref.
var ErrNoPristine = errors.New("no pristine tree: the project has no git repository or no " + string(PristineRef))

func signature() object.Signature {
	sig := object.Signature{Name: "omnistack", Email: "omnistack@localhost", When: time.Now()}
	if cfg, err := config.LoadConfig(config.GlobalScope); err == nil {
		if cfg.User.Name != "" {
			sig.Name = cfg.User.Name
		}
		if cfg.User.Email != "" {
			sig.Email = cfg.User.Email
		}
	}
	return sig
}

// InitRepo creates a git repository in dir with one commit holding the
// generated files, on branch main, and points PristineRef at it.
func InitRepo(dir string, files Files, message string) (plumbing.Hash, error) {
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("git init: %w", err)
	}
	tree, err := writeTree(repo.Storer, files)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	commit, err := writeCommit(repo.Storer, tree, nil, message)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("main"), commit)); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(PristineRef, commit)); err != nil {
		return plumbing.ZeroHash, err
	}
	// Populate the index from the commit so `git status` is clean.
	wt, err := repo.Worktree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if err := wt.Reset(&git.ResetOptions{Commit: commit, Mode: git.MixedReset}); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("git reset: %w", err)
	}
	return commit, nil
}

// writeTree stores files as blobs and trees and returns the root tree hash.
func writeTree(s storage.Storer, files Files) (plumbing.Hash, error) {
	type dirEntries map[string]object.TreeEntry
	dirs := map[string]dirEntries{"": {}}
	var ensure func(d string)
	ensure = func(d string) {
		if _, ok := dirs[d]; ok {
			return
		}
		dirs[d] = dirEntries{}
		parent := path.Dir(d)
		if parent == "." {
			parent = ""
		}
		ensure(parent)
	}
	for _, p := range files.Paths() {
		blob := s.NewEncodedObject()
		blob.SetType(plumbing.BlobObject)
		w, err := blob.Writer()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if _, err := w.Write(files[p]); err != nil {
			return plumbing.ZeroHash, err
		}
		w.Close()
		h, err := s.SetEncodedObject(blob)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		d := path.Dir(p)
		if d == "." {
			d = ""
		}
		ensure(d)
		mode := filemode.Regular
		if fileMode(p, files[p])&0o111 != 0 {
			mode = filemode.Executable
		}
		dirs[d][path.Base(p)] = object.TreeEntry{Name: path.Base(p), Mode: mode, Hash: h}
	}
	// Write deepest directories first.
	names := make([]string, 0, len(dirs))
	for d := range dirs {
		names = append(names, d)
	}
	sort.Slice(names, func(i, j int) bool {
		di, dj := strings.Count(names[i], "/"), strings.Count(names[j], "/")
		if names[i] == "" {
			return false
		}
		if names[j] == "" {
			return true
		}
		if di != dj {
			return di > dj
		}
		return names[i] < names[j]
	})
	var root plumbing.Hash
	for _, d := range names {
		entries := make([]object.TreeEntry, 0, len(dirs[d]))
		for _, e := range dirs[d] {
			entries = append(entries, e)
		}
		// git orders tree entries by name, with directories compared as "name/".
		sort.Slice(entries, func(i, j int) bool { return treeKey(entries[i]) < treeKey(entries[j]) })
		tree := &object.Tree{Entries: entries}
		obj := s.NewEncodedObject()
		if err := tree.Encode(obj); err != nil {
			return plumbing.ZeroHash, err
		}
		h, err := s.SetEncodedObject(obj)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if d == "" {
			root = h
			continue
		}
		parent := path.Dir(d)
		if parent == "." {
			parent = ""
		}
		dirs[parent][path.Base(d)] = object.TreeEntry{Name: path.Base(d), Mode: filemode.Dir, Hash: h}
	}
	return root, nil
}

func treeKey(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

func writeCommit(s storage.Storer, tree plumbing.Hash, parents []plumbing.Hash, message string) (plumbing.Hash, error) {
	sig := signature()
	c := &object.Commit{Author: sig, Committer: sig, Message: message, TreeHash: tree, ParentHashes: parents}
	obj := s.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

// ReadPristine returns the files of the pristine tree of the project in dir.
func ReadPristine(dir string) (Files, error) {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return nil, ErrNoPristine
	}
	ref, err := repo.Reference(PristineRef, true)
	if err != nil {
		return nil, ErrNoPristine
	}
	commit, err := repo.CommitObject(ref.Hash())
	if err != nil {
		return nil, fmt.Errorf("read pristine commit: %w", err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("read pristine tree: %w", err)
	}
	files := Files{}
	err = tree.Files().ForEach(func(f *object.File) error {
		r, err := f.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, r); err != nil {
			return err
		}
		files[f.Name] = buf.Bytes()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pristine files: %w", err)
	}
	return files, nil
}

// CommitPristine records files as the new pristine tree: a commit whose
// parent is the previous pristine commit. The user's branch, index and
// working tree are not touched.
func CommitPristine(dir string, files Files, message string) (plumbing.Hash, error) {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return plumbing.ZeroHash, ErrNoPristine
	}
	var parents []plumbing.Hash
	if ref, err := repo.Reference(PristineRef, true); err == nil {
		parents = append(parents, ref.Hash())
	}
	tree, err := writeTree(repo.Storer, files)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	commit, err := writeCommit(repo.Storer, tree, parents, message)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(PristineRef, commit)); err != nil {
		return plumbing.ZeroHash, err
	}
	return commit, nil
}

// Dirty lists the paths with uncommitted changes in the repository at dir
// (untracked files included). It returns ErrNoPristine without a repository.
func Dirty(dir string) ([]string, error) {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return nil, ErrNoPristine
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	st, err := wt.Status()
	if err != nil {
		return nil, fmt.Errorf("git status: %w", err)
	}
	var out []string
	for p, s := range st {
		if s.Worktree != git.Unmodified || s.Staging != git.Unmodified {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}
