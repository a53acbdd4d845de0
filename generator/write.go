package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WriteOptions controls Write.
type WriteOptions struct {
	// Force allows writing into an existing non-empty directory. Only the
	// generator's own paths are written; no other file is touched or deleted.
	Force bool
	// failAfter makes the write fail after n files (tests of atomicity).
	failAfter int
}

// ErrNotEmpty is returned when the target exists and is not empty.
var ErrNotEmpty = errors.New("target directory is not empty")

// Write writes files into dir. A new project is rendered into a temporary
// directory beside dir and renamed into place, so an interrupted run leaves
// nothing half-written. With Force into an existing directory, each file is
// written to a temporary file and renamed, through an os.Root so a symlink
// inside the project cannot redirect a write outside it.
func Write(dir string, files Files, opts WriteOptions) error {
	for _, p := range files.Paths() {
		if !filepath.IsLocal(filepath.FromSlash(p)) || !fs.ValidPath(p) {
			return fmt.Errorf("refusing to write %q: not a local path", p)
		}
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return writeNew(dir, files, opts)
	case err != nil:
		return fmt.Errorf("check target: %w", err)
	case !st.IsDir():
		return usageErrorf("target %s exists and is a file: choose another name or --output directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read target: %w", err)
	}
	if len(entries) == 0 {
		// An empty directory (e.g. made by the user): replace it atomically.
		if err := os.Remove(dir); err != nil {
			return fmt.Errorf("replace empty target: %w", err)
		}
		if err := writeNew(dir, files, opts); err != nil {
			_ = os.Mkdir(dir, st.Mode().Perm()) // put the user's empty directory back
			return err
		}
		return nil
	}
	if !opts.Force {
		return &UsageError{Msg: fmt.Sprintf("target %s is not empty (%d entries): choose another directory, or pass --force to write omnistack's files into it (no other file is touched)", dir, len(entries))}
	}
	return writeInto(dir, files, opts)
}

// Replaced lists the paths of files that exist in dir with other content
// than files gives them: what Write with Force would overwrite. Reads go
// through an os.Root, as Write's writes do. A missing dir (or a file, which
// Write refuses) replaces nothing.
func Replaced(dir string, files Files) ([]string, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("check target: %w", err)
	}
	defer root.Close()
	var out []string
	for _, p := range files.Paths() {
		data, err := root.ReadFile(filepath.FromSlash(p))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			// A directory, or a symlink leaving dir: Write refuses it too.
			return nil, fmt.Errorf("check %s in %s: %w", p, dir, err)
		}
		if !bytes.Equal(data, files[p]) {
			out = append(out, p)
		}
	}
	return out, nil
}

func writeNew(dir string, files Files, opts WriteOptions) (err error) {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create parent directory: %w", err)
	}
	cleanStale(parent)
	tmp, err := os.MkdirTemp(parent, fmt.Sprintf(".omnistack-%d-*", os.Getpid()))
	if err != nil {
		return fmt.Errorf("create temporary directory beside %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return err
	}
	defer root.Close()
	for i, p := range files.Paths() {
		if opts.failAfter > 0 && i == opts.failAfter {
			return errors.New("injected failure")
		}
		if err := writeFile(root, p, files[p]); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("move project into place: %w", err)
	}
	return nil
}

// cleanStale removes temporary directories that an earlier omnistack run
// left behind when it was killed: their names carry the pid of the run, and
// only directories of processes that no longer exist are removed, so a
// concurrent run is never disturbed.
func cleanStale(parent string) {
	matches, _ := filepath.Glob(filepath.Join(parent, ".omnistack-*-*"))
	for _, m := range matches {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(m), ".omnistack-%d-", &pid); err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if processAlive(pid) {
			continue
		}
		if st, err := os.Lstat(m); err == nil && st.IsDir() {
			_ = os.RemoveAll(m)
		}
	}
}

func writeInto(dir string, files Files, opts WriteOptions) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for i, p := range files.Paths() {
		if opts.failAfter > 0 && i == opts.failAfter {
			return errors.New("injected failure")
		}
		if err := writeFileAtomic(root, p, files[p]); err != nil {
			return err
		}
	}
	return nil
}

func fileMode(p string, data []byte) os.FileMode {
	if strings.HasPrefix(string(data), "#!") {
		return 0o755
	}
	return 0o644
}

