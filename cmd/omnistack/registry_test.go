package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omnistack/omnistack/generator"
)

// countingRegistry returns a System whose registry loads are counted.
func countingRegistry(n *int) *System {
	return &System{Registry: func() (*generator.Registry, error) {
		*n++
		return generator.LoadRegistry()
	}}
}

// TestRegistryLoadedOncePerExecute: every command that needs the registry
// loads it exactly once, and version, completion and help of other
// commands never do.
func TestRegistryLoadedOncePerExecute(t *testing.T) {
	project := filepath.Join(t.TempDir(), "svc")
	if r := run(t, nil, "new", "svc", "--yes", "--no-git", "-o", project); r.code != 0 {
		t.Fatalf("new: %s", r.stderr)
	}
	tests := []struct {
		args  []string
		loads int
	}{
		{[]string{"version"}, 0},
		{[]string{"--version"}, 0},
		{[]string{"completion", "bash"}, 0},
		{[]string{"completion", "zsh"}, 0},
		{[]string{"add", "--help"}, 0},
		{[]string{"help", "status"}, 0},
		{[]string{"new", "x", "--yes", "--dry-run", "--database", "postgres", "-o", filepath.Join(t.TempDir(), "x")}, 1},
		{[]string{"new", "--help"}, 1},
		{[]string{"help", "new"}, 1},
		{[]string{"__complete", "new", "x", "--features", "red"}, 1},
		{[]string{"__complete", "add", "red"}, 1},
		{[]string{"features"}, 1},
		{[]string{"presets", "--json"}, 1},
		{[]string{"status", "-C", project}, 1},
		{[]string{"add", "ratelimit", "--dry-run", "-C", project}, 1},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			n := 0
			r := run(t, countingRegistry(&n), tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if n != tt.loads {
				t.Errorf("registry loaded %d times, want %d", n, tt.loads)
			}
		})
	}
}

// TestInjectedRegistry: a registry given in System is the one used, and
// its load error is reported.
func TestInjectedRegistry(t *testing.T) {
	reg, err := generator.LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	delete(reg.Features, "redis")
	sys := &System{Registry: func() (*generator.Registry, error) { return reg, nil }}
	if r := run(t, sys, "features"); r.code != 0 || strings.Contains(r.stdout, "\nredis ") || !strings.Contains(r.stdout, "\nusers ") {
		t.Errorf("features with an injected registry lacking redis: exit %d\n%s", r.code, r.stdout)
	}
	sys = &System{Registry: func() (*generator.Registry, error) { return nil, errors.New("broken registry") }}
	if r := run(t, sys, "features"); r.code != exitFailure || !strings.Contains(r.stderr, "broken registry") {
		t.Errorf("load error: exit %d %q", r.code, r.stderr)
	}
	if r := run(t, sys, "version"); r.code != 0 {
		t.Errorf("version needs the registry: exit %d %q", r.code, r.stderr)
	}
}
