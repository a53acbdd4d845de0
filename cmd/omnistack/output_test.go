package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFeaturesFitWidth: the table wraps summaries to the terminal's width,
// 80 columns when it is unknown, and loses no word.
func TestFeaturesFitWidth(t *testing.T) {
	wide := run(t, &System{Width: 200}, "features")
	for _, width := range []int{0, 50, 60, 80, 120} {
		r := run(t, &System{Width: width}, "features")
		limit := width
		if limit == 0 {
			limit = 80
		}
		for _, line := range strings.Split(strings.TrimRight(r.stdout, "\n"), "\n") {
			if len(line) > limit {
				t.Errorf("width %d: line of %d columns: %q", width, len(line), line)
			}
		}
		words := strings.Fields(r.stdout)
		if limit < 70 {
			words = append([]string{"NAME", "GROUP", "REQUIRES", "SUMMARY"}, words...) // no header
		}
		if !slices.Equal(words, strings.Fields(wide.stdout)) {
			t.Errorf("width %d: wrapping changed the words:\n%s", width, r.stdout)
		}
	}
	// At 200 columns nothing wraps: a header and one line per feature.
	if lines := strings.Split(strings.TrimSpace(wide.stdout), "\n"); !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "postgres ") || len(lines) < 5 || strings.HasPrefix(lines[2], " ") {
		t.Errorf("wide table:\n%s", wide.stdout)
	}
}

// TestHelpFitsWidth: every command's help fits in 80 columns, flag
// descriptions wrapped.
func TestHelpFitsWidth(t *testing.T) {
	for _, cmd := range [][]string{{}, {"new"}, {"add"}, {"remove"}, {"status"}, {"upgrade"}, {"features"}, {"presets"}, {"version"}, {"completion"}} {
		r := run(t, nil, append(cmd, "--help")...)
		for _, line := range strings.Split(r.stdout, "\n") {
			if len(line) > 80 {
				t.Errorf("%v --help: line of %d columns: %q", cmd, len(line), line)
			}
		}
	}
	if r := run(t, nil, "completion", "--help"); !strings.Contains(r.stdout, "bash needs the bash-completion package") {
		t.Errorf("completion --help does not mention bash-completion:\n%s", r.stdout)
	}
}

// TestCompletion: comma lists, and add/remove offering what the project
// lacks/has.
func TestCompletion(t *testing.T) {
	names := func(out string) []string {
		var got []string
		for _, line := range strings.Split(out, "\n") {
			if line == "" || strings.HasPrefix(line, ":") {
				continue
			}
			name, _, _ := strings.Cut(line, "\t")
			got = append(got, name)
		}
		return got
	}
	got := names(run(t, nil, "__complete", "new", "x", "--features", "ratelimit,red").stdout)
	if !slices.Contains(got, "ratelimit,redis") || slices.Contains(got, "ratelimit,ratelimit") {
		t.Errorf("--features ratelimit,red completes to %q", got)
	}
	dir := filepath.Join(t.TempDir(), "svc")
	if r := run(t, nil, "new", "svc", "--preset", "api", "--no-git", "-o", dir); r.code != 0 {
		t.Fatalf("new: %s", r.stderr)
	}
	// add offers what the api preset lacks (new features join the list, so
	// check members) and nothing it has.
	add := names(run(t, nil, "__complete", "add", "-C", dir, "").stdout)
	for _, want := range []string{"auth-clerk", "auth-supabase", "postgres", "redis"} {
		if !slices.Contains(add, want) {
			t.Errorf("add completes %q, want it to offer %s", add, want)
		}
	}
	for _, has := range []string{"auth-builtin", "ratelimit", "sqlite", "users"} {
		if slices.Contains(add, has) {
			t.Errorf("add completes %q, which offers %s, already in the project", add, has)
		}
	}
	remove := names(run(t, nil, "__complete", "remove", "-C", dir, "ratelimit", "").stdout)
	if want := []string{"auth-builtin", "sqlite", "users"}; !slices.Equal(remove, want) {
		t.Errorf("remove ratelimit completes %q, want %q", remove, want)
	}
}
