package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/storage"
)

// tree lists the regular files under dir, relative to it.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func newLocal(t *testing.T, dir string) *storage.Local {
	t.Helper()
	l, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// TestLocalHostileNames uploads files whose client names try to leave the
// directory: each lands under its random key inside the root, and the
// name is only cleaned metadata (SECURITY.md §9).
func TestLocalHostileNames(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "files")
	svc := storage.New(dbtest.Open(t), newLocal(t, dir), storage.Config{
		MaxFileBytes: 1 << 10, QuotaBytes: 1 << 20, MaxFiles: 100, AllowedTypes: []string{"image/png"},
	})
	body := []byte("\x89PNG\r\n\x1a\nbody")
	var keys []string
	for _, name := range []string{
		"../../etc/passwd", `..\..\x`, "%2e%2e%2f%2e%2e%2fx", "a\x00.png", strings.Repeat("n", 300) + ".png", "/abs/path.png", "",
	} {
		f, err := svc.Upload(ctx, 3, name, bytes.NewReader(body))
		if err != nil {
			t.Fatalf("upload %q: %v", name, err)
		}
		if len(f.Name) > 255 || strings.ContainsAny(f.Name, "/\\\x00") {
			t.Errorf("name %q kept as %q", name, f.Name)
		}
		keys = append(keys, f.Key)
	}
	got := tree(t, parent)
	if len(got) != len(keys) {
		t.Fatalf("files under %s: %v, want %d", parent, got, len(keys))
	}
	for _, k := range keys {
		if !slices.Contains(got, "files/"+k) {
			t.Errorf("key %s not under the root: %v", k, got)
		}
		if !strings.HasPrefix(k, "3/") || len(k) != 2+32 {
			t.Errorf("key %q is not <user>/<random>", k)
		}
	}
}

// TestLocalSymlinkEscape plants a symbolic link in the storage directory
// pointing outside it: writes through it fail, nothing lands outside.
func TestLocalSymlinkEscape(t *testing.T) {
	ctx := context.Background()
	dir, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "9")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := newLocal(t, dir)
	if err := l.Put(ctx, "9/abc", strings.NewReader("x"), 1, "text/plain"); err == nil {
		t.Fatal("Put through a symlink out of the root succeeded")
	}
	if _, err := l.Open(ctx, "9/secret"); err == nil {
		t.Fatal("Open through a symlink out of the root succeeded")
	}
	if _, err := l.Stat(ctx, "9/secret"); err == nil {
		t.Fatal("Stat through a symlink out of the root succeeded")
	}
	if err := l.Delete(ctx, "9/secret"); err == nil {
		t.Fatal("Delete through a symlink out of the root succeeded")
	}
	if got := tree(t, outside); len(got) != 1 || got[0] != "secret" {
		t.Fatalf("outside the root: %v", got)
	}

	svc := storage.New(dbtest.Open(t), l, storage.Config{MaxFileBytes: 100, QuotaBytes: 1000, MaxFiles: 10, AllowedTypes: []string{"text/plain"}})
	if _, err := svc.Upload(ctx, 9, "a.txt", strings.NewReader("hello")); err == nil {
		t.Fatal("upload of user 9, whose directory is a symlink out, succeeded")
	}
	if got := tree(t, outside); len(got) != 1 {
		t.Fatalf("outside the root after the upload: %v", got)
	}
}

func TestNewLocalNeedsADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.NewLocal(file); err == nil {
		t.Fatal("NewLocal of a regular file succeeded")
	}
}

// TestLocalKeys: the backend refuses keys that are not plain relative
// paths, whatever the Service would pass.
func TestLocalKeys(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	l := newLocal(t, filepath.Join(parent, "root"))
	for _, key := range []string{"../x", "a/../../x", "/etc/passwd", "a\x00b", `a\..\..\x`, "", "a//b", "./a"} {
		if err := l.Put(ctx, key, strings.NewReader("x"), 1, "text/plain"); err == nil {
			t.Errorf("Put(%q) succeeded", key)
		}
		if _, err := l.Open(ctx, key); err == nil || errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want a refusal", key, err)
		}
	}
	if got := tree(t, parent); len(got) != 0 {
		t.Fatalf("files written: %v", got)
	}
	if _, err := os.Stat(filepath.Join(parent, "root")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the directory exists before the first upload: %v", err)
	}
	if _, err := l.Stat(ctx, "1/none"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Stat before the directory exists: %v, want ErrNotFound", err)
	}

	// A short write leaves nothing, not even the temporary file.
	if err := l.Put(ctx, "1/short", strings.NewReader("abc"), 4, "text/plain"); err == nil {
		t.Fatal("Put of 3 bytes declared 4 succeeded")
	}
	if got := tree(t, parent); len(got) != 0 {
		t.Fatalf("files after a short write: %v", got)
	}
	// A cancelled context stops the write.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.Put(cctx, "1/cancelled", strings.NewReader("abc"), 3, "text/plain"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context: %v", err)
	}

	if err := l.Put(ctx, "1/ok", strings.NewReader("hello"), 5, "text/plain"); err != nil {
		t.Fatal(err)
	}
	if n, err := l.Stat(ctx, "1/ok"); err != nil || n != 5 {
		t.Fatalf("Stat = %d, %v", n, err)
	}
	if head, err := l.ReadHead(ctx, "1/ok", 512); err != nil || string(head) != "hello" {
		t.Fatalf("ReadHead = %q, %v", head, err)
	}
	if err := l.Delete(ctx, "1/ok"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Stat(ctx, "1/ok"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Stat after Delete: %v", err)
	}
	if err := l.Delete(ctx, "1/ok"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
}
