package generator

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// The merge base travels with the working tree: omnistack.yaml names the
// pristine commit it goes with (`pristine: <hash>`), so whatever puts an
// older omnistack.yaml back (git checkout, reset, revert, stash) puts the
// older base back with it.
//
// A commit cannot contain its own hash, so the pristine commit's tree holds
// the manifest exactly as Render wrote it, without the pristine line, and
// the working tree holds the same manifest stamped with the commit's hash.
// "Pristine files" below always means the tree with the stamped manifest:
// what the working tree holds when the owner changed nothing.
//
// Every pristine commit is kept reachable from PristineRef through parent
// links (a new one's parents are the ref's commit and, if it is not already
// in that history, the base it was merged from), so `git gc` never drops a
// base an older omnistack.yaml names.

// stamp returns files with the manifest recording the pristine commit h.
func stamp(files Files, h plumbing.Hash) (Files, error) { return setPristine(files, h.String()) }

// unstamp returns files with the manifest's pristine line removed: the
// tree a pristine commit stores.
func unstamp(files Files) (Files, error) { return setPristine(files, "") }

// setPristine returns files with the manifest's Pristine set to h. Files
// without a manifest (tests) are returned as they are.
func setPristine(files Files, h string) (Files, error) {
	data, ok := files[ManifestName]
	if !ok {
		return files, nil
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, err
	}
	if m.Pristine == h {
		return files, nil
	}
	m.Pristine = h
	out, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	changed := maps.Clone(files)
	changed[ManifestName] = out
	return changed, nil
}

// sameSpec reports whether two manifests describe the same generation.
func sameSpec(a, b *Manifest) bool {
	return a.Generator == b.Generator && a.Name == b.Name && a.Module == b.Module && slices.Equal(a.Features, b.Features)
}

// base is the merge base of a project with git: the pristine commit and
// its files (manifest stamped as the working tree has it).
type base struct {
	repo   *git.Repository
	commit plumbing.Hash
	files  Files
}

// findBase returns the pristine commit that goes with the manifest m of
// the project in dir: the commit m records or, for projects written before
// the record existed, the newest commit in PristineRef's history whose
// manifest is m. The error wraps ErrNoPristine when there is nothing to
// find (no repository, no ref, or a recorded commit this clone lacks), so
// callers may re-render instead.
func findBase(dir string, m *Manifest) (*base, error) {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return nil, ErrNoPristine
	}
	if m == nil || m.Pristine == "" {
		return findBaseByContent(repo, m)
	}
	h := plumbing.NewHash(m.Pristine)
	if len(m.Pristine) != 40 || h.String() != strings.ToLower(m.Pristine) {
		return nil, fmt.Errorf("%s: pristine %q is not a commit hash; put back the %s that goes with your files (git log -p %s)", ManifestName, m.Pristine, ManifestName, ManifestName)
	}
	c, err := repo.CommitObject(h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: %s records pristine commit %s, which this repository does not have (a clone does not fetch %s; fetch it with git fetch origin %s:%s)", ErrNoPristine, ManifestName, h, PristineRef, PristineRef, PristineRef)
	}
	if err != nil {
		return nil, fmt.Errorf("read pristine commit %s: %w", h, err)
	}
	files, err := commitFiles(c)
	if err != nil {
		return nil, err
	}
	if pm, err := ParseManifest(files[ManifestName]); err != nil || !sameSpec(pm, m) {
		return nil, fmt.Errorf("%s names pristine commit %s, which was generated for other features or another version; %s was edited by hand or merged: put back the %s that goes with your files (git log -p %s)", ManifestName, h.String()[:12], ManifestName, ManifestName, ManifestName)
	}
	stamped, err := stamp(files, h)
	if err != nil {
		return nil, err
	}
	return &base{repo: repo, commit: h, files: stamped}, nil
}

