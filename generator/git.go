package generator

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
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

// PristineRef points at the newest pristine commit: a tree exactly as
// omnistack generated it. Its parents reach every earlier one. The merge
// base of `add`, `remove`, `status` and `upgrade` is the pristine commit
// that omnistack.yaml records (see pristine.go), which after an undo is an
// older one; the ref moves on every change that generates a new tree.
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

// InitRepo creates a git repository in dir holding the generated files:
// a pristine commit with exactly the rendered tree, which PristineRef points
// at, and a first commit on branch main with the same files except that
// omnistack.yaml, rewritten in dir too, records the pristine commit. It
// returns the commit on main.
func InitRepo(dir string, files Files, message string) (plumbing.Hash, error) {
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("git init: %w", err)
	}
	pend, err := planPristine(repo, files, plumbing.ZeroHash, "Pristine tree: "+message)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	stamped, err := stamp(files, pend.commit)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tree, err := writeTree(pend.objects, stamped)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	commit, err := writeCommit(pend.objects, tree, nil, message)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if err := pend.store(); err != nil {
		return plumbing.ZeroHash, err
	}
	if data, ok := stamped[ManifestName]; ok {
		if err := writeManifest(dir, data); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("main"), commit)); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := pend.publish(); err != nil {
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

// ReadPristine returns the pristine files of the project in dir: the tree
// of the pristine commit its omnistack.yaml goes with, manifest included as
// the working tree holds it, i.e. what dir holds if the owner changed
// nothing. It returns ErrNoPristine without a repository or ref.
func ReadPristine(dir string) (Files, error) {
	var m *Manifest
	if data, err := os.ReadFile(filepath.Join(dir, ManifestName)); err == nil {
		if m, err = ParseManifest(data); err != nil {
			return nil, err
		}
	}
	b, err := findBase(dir, m)
	if err != nil {
		return nil, err
	}
	return b.files, nil
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
