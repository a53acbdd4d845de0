package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"

	"github.com/omnistack/omnistack/generator/merge"
)

// Project is a generated project on disk.
type Project struct {
	Dir      string
	Manifest *Manifest
}

// FindProject walks up from start to the directory holding omnistack.yaml.
func FindProject(start string) (*Project, error) {
	abs, err := filepath.Abs(start)
	if err != nil {
		return nil, err
	}
	for d := abs; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, ManifestName))
		if err == nil {
			m, err := ParseManifest(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Join(d, ManifestName), err)
			}
			return &Project{Dir: d, Manifest: m}, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if filepath.Dir(d) == d {
			return nil, &UsageError{Msg: fmt.Sprintf("no %s in %s or any parent: run this inside a project made by omnistack new", ManifestName, abs)}
		}
	}
}

// Change is what an update does to one path.
type Change struct {
	Path      string
	Status    merge.Status
	Ours      []byte // the user's file before; nil if absent
	Content   []byte // the file after; nil if absent
	Conflicts int
	Note      string
}

// Writes reports whether applying the change modifies the working tree.
func (c Change) Writes() bool {
	switch c.Status {
	case merge.StatusUnchanged, merge.StatusKeptDeleted, merge.StatusKeptEdited:
		return false
	}
	return !bytes.Equal(c.Ours, c.Content) || (c.Ours == nil) != (c.Content == nil)
}

// Update is a planned add, remove or upgrade: computed entirely in memory,
// applied by Apply.
type Update struct {
	Project  *Project
	Old, New *Resolved
	Changes  []Change // every path of base, ours-at-those-paths and theirs, sorted
	Theirs   Files    // the new render, manifest stamped with its pristine commit: the next pristine files
	BaseFrom string   // "pristine commit <hash>" or "re-render"

	pristine *pendingPristine // nil without a repository
}

// Conflicts returns the changes that hold conflict markers or sidecars.
func (u *Update) Conflicts() []Change {
	var out []Change
	for _, c := range u.Changes {
		if c.Status == merge.StatusConflict {
			out = append(out, c)
		}
	}
	return out
}

// Writes returns the changes that modify the working tree.
func (u *Update) Writes() []Change {
	var out []Change
	for _, c := range u.Changes {
		if c.Writes() {
			out = append(out, c)
		}
	}
	return out
}

// PlanUpdate computes, without writing anything, what re-generating the
// project with the given features does to it: base is the pristine tree
// (or a re-render of the manifest when there is no git and the generator
// version is this one), ours is the working tree, theirs is the new render.
func (r *Registry) PlanUpdate(p *Project, features []string) (*Update, error) {
	m := p.Manifest
	old, err := r.Resolve(Spec{Name: m.Name, Module: m.Module, Features: m.Features})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	next, err := r.Resolve(Spec{Name: m.Name, Module: m.Module, Features: features})
	if err != nil {
		return nil, err
	}
	b, from, err := r.baseTree(p, old)
	if err != nil {
		return nil, err
	}
	base := b.files
	theirs, err := r.Render(next)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	u := &Update{Project: p, Old: old, New: next, BaseFrom: from}
	if b.repo != nil {
		// A project with git gets a pristine commit even when its base was
		// re-rendered (a repository made after `new --no-git`), so from now
		// on its base travels with its files.
		msg := fmt.Sprintf("omnistack %s: features %s", Version, strings.Join(next.Features, ", "))
		if u.pristine, err = planPristine(b.repo, theirs, b.commit, msg); err != nil {
			return nil, err
		}
		if theirs, err = stamp(theirs, u.pristine.commit); err != nil {
			return nil, err
		}
	}
	u.Theirs = theirs
	ours, err := readTree(p.Dir, base, theirs)
	if err != nil {
		return nil, err
	}
	paths := map[string]bool{}
	for _, set := range []Files{base, theirs} {
		for p := range set {
			paths[p] = true
		}
	}
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		bv, ov, tv := version(base, path), version(ours, path), version(theirs, path)
		if path == ManifestName && ov.Exists {
			// The manifest is omnistack's record, not a merge: it always
			// becomes the new one.
			u.Changes = append(u.Changes, Change{Path: path, Status: statusFor(ov.Data, tv.Data), Ours: ov.Data, Content: tv.Data})
			continue
		}
		res := merge.File(path, bv, ov, tv)
		c := Change{Path: path, Status: res.Status, Ours: ov.Data, Content: res.Content, Conflicts: res.Conflicts, Note: res.Note}
		if res.Status == merge.StatusDeleted {
			c.Content = nil
		}
		u.Changes = append(u.Changes, c)
		if res.SidecarPath != "" {
			u.Changes = append(u.Changes, Change{Path: res.SidecarPath, Status: merge.StatusConflict, Content: res.Sidecar, Note: "omnistack's version of " + path})
		}
	}
	sort.SliceStable(u.Changes, func(i, j int) bool { return u.Changes[i].Path < u.Changes[j].Path })
	return u, nil
}

func statusFor(ours, theirs []byte) merge.Status {
	if bytes.Equal(ours, theirs) {
		return merge.StatusUnchanged
	}
	return merge.StatusUpdated
}

func version(f Files, path string) merge.Version {
	data, ok := f[path]
	if !ok {
		return merge.Version{}
	}
	return merge.Present(data)
}

