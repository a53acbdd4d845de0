package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Local is a Backend on a directory of the local disk. Every access goes
// through an os.Root: a key that would leave the directory, through ".."
// or a symbolic link, fails instead (SECURITY.md §9). Keys are also
// checked lexically (filepath.IsLocal) before they reach the file system.
type Local struct {
	dir  string
	mu   sync.Mutex
	root *os.Root // nil until the directory exists
}

var _ Backend = (*Local)(nil)

// NewLocal returns the backend on dir. An existing dir is opened at once
// (an error when it is not a directory); a missing one is created by the
// first upload, so that a service, or a test, that stores nothing leaves
// no directory behind. Close the backend when done.
func NewLocal(dir string) (*Local, error) {
	l := &Local{dir: dir}
	if _, err := l.open(false); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return l, nil
}

// open returns the root, opening the directory on first use and creating
// it when create is set; fs.ErrNotExist while it does not exist.
func (l *Local) open(create bool) (*os.Root, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.root != nil {
		return l.root, nil
	}
	if create {
		if err := os.MkdirAll(l.dir, 0o750); err != nil {
			return nil, fmt.Errorf("storage directory: %w", err)
		}
	}
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, fmt.Errorf("storage directory: %w", err)
	}
	l.root = root
	return root, nil
}

// Close releases the directory.
func (l *Local) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.root == nil {
		return nil
	}
	err := l.root.Close()
	l.root = nil
	return err
}

// reading returns the root for a read of key: ErrNotFound while the
// directory does not exist.
func (l *Local) reading(key string) (*os.Root, string, error) {
	p, err := name(key)
	if err != nil {
		return nil, "", err
	}
	root, err := l.open(false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", ErrNotFound
	}
	return root, p, err
}

// name checks key and returns it as a path inside the root.
func name(key string) (string, error) {
	p := filepath.FromSlash(key)
	if key == "" || strings.ContainsRune(key, 0) || strings.Contains(key, `\`) || !filepath.IsLocal(p) || path.Clean(key) != key {
		return "", fmt.Errorf("storage: key %q is not a local path", key)
	}
	return p, nil
}

// Put implements Backend: it writes to a temporary file next to the
// object and renames it into place, so a reader never sees half a file.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, _ string) (err error) {
	p, err := name(key)
	if err != nil {
		return err
	}
	root, err := l.open(true)
	if err != nil {
		return err
	}
	if dir := filepath.Dir(p); dir != "." {
		if err := root.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
	}
	tmp := p + ".part"
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = root.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, readerCtx{ctx, r})
	if err != nil {
		return fmt.Errorf("storage: write %s: %w", key, err)
	}
	if n != size {
		return fmt.Errorf("storage: write %s: %d bytes, want %d", key, n, size)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storage: write %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("storage: write %s: %w", key, err)
	}
	if err := root.Rename(tmp, p); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

// readerCtx stops a copy once ctx is done (a client that went away).
type readerCtx struct {
	ctx context.Context
	r   io.Reader
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// Open implements Backend.
func (l *Local) Open(_ context.Context, key string) (io.ReadCloser, error) {
	root, p, err := l.reading(key)
	if err != nil {
		return nil, err
	}
	f, err := root.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	return f, nil
}

// Stat implements Backend.
func (l *Local) Stat(_ context.Context, key string) (int64, error) {
	root, p, err := l.reading(key)
	if err != nil {
		return 0, err
	}
	fi, err := root.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("storage: %w", err)
	}
	return fi.Size(), nil
}

// ReadHead implements Backend.
func (l *Local) ReadHead(ctx context.Context, key string, n int) ([]byte, error) {
	rc, err := l.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := make([]byte, n)
	m, err := io.ReadFull(rc, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("storage: read %s: %w", key, err)
	}
	return b[:m], nil
}

// Delete implements Backend.
func (l *Local) Delete(_ context.Context, key string) error {
	root, p, err := l.reading(key)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}
