package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omnistack/omnistack/generator/merge"
)

// TestAddPrintsUndo: add prints the exact command that undoes it, and
// running that command (with the real git) leaves a project whose status is
// clean and on which the same add gives the same files again.
func TestAddPrintsUndo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	if r := run(t, nil, "new", "svc", "--yes", "-o", dir); r.code != 0 {
		t.Fatalf("new: %s", r.stderr)
	}
	before := snapshot(t, dir)
	r := run(t, nil, "add", "ratelimit", "-C", dir)
	if r.code != 0 {
		t.Fatalf("add: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	first := snapshot(t, dir)
	const prefix = "Undo with: "
	var undo string
	for _, line := range strings.Split(r.stdout, "\n") {
		if cmd, ok := strings.CutPrefix(line, prefix); ok {
			undo = cmd
		}
	}
	if undo != "cd "+dir+" && git checkout -- . && git clean -fd" {
		t.Fatalf("undo command %q:\n%s", undo, r.stdout)
	}
	if out, err := exec.Command("sh", "-c", undo).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", undo, err, out)
	}
	if got := snapshot(t, dir); got != before {
		t.Errorf("after the undo the files differ from before the add:\n%s", merge.Unified("project", []byte(before), []byte(got)))
	}
	if r := run(t, nil, "status", "-C", dir); r.code != 0 || !strings.Contains(r.stdout, "no generated file changed") {
		t.Errorf("status after undo:\n%s%s", r.stdout, r.stderr)
	}
	if r := run(t, nil, "add", "ratelimit", "-C", dir); r.code != 0 {
		t.Fatalf("add again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := snapshot(t, dir); got != first {
		t.Errorf("add after undo differs from the first add:\n%s", merge.Unified("project", []byte(first), []byte(got)))
	}

	// With --force on a dirty tree, plain git would discard the owner's
	// changes too: say so instead of printing it as the undo.
	appendLine(t, filepath.Join(dir, "README.md"), "Owner's line.\n")
	r = run(t, nil, "add", "redis", "-C", dir, "--force")
	if r.code != 0 || strings.Contains(r.stdout, prefix) || !strings.Contains(r.stdout, "would discard too") {
		t.Errorf("add --force on a dirty tree: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Without git there is nothing to undo with.
	nogit := filepath.Join(t.TempDir(), "plain")
	if r := run(t, nil, "new", "plain", "--yes", "--no-git", "-o", nogit); r.code != 0 {
		t.Fatalf("new --no-git: %s", r.stderr)
	}
	if r := run(t, nil, "add", "ratelimit", "-C", nogit); r.code != 0 || strings.Contains(r.stdout, "Undo") {
		t.Errorf("add without git: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// snapshot is every file of the project outside .git, path and content,
// one per line.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if d != nil && d.Name() == ".git" {
				return filepath.SkipDir
			}
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString("== " + filepath.ToSlash(rel) + "\n" + string(data) + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