// baseTree returns the files the user started from: the pristine commit
// the manifest goes with or, when there is none, a re-render of the
// manifest by the same omnistack version. The base's repo is set whenever
// the project has a git repository.
func (r *Registry) baseTree(p *Project, old *Resolved) (*base, string, error) {
	b, err := findBase(p.Dir, p.Manifest)
	if err == nil {
		return b, "pristine commit " + b.commit.String()[:12], nil
	}
	if !errors.Is(err, ErrNoPristine) {
		return nil, "", err
	}
	why := fmt.Sprintf("there is no git repository with %s", PristineRef)
	if err != ErrNoPristine {
		why = strings.TrimPrefix(err.Error(), ErrNoPristine.Error()+": ")
	}
	if p.Manifest.Generator != Version {
		return nil, "", fmt.Errorf("cannot find what omnistack generated for this project: %s, and the project was generated by omnistack %s, not %s, so re-rendering it would not give the same files: %s", why, p.Manifest.Generator, Version, versionAdvice(p.Manifest.Generator))
	}
	files, err := r.Render(old)
	if err != nil {
		return nil, "", fmt.Errorf("re-render %s: %w", ManifestName, err)
	}
	b = &base{files: files}
	if repo, err := git.PlainOpen(p.Dir); err == nil {
		b.repo = repo
	}
	return b, "re-render", nil
}

// readTree reads the user's files at every path of the given trees. Reads go
// through an os.Root: a symlink cannot make omnistack read outside.
func readTree(dir string, trees ...Files) (Files, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	out := Files{}
	for _, t := range trees {
		for p := range t {
			if _, done := out[p]; done {
				continue
			}
			data, err := root.ReadFile(filepath.FromSlash(p))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", p, err)
			}
			out[p] = data
		}
	}
	return out, nil
}

// Apply writes the update as one transaction and records the new render as
// the pristine commit (when the project has a repository): its objects are
// stored before the files are written, so omnistack.yaml never names a
// commit that does not exist, and the ref moves after.
func (u *Update) Apply() error {
	changes := map[string][]byte{}
	for _, c := range u.Writes() {
		changes[c.Path] = c.Content
	}
	if u.pristine != nil {
		if err := u.pristine.store(); err != nil {
			return err
		}
	}
	if err := Apply(u.Project.Dir, changes); err != nil {
		return err
	}
	if u.pristine != nil {
		if err := u.pristine.publish(); err != nil {
			return fmt.Errorf("files written, but moving %s failed: %w", PristineRef, err)
		}
	}
	return nil
}

// DirtyFiles lists uncommitted changes in the project's repository, using
// the git command when it is installed (fast) and go-git otherwise. A
// project without a repository reports none.
func DirtyFiles(dir string) ([]string, error) {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return nil, nil
	}
	if gitBin, err := exec.LookPath("git"); err == nil {
		cmd := exec.Command(gitBin, "status", "--porcelain", "--untracked-files=all")
		cmd.Dir = dir
		out, err := cmd.Output()
		if err == nil {
			var files []string
			for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
				if len(line) > 3 {
					files = append(files, line[3:])
				}
			}
			return files, nil
		}
	}
	files, err := Dirty(dir)
	if errors.Is(err, ErrNoPristine) {
		return nil, nil
	}
	return files, err
}

// FileStatus is one generated file's state against the pristine tree.
type FileStatus struct {
	Path   string
	Status string // "modified" or "deleted"
}

// Status compares the working tree with the pristine tree.
func (r *Registry) Status(p *Project) ([]FileStatus, string, error) {
	old, err := r.Resolve(Spec{Name: p.Manifest.Name, Module: p.Manifest.Module, Features: p.Manifest.Features})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", ManifestName, err)
	}
	b, from, err := r.baseTree(p, old)
	if err != nil {
		return nil, "", err
	}
	base := b.files
	ours, err := readTree(p.Dir, base)
	if err != nil {
		return nil, "", err
	}
	var out []FileStatus
	for _, path := range base.Paths() {
		data, ok := ours[path]
		switch {
		case !ok:
			out = append(out, FileStatus{path, "deleted"})
		case !bytes.Equal(data, base[path]):
			out = append(out, FileStatus{path, "modified"})
		}
	}
	return out, from, nil
}

// WithAdded returns current plus names, validated; it owns the rule for
// exclusive groups that new (through Compose) and add share. Every unknown
// name is reported at once. A member of an exclusive *required* group (the
// database) replaces the current member, since the group cannot be empty
// and removing it first is impossible; a member of another exclusive group
// (auth) that already has one is refused with an *ExclusiveError naming the
// choices, as is asking for two members of one group at once.
func (r *Registry) WithAdded(current, names []string) ([]string, error) {
	names = cleanNames(names)
	if err := r.CheckChoosable(names); err != nil {
		return nil, err
	}
	out := slices.Clone(current)
	for _, name := range names {
		if g := r.Group(r.Features[name].Group); g != nil && g.Exclusive {
			if have := r.exclusiveMember(out, g, name); have != "" {
				if g.Required && !slices.Contains(names, have) {
					out = slices.DeleteFunc(out, func(x string) bool { return x == have })
				} else {
					return nil, &ExclusiveError{Group: g.Name, Have: have, Add: name, Choices: featureNames(r.InGroup(g.Name))}
				}
			}
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if _, _, err := r.ResolveFeatures(out); err != nil {
		return nil, err
	}
	return out, nil
}
