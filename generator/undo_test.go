package generator

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// git runs the real git command in dir, as the owner of a project would.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=owner", "GIT_AUTHOR_EMAIL=owner@example.com",
		"GIT_COMMITTER_NAME=owner", "GIT_COMMITTER_EMAIL=owner@example.com",
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// addFeature is `omnistack add name` on the project in dir, as the CLI does it.
func addFeature(t *testing.T, reg *Registry, dir, name string) *Update {
	t.Helper()
	p, err := FindProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := reg.WithAdded(p.Manifest.Features, []string{name})
	if err != nil {
		t.Fatal(err)
	}
	return planApply(t, reg, p, want)
}

// assertStatusClean checks that omnistack status reports no generated file
// changed.
func assertStatusClean(t *testing.T, reg *Registry, dir string) {
	t.Helper()
	p, err := FindProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, from, err := reg.Status(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 0 {
		t.Errorf("status after undo (compared with the %s): %v", from, st)
	}
}

// TestUndoAdd: whichever way the owner undoes an `add` with git, project,
// manifest and merge base stay consistent: status reports nothing changed,
// and the same `add` again gives byte for byte the tree of the first one.
func TestUndoAdd(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("these tests run the real git command, which is not installed")
	}
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	undos := []struct {
		name string
		undo func(t *testing.T, dir string)
		// leavesNew: git keeps the untracked files the add created.
		leavesNew bool
	}{
		{"checkout+clean", func(t *testing.T, dir string) {
			gitRun(t, dir, "checkout", "--", ".")
			gitRun(t, dir, "clean", "-fd")
		}, false},
		{"reset-hard", func(t *testing.T, dir string) {
			gitRun(t, dir, "reset", "--hard")
		}, true},
		{"checkout-only", func(t *testing.T, dir string) {
			gitRun(t, dir, "checkout", ".")
		}, true},
		{"stash", func(t *testing.T, dir string) {
			gitRun(t, dir, "stash", "-u")
		}, false},
		{"revert", func(t *testing.T, dir string) {
			gitRun(t, dir, "add", "-A")
			gitRun(t, dir, "commit", "-q", "-m", "add ratelimit")
			gitRun(t, dir, "revert", "--no-edit", "HEAD")
		}, false},
	}
	for _, u := range undos {
		t.Run(u.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "myapp")
			newRealProject(t, reg, dir, []string{"sqlite"})
			gitRun(t, dir, "commit", "-q", "--allow-empty", "-m", "owner's work")
			before := readAll(t, dir)

			addFeature(t, reg, dir, "ratelimit")
			first := readAll(t, dir)
			if _, ok := first["internal/ratelimit/limiter.go"]; !ok {
				t.Fatalf("add ratelimit wrote no internal/ratelimit/limiter.go: %v", first.Paths())
			}
			u.undo(t, dir)

			after := readAll(t, dir)
			if u.leavesNew {
				for p := range first {
					if _, was := before[p]; !was {
						delete(after, p) // git leaves untracked files alone
					}
				}
			}
			assertSameFiles(t, after, before)
			assertStatusClean(t, reg, dir)

			again := addFeature(t, reg, dir, "ratelimit")
			assertSameFiles(t, readAll(t, dir), first)
			if len(again.Conflicts()) != 0 {
				t.Errorf("add again: %d conflicts", len(again.Conflicts()))
			}
			assertStatusClean(t, reg, dir)
		})
	}
}

// TestUndoStashPop: the add comes back with git stash pop, and its base
// with it.
func TestUndoStashPop(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "myapp")
	newRealProject(t, reg, dir, []string{"sqlite"})
	addFeature(t, reg, dir, "ratelimit")
	first := readAll(t, dir)
	gitRun(t, dir, "stash", "-u")
	addFeature(t, reg, dir, "redis") // another add while the first is stashed
	gitRun(t, dir, "checkout", "--", ".")
	gitRun(t, dir, "clean", "-fd")
	gitRun(t, dir, "stash", "pop")
	assertSameFiles(t, readAll(t, dir), first)
	assertStatusClean(t, reg, dir)
	p, _ := FindProject(dir)
	if u, err := reg.PlanUpdate(p, p.Manifest.Features); err != nil || len(u.Writes()) != 0 {
		t.Errorf("upgrade after stash pop: %v, writes %d files", err, len(u.Writes()))
	}
}