// findBaseByContent serves projects whose manifest records no pristine
// commit: they used the ref's newest commit, which an undone `add` had
// already moved; the newest commit with the same manifest is the one the
// working tree came from. Without one (a repository made after --no-git,
// then an add undone) the error wraps ErrNoPristine, so the caller
// re-renders.
func findBaseByContent(repo *git.Repository, m *Manifest) (*base, error) {
	ref, err := repo.Reference(PristineRef, true)
	if err != nil {
		return nil, ErrNoPristine
	}
	var found *object.Commit
	err = walkPristine(repo, ref.Hash(), func(c *object.Commit) (bool, error) {
		if m == nil {
			found = c
			return true, nil
		}
		f, err := c.File(ManifestName)
		if err != nil {
			return false, nil
		}
		data, err := f.Contents()
		if err != nil {
			return false, err
		}
		if pm, err := ParseManifest([]byte(data)); err == nil && sameSpec(pm, m) {
			found = c
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("%w: no commit in %s was generated for the features in %s (%s)", ErrNoPristine, PristineRef, ManifestName, strings.Join(m.Features, ", "))
	}
	files, err := commitFiles(found)
	if err != nil {
		return nil, err
	}
	return &base{repo: repo, commit: found.Hash, files: files}, nil
}

// walkPristine visits the commits reachable from head, newest first (breadth
// first over all parents), until visit reports done.
func walkPristine(repo *git.Repository, head plumbing.Hash, visit func(*object.Commit) (bool, error)) error {
	seen := map[plumbing.Hash]bool{head: true}
	queue := []plumbing.Hash{head}
	for len(queue) > 0 {
		c, err := repo.CommitObject(queue[0])
		queue = queue[1:]
		if err != nil {
			return fmt.Errorf("read %s history: %w", PristineRef, err)
		}
		done, err := visit(c)
		if err != nil || done {
			return err
		}
		for _, p := range c.ParentHashes {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	return nil
}

func commitFiles(c *object.Commit) (Files, error) {
	tree, err := c.Tree()
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
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		files[f.Name] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pristine files: %w", err)
	}
	return files, nil
}

// pendingPristine is the pristine commit of an update, computed in memory
// so that planning (and --dry-run) writes nothing; store and publish put it
// into the repository when the update is applied.
type pendingPristine struct {
	repo    *git.Repository
	commit  plumbing.Hash
	objects *memory.Storage // nil when an existing pristine commit is reused
}

// planPristine returns the pristine commit for files (stamped or not): an
// existing commit of PristineRef's history with the same tree — so undoing
// an `add` and running it again gives back the same omnistack.yaml byte for
// byte — or a new commit whose parents keep every base reachable.
func planPristine(repo *git.Repository, files Files, from plumbing.Hash, message string) (*pendingPristine, error) {
	plain, err := unstamp(files)
	if err != nil {
		return nil, err
	}
	mem := memory.NewStorage()
	tree, err := writeTree(mem, plain)
	if err != nil {
		return nil, err
	}
	var parents []plumbing.Hash
	if ref, err := repo.Reference(PristineRef, true); err == nil {
		var reuse plumbing.Hash
		fromReachable := from.IsZero()
		err := walkPristine(repo, ref.Hash(), func(c *object.Commit) (bool, error) {
			if c.TreeHash == tree && reuse.IsZero() {
				reuse = c.Hash
			}
			if c.Hash == from {
				fromReachable = true
			}
			return !reuse.IsZero() && fromReachable, nil
		})
		if err != nil {
			return nil, err
		}
		if !reuse.IsZero() && fromReachable {
			return &pendingPristine{repo: repo, commit: reuse}, nil
		}
		parents = append(parents, ref.Hash())
		if !fromReachable {
			parents = append(parents, from)
		}
	} else if !from.IsZero() {
		parents = append(parents, from)
	}
	commit, err := writeCommit(mem, tree, parents, message)
	if err != nil {
		return nil, err
	}
	return &pendingPristine{repo: repo, commit: commit, objects: mem}, nil
}

// store copies the new commit's objects into the repository, skipping
// those it already has (most blobs of an `add`).
func (p *pendingPristine) store() error {
	if p.objects == nil {
		return nil
	}
	for h, obj := range p.objects.ObjectStorage.Objects {
		if p.repo.Storer.HasEncodedObject(h) == nil {
			continue
		}
		if _, err := p.repo.Storer.SetEncodedObject(obj); err != nil {
			return fmt.Errorf("store pristine object %s: %w", h, err)
		}
	}
	return nil
}

// publish points PristineRef at the new commit.
func (p *pendingPristine) publish() error {
	if p.objects == nil {
		return nil
	}
	return p.repo.Storer.SetReference(plumbing.NewHashReference(PristineRef, p.commit))
}

// writeManifest writes data as the project's omnistack.yaml.
func writeManifest(dir string, data []byte) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return writeFileAtomic(root, filepath.FromSlash(ManifestName), data)
}

// CommitPristine records files as a new pristine commit on top of
// PristineRef, as if another omnistack version had generated them (tools
// and tests use it), and returns them with the manifest stamped with the
// commit: the omnistack.yaml a working tree must hold to use it as base.
func CommitPristine(dir string, files Files, message string) (Files, error) {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return nil, err
	}
	var from plumbing.Hash
	if ref, err := repo.Reference(PristineRef, true); err == nil {
		from = ref.Hash()
	}
	p, err := planPristine(repo, files, from, message)
	if err != nil {
		return nil, err
	}
	if err := p.store(); err != nil {
		return nil, err
	}
	if err := p.publish(); err != nil {
		return nil, err
	}
	return stamp(files, p.commit)
}
