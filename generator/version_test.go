package generator

import (
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "ce140dc93d4abe55f77cbc1746e0889336eb3693"
	for _, tc := range []struct {
		name, release string
		info          *debug.BuildInfo // nil: no build information
		want          string
	}{
		{"go install @tag", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"release ldflags agree", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"release ldflags disagree: ignored", "v9.9.9", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"make build and go install in a clone", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261201193743-ce140dc93d4a+dirty"}, Settings: vcs(rev, "true")}, "v0.0.0-20261201193743-ce140dc93d4a+dirty"},
		{"revision only", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, "ce140dc93d4a"},
		{"revision only, dirty", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, "ce140dc93d4a+dirty"},
		{"-buildvcs=false release build", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "v1.2.3"},
		{"-buildvcs=false", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, devVersion},
		{"no build information", "", nil, devVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resolveVersion(tc.release, func() (*debug.BuildInfo, bool) { return tc.info, tc.info != nil })
			if got != tc.want {
				t.Errorf("version = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestVersionAdvice: the refusal to re-render another version's project
// says how to get that version, and how to go on without it.
func TestVersionAdvice(t *testing.T) {
	for v, want := range map[string]string{
		"v1.2.3":                                   "go install github.com/omnistack/omnistack/cmd/omnistack@v1.2.3",
		"v0.0.0-20261201193743-ce140dc93d4a":       "git checkout ce140dc93d4a && make build",
		"v0.0.0-20261201193743-ce140dc93d4a+dirty": "built with uncommitted changes",
		"ce140dc93d4a+dirty":                       "git checkout ce140dc93d4a && make build",
		devVersion:                                 "without version information",
	} {
		got := versionAdvice(v)
		if !strings.Contains(got, want) || !strings.Contains(got, "set generator: "+Version) {
			t.Errorf("advice for %s lacks %q:\n%s", v, want, got)
		}
	}
}

// TestReleaseLdflags: the release configuration sets the variable that
// exists, to the tag (what the go command stamps at a clean tag).
func TestReleaseLdflags(t *testing.T) {
	data, err := os.ReadFile("../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const want = "-X github.com/omnistack/omnistack/generator.releaseVersion={{ .Tag }}"
	if !strings.Contains(string(data), want) {
		t.Errorf(".goreleaser.yaml does not set %s", want)
	}
	ignore, err := os.ReadFile("../.gitignore")
	if err != nil || !strings.Contains(string(ignore), "/dist/\n") {
		t.Errorf(".gitignore must ignore /dist/, or goreleaser's output makes the tree dirty and the version v1.2.3+dirty")
	}
}