// TestUndoAddOldProject: a project made before omnistack.yaml recorded its
// pristine commit finds its base by the manifest's content, and gets the
// record with its next add.
func TestUndoAddOldProject(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "myapp")
	newRealProject(t, reg, dir, []string{"sqlite"})
	// What older omnistack versions wrote: no pristine line.
	data, _ := os.ReadFile(filepath.Join(dir, ManifestName))
	plain, err := unstamp(Files{ManifestName: data})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ManifestName), plain[ManifestName], 0o644)
	gitRun(t, dir, "commit", "-q", "-am", "as an old omnistack left it")
	before := readAll(t, dir)
	assertStatusClean(t, reg, dir)

	addFeature(t, reg, dir, "ratelimit")
	first := readAll(t, dir)
	if m, _ := ParseManifest(first[ManifestName]); m.Pristine == "" {
		t.Errorf("add did not record the pristine commit:\n%s", first[ManifestName])
	}
	gitRun(t, dir, "checkout", "--", ".")
	gitRun(t, dir, "clean", "-fd")
	assertSameFiles(t, readAll(t, dir), before)
	assertStatusClean(t, reg, dir)
	addFeature(t, reg, dir, "ratelimit")
	assertSameFiles(t, readAll(t, dir), first)
}

// TestManifestMismatchRefused: an omnistack.yaml whose features are not
// those of the pristine commit it names is refused with what to do, not
// merged against the wrong base.
func TestManifestMismatchRefused(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "myapp")
	p := newRealProject(t, reg, dir, []string{"sqlite"})
	p.Manifest.Features = append(p.Manifest.Features, "ratelimit")
	_, err = reg.PlanUpdate(p, p.Manifest.Features)
	if err == nil || !strings.Contains(err.Error(), "git log -p omnistack.yaml") {
		t.Fatalf("hand-edited features: err = %v", err)
	}
	// A recorded commit this clone lacks: re-rendered by the same version,
	// refused with how to fetch it by another.
	p.Manifest.Pristine = strings.Repeat("ab", 20)
	if u, err := reg.PlanUpdate(p, p.Manifest.Features); err != nil || u.BaseFrom != "re-render" {
		t.Fatalf("missing commit, same version: %v, base from %q", err, u.BaseFrom)
	}
	p.Manifest.Generator = "v0.0.1"
	_, err = reg.PlanUpdate(p, p.Manifest.Features)
	if err == nil || !strings.Contains(err.Error(), "does not have") || !strings.Contains(err.Error(), "git fetch origin") {
		t.Fatalf("missing commit: err = %v", err)
	}
}

// TestGitAfterNoGit: a project made with --no-git and committed later gets
// a pristine commit from its first add, so its base travels from then on.
func TestGitAfterNoGit(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	res, err := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp", Features: []string{"sqlite"}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := reg.Render(res)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "myapp")
	if err := Write(dir, files, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	gitRun(t, dir, "init", "-q", "-b", "main")
	gitRun(t, dir, "add", "-A")
	gitRun(t, dir, "commit", "-q", "-m", "initial")
	before := readAll(t, dir)
	u := addFeature(t, reg, dir, "ratelimit")
	if u.BaseFrom != "re-render" {
		t.Errorf("base from %q, want re-render", u.BaseFrom)
	}
	first := readAll(t, dir)
	gitRun(t, dir, "reset", "-q", "--hard")
	gitRun(t, dir, "clean", "-fdq")
	assertSameFiles(t, readAll(t, dir), before)
	assertStatusClean(t, reg, dir)
	addFeature(t, reg, dir, "ratelimit")
	assertSameFiles(t, readAll(t, dir), first)
	gitRun(t, dir, "add", "-A")
	gitRun(t, dir, "commit", "-q", "-m", "add ratelimit")
	gitRun(t, dir, "revert", "--no-edit", "HEAD")
	assertStatusClean(t, reg, dir)
}
