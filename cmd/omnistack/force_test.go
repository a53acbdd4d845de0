package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNewForceListsReplaced: --force may overwrite the owner's files with
// omnistack's, but lists every one it replaces, and --dry-run --force lists
// them before anything is written.
func TestNewForceListsReplaced(t *testing.T) {
	dir := t.TempDir()
	owner := map[string]string{
		"Makefile":  "mine:\n\techo mine\n",
		"README.md": "# my notes\n",
		"NOTES.txt": "not omnistack's\n",
	}
	for name, data := range owner {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	listed := func(out string) []string {
		var got []string
		for _, line := range strings.Split(out, "\n") {
			if p, ok := strings.CutPrefix(line, "  "); ok && !strings.Contains(p, " ") {
				got = append(got, p)
			}
		}
		return got
	}

	r := run(t, nil, "new", "myapp", "--yes", "-o", dir, "--dry-run", "--force")
	if r.code != 0 || !strings.Contains(r.stdout, "Would replace 2 existing files") {
		t.Fatalf("dry run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := strings.Join(listed(r.stdout), ","); got != "Makefile,README.md" {
		t.Errorf("dry run lists %q as replaced, want Makefile,README.md:\n%s", got, r.stdout)
	}
	for name, data := range owner {
		if got, _ := os.ReadFile(filepath.Join(dir, name)); string(got) != data {
			t.Errorf("dry run changed %s", name)
		}
	}

	// Without --force, the dry run says new would refuse, and why it matters.
	r = run(t, nil, "new", "myapp", "--yes", "-o", dir, "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "refuses it without --force, which would replace 2 existing files") {
		t.Errorf("dry run without --force:\n%s%s", r.stdout, r.stderr)
	}

	r = run(t, nil, "new", "myapp", "--yes", "-o", dir, "--force", "--no-git")
	if r.code != 0 || !strings.Contains(r.stdout, "Replaced 2 existing files") {
		t.Fatalf("new --force: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := strings.Join(listed(r.stdout[:strings.Index(r.stdout, "Created")]), ","); got != "Makefile,README.md" {
		t.Errorf("new --force lists %q as replaced:\n%s", got, r.stdout)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "NOTES.txt")); string(got) != owner["NOTES.txt"] {
		t.Errorf("NOTES.txt touched")
	}

	// Again: omnistack's own files are the same, nothing is reported.
	r = run(t, nil, "new", "myapp", "--yes", "-o", dir, "--force", "--no-git")
	if r.code != 0 || strings.Contains(r.stdout, "existing file") {
		t.Errorf("second new --force: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