func writeFile(root *os.Root, p string, data []byte) error {
	if d := filepath.Dir(filepath.FromSlash(p)); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	f, err := root.OpenFile(filepath.FromSlash(p), os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode(p, data))
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	// No fsync per file: the renames make a run atomic against crashes of
	// the process, which is what the user can observe; like git, omnistack
	// leaves power-loss durability to the filesystem.
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// writeFileAtomic writes p through a temporary file in the same directory
// and renames it over the target.
func writeFileAtomic(root *os.Root, p string, data []byte) error {
	native := filepath.FromSlash(p)
	if d := filepath.Dir(native); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	tmp := filepath.Join(filepath.Dir(native), ".omnistack-"+filepath.Base(native)+".tmp")
	_ = root.Remove(tmp)
	if err := writeFile(root, filepath.ToSlash(tmp), data); err != nil {
		return err
	}
	if err := root.Rename(tmp, native); err != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// Apply writes a set of changes to an existing project as one transaction:
// every new content is first written to a temporary file beside its target;
// only when all are written are they renamed into place, each replaced or
// deleted file kept as a backup until the end. If any step fails, the files
// already moved are restored, so the project is left byte for byte as it
// was. Paths mapped to nil are deleted. All access goes through an os.Root,
// so a symlink inside the project cannot redirect a write outside it.
func Apply(dir string, changes map[string][]byte) error {
	return apply(dir, changes, -1)
}

func apply(dir string, changes map[string][]byte, failAfter int) (err error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	paths := Files(changes).Paths()
	for _, p := range paths {
		if !filepath.IsLocal(filepath.FromSlash(p)) || !fs.ValidPath(p) {
			return fmt.Errorf("refusing to write %q: not a local path", p)
		}
	}
	type step struct {
		path, tmp, backup string
		existed, moved    bool
	}
	steps := make([]*step, 0, len(paths))
	defer func() {
		for _, s := range steps {
			if s.tmp != "" {
				_ = root.Remove(s.tmp)
			}
		}
	}()
	// Phase 1: stage every new content.
	for _, p := range paths {
		native := filepath.FromSlash(p)
		s := &step{path: native}
		switch _, err := root.Lstat(native); {
		case err == nil:
			s.existed = true
			s.backup = filepath.Join(filepath.Dir(native), ".omnistack-"+filepath.Base(native)+".bak")
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("write %s: %w", p, err) // e.g. a symlink that leaves the project
		}
		if changes[p] != nil {
			if d := filepath.Dir(native); d != "." {
				if err := root.MkdirAll(d, 0o755); err != nil {
					return fmt.Errorf("write %s: %w", p, err)
				}
			}
			s.tmp = filepath.Join(filepath.Dir(native), ".omnistack-"+filepath.Base(native)+".tmp")
			_ = root.Remove(s.tmp)
			if err := writeFile(root, filepath.ToSlash(s.tmp), changes[p]); err != nil {
				return err
			}
		}
		steps = append(steps, s)
	}
	// Phase 2: move into place, keeping backups; undo on any failure.
	rollback := func() {
		for i := len(steps) - 1; i >= 0; i-- {
			s := steps[i]
			if !s.moved {
				continue
			}
			if s.existed {
				_ = root.Rename(s.backup, s.path)
			} else {
				_ = root.Remove(s.path)
			}
		}
	}
	for i, s := range steps {
		if failAfter >= 0 && i == failAfter {
			rollback()
			return errors.New("injected failure")
		}
		if s.existed {
			_ = root.Remove(s.backup)
			if err := root.Rename(s.path, s.backup); err != nil {
				rollback()
				return fmt.Errorf("write %s: %w", s.path, err)
			}
		}
		s.moved = true
		if s.tmp != "" {
			if err := root.Rename(s.tmp, s.path); err != nil {
				rollback()
				return fmt.Errorf("write %s: %w", s.path, err)
			}
			s.tmp = ""
		}
	}
	// Phase 3: drop the backups, and directories that deletions emptied
	// (Remove fails on a directory that still holds anything: it stays).
	for _, s := range steps {
		if s.existed {
			_ = root.Remove(s.backup)
		}
		if changes[filepath.ToSlash(s.path)] == nil {
			for d := filepath.Dir(s.path); d != "." && root.Remove(d) == nil; d = filepath.Dir(d) {
			}
		}
	}
	return nil
}
