package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sampleFiles() Files {
	return Files{
		"README.md":            []byte("# x\n"),
		"cmd/server/main.go":   []byte("package main\n"),
		"internal/app/app.go":  []byte("package app\n"),
		"scripts/run.sh":       []byte("#!/bin/sh\necho hi\n"),
		"internal/db/db.go":    []byte("package db\n"),
		".github/workflows/ci": []byte("on: push\n"),
	}
}

func TestWriteNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "myapp")
	if err := Write(dir, sampleFiles(), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for p, want := range sampleFiles() {
		got, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s = %q, %v", p, got, err)
		}
	}
	st, _ := os.Stat(filepath.Join(dir, "scripts/run.sh"))
	if st.Mode().Perm()&0o100 == 0 {
		t.Errorf("script with a shebang is not executable: %v", st.Mode())
	}
	assertNoTemps(t, filepath.Dir(dir))
}

func TestWriteInterruptedLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "myapp")
	for n := 1; n < len(sampleFiles()); n++ {
		err := Write(dir, sampleFiles(), WriteOptions{failAfter: n})
		if err == nil {
			t.Fatalf("failAfter %d: no error", n)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("failAfter %d: target exists after a failed write", n)
		}
		assertNoTemps(t, parent)
	}
}

func TestWriteRefusesNonEmpty(t *testing.T) {
	dir := t.TempDir()
	readme := filepath.Join(dir, "README.md")
	if err := os.WriteFile(readme, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := treeSnapshot(t, dir)
	err := Write(dir, sampleFiles(), WriteOptions{})
	if err == nil || !IsUsage(err) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v, want a usage error mentioning --force", err)
	}
	if after := treeSnapshot(t, dir); after != before {
		t.Errorf("tree changed after a refused write:\n%s\nvs\n%s", before, after)
	}
}

func TestWriteForceTouchesOnlyOwnPaths(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(mine, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, sampleFiles(), WriteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(mine); string(got) != "keep me\n" {
		t.Errorf("unrelated file changed: %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "README.md")); string(got) != "# x\n" {
		t.Errorf("README.md = %q", got)
	}
	assertNoTemps(t, dir)
}

func TestWriteForceRefusesSymlinkEscape(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "internal")); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, sampleFiles(), WriteOptions{Force: true}); err == nil {
		t.Fatal("write through a symlink that leaves the project succeeded")
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 0 {
		t.Errorf("files written outside the project: %v", entries)
	}
}

func TestWriteTargetIsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "myapp")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(f, sampleFiles(), WriteOptions{Force: true})
	if err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteUnwritableParent(t *testing.T) {
	if os.Geteuid() == 0 {
		// root ignores permission bits; use a parent that is a file instead.
		parent := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(parent, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := Write(filepath.Join(parent, "myapp"), sampleFiles(), WriteOptions{}); err == nil {
			t.Fatal("write under a file succeeded")
		}
		return
	}
	parent := t.TempDir()
	if err := os.Chmod(parent, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(parent, 0o755)
	if err := Write(filepath.Join(parent, "myapp"), sampleFiles(), WriteOptions{}); err == nil {
		t.Fatal("write into an unwritable parent succeeded")
	}
}

func TestWriteRejectsNonLocalPaths(t *testing.T) {
	for _, p := range []string{"../../etc/passwd", "/tmp/x", "a/../../b"} {
		dir := filepath.Join(t.TempDir(), "myapp")
		if err := Write(dir, Files{p: []byte("x")}, WriteOptions{}); err == nil {
			t.Errorf("Write accepted path %q", p)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%q: target created", p)
		}
	}
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, ".omnistack-*"))
	if len(matches) > 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

func treeSnapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		data := ""
		if !info.IsDir() {
			d, _ := os.ReadFile(p)
			data = string(d)
		}
		b.WriteString(p + " " + info.Mode().String() + " " + data + "\n")
		return nil
	})
	return b.String()
}

func TestApplyIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, sampleFiles(), WriteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	before := treeSnapshot(t, dir)
	changes := map[string][]byte{
		"README.md":           []byte("# changed\n"),
		"internal/app/app.go": nil, // delete
		"new/file.txt":        []byte("new\n"),
		"cmd/server/main.go":  []byte("package main // changed\n"),
	}
	for n := 0; n < len(changes); n++ {
		if err := apply(dir, changes, n); err == nil {
			t.Fatalf("failAfter %d: no error", n)
		}
		after := treeSnapshot(t, dir)
		// A directory created for staging may remain; files must not change.
		if stripDirs(after) != stripDirs(before) {
			t.Fatalf("failAfter %d: tree changed:\n%s\nwant\n%s", n, after, before)
		}
		assertNoTemps(t, dir)
	}
	if err := Apply(dir, changes); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "README.md")); string(got) != "# changed\n" {
		t.Errorf("README.md = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "internal/app/app.go")); !os.IsNotExist(err) {
		t.Errorf("deleted file still exists")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "new/file.txt")); string(got) != "new\n" {
		t.Errorf("new/file.txt = %q", got)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*", ".omnistack-*"))
	if len(matches) > 0 {
		t.Errorf("leftovers: %v", matches)
	}
}

func stripDirs(snapshot string) string {
	var keep []string
	for _, line := range strings.Split(snapshot, "\n") {
		if !strings.Contains(line, " d") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

func TestWriteCleansStaleTempsOfDeadRuns(t *testing.T) {
	parent := t.TempDir()
	// A run killed with SIGKILL: its pid no longer exists. A pid that is
	// alive (ours, as another run) must not be touched.
	dead := filepath.Join(parent, ".omnistack-999999999-123")
	alive := filepath.Join(parent, fmt.Sprintf(".omnistack-%d-456", os.Getppid()))
	for _, d := range []string{dead, alive} {
		if err := os.MkdirAll(filepath.Join(d, "internal"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(filepath.Join(parent, "myapp"), sampleFiles(), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("stale temp of a dead run not removed")
	}
	if _, err := os.Stat(alive); err != nil {
		t.Errorf("temp of a live run removed: %v", err)
	}
}

// TestApplyRefusesSymlinkEscape: add/remove/upgrade write through an
// os.Root, so a symlink inside the project cannot redirect a write (or a
// delete) outside it (SECURITY.md §11).
func TestApplyRefusesSymlinkEscape(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	victim := filepath.Join(outside, "keep.go")
	if err := os.WriteFile(victim, []byte("outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "internal")); err != nil {
		t.Fatal(err)
	}
	for _, changes := range []map[string][]byte{
		{"internal/new.go": []byte("package x\n")},
		{"internal/keep.go": []byte("overwritten\n")},
		{"internal/keep.go": nil},
	} {
		if err := Apply(dir, changes); err == nil {
			t.Errorf("Apply(%v) through a symlink succeeded", changes)
		}
	}
	entries, _ := os.ReadDir(outside)
	if got, _ := os.ReadFile(victim); len(entries) != 1 || string(got) != "outside\n" {
		t.Errorf("outside directory changed: %v, keep.go = %q", entries, got)
	}
}

func TestReplaced(t *testing.T) {
	dir := t.TempDir()
	files := sampleFiles()
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("mine\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "cmd/server"), 0o755)
	os.WriteFile(filepath.Join(dir, "cmd/server/main.go"), files["cmd/server/main.go"], 0o644)
	os.WriteFile(filepath.Join(dir, "other"), []byte("x\n"), 0o644)
	got, err := Replaced(dir, files)
	if err != nil || strings.Join(got, ",") != "README.md" {
		t.Errorf("Replaced = %v, %v; want [README.md] (same content and other files are not replaced)", got, err)
	}
	if got, err := Replaced(filepath.Join(dir, "missing"), files); err != nil || got != nil {
		t.Errorf("missing dir: %v, %v", got, err)
	}
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "app.go"), []byte("theirs\n"), 0o644)
	os.Symlink(outside, filepath.Join(dir, "internal"))
	if _, err := Replaced(dir, files); err == nil {
		t.Errorf("a symlink leaving the project was read through")
	}
}
