package deps

import (
	"os"
	"strings"
	"testing"
)

func loadSynthetic(t *testing.T) *Record {
	t.Helper()
	r, err := LoadFS(os.DirFS("testdata/synthetic"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sumLines is a compact form of go.sum: "path version" per line, with
// "path version/go.mod" for go.mod hashes.
func sumLines(gosum []byte) string {
	var out []string
	for _, l := range lines(gosum) {
		f := strings.Fields(l)
		out = append(out, strings.TrimPrefix(f[0], "example.com/")+" "+f[1])
	}
	return strings.Join(out, "\n")
}

func TestResolveSynthetic(t *testing.T) {
	r := loadSynthetic(t)
	tests := []struct {
		name    string
		imports []string
		gomod   string
		gosum   string
	}{
		{
			// a is direct; b (imported by a) is an indirect root at the
			// master version. b@v1.1.0 is in the graph but its go.mod is
			// not read, so no hash for it. a's test loads q/sub/y from
			// the non-root q/sub, so q/sub's zip and go.mod hashes are
			// kept, and the zip hash of q, a module path prefix of the
			// package, too (but not q's go.mod).
			name:    "direct and indirect",
			imports: []string{"example.com/a", "fmt", "example.com/me/internal/x"},
			gomod: `module example.com/me

go 1.26.0

require example.com/a v1.0.0

require example.com/b v1.2.0 // indirect
`,
			gosum: `a v1.0.0
a v1.0.0/go.mod
b v1.2.0
b v1.2.0/go.mod
q v1.0.0
q/sub v1.0.0
q/sub v1.0.0/go.mod`,
		},
		{
			// old has no go directive: its requirements are loaded
			// transitively (c, then e), so their go.mod hashes are kept,
			// though no package of them is loaded.
			name:    "unpruned root",
			imports: []string{"example.com/old"},
			gomod: `module example.com/me

go 1.26.0

require example.com/old v1.0.0
`,
			gosum: `c v1.0.0/go.mod
e v1.0.0/go.mod
old v1.0.0
old v1.0.0/go.mod`,
		},
		{
			// Nested modules p and p/sub: each package comes from its own
			// module.
			name:    "prefix modules",
			imports: []string{"example.com/p/sub/x", "example.com/p"},
			gomod: `module example.com/me

go 1.26.0

require (
	example.com/p v1.0.0
	example.com/p/sub v1.0.0
)
`,
			gosum: `p v1.0.0
p v1.0.0/go.mod
p/sub v1.0.0
p/sub v1.0.0/go.mod`,
		},
		{
			// z's test imports t/assert. Without b, the graph selects
			// t v1.0.0 (not the master's v1.1.0), whose assert imports u.
			name:    "test dependency at a lower version",
			imports: []string{"example.com/z"},
			gomod: `module example.com/me

go 1.26.0

require example.com/z v1.0.0
`,
			gosum: `t v1.0.0
t v1.0.0/go.mod
u v1.0.0
u v1.0.0/go.mod
z v1.0.0
z v1.0.0/go.mod`,
		},
		{
			// With a, b raises t to v1.1.0, whose assert imports nothing.
			name:    "test dependency at the master version",
			imports: []string{"example.com/z", "example.com/a"},
			gomod: `module example.com/me

go 1.26.0

require (
	example.com/a v1.0.0
	example.com/z v1.0.0
)

require example.com/b v1.2.0 // indirect
`,
			gosum: `a v1.0.0
a v1.0.0/go.mod
b v1.2.0
b v1.2.0/go.mod
q v1.0.0
q/sub v1.0.0
q/sub v1.0.0/go.mod
t v1.1.0
t v1.1.0/go.mod
z v1.0.0
z v1.0.0/go.mod`,
		},
		{
			// w's test imports m/pkg, but w's go.mod does not require m:
			// tidy adds m as an indirect root.
			name:    "test dependency missing from the graph",
			imports: []string{"example.com/w"},
			gomod: `module example.com/me

go 1.26.0

require example.com/w v1.0.0

require example.com/m v1.0.0 // indirect
`,
			gosum: `m v1.0.0
m v1.0.0/go.mod
w v1.0.0
w v1.0.0/go.mod`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gomod, gosum, err := r.Resolve("example.com/me", "1.26.0", tt.imports)
			if err != nil {
				t.Fatal(err)
			}
			if string(gomod) != tt.gomod {
				t.Errorf("go.mod:\n%s\nwant:\n%s", gomod, tt.gomod)
			}
			if got := sumLines(gosum); got != tt.gosum {
				t.Errorf("go.sum:\n%s\nwant:\n%s", got, tt.gosum)
			}
			// The hashes are the recorded ones.
			for _, l := range lines(gosum) {
				f := strings.Fields(l)
				if want := r.sums[f[0]+" "+f[1]]; f[2] != want {
					t.Errorf("go.sum line %q: want hash %s", l, want)
				}
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	r := loadSynthetic(t)
	for _, tt := range []struct {
		name    string
		imports []string
		want    string
	}{
		{"unknown package", []string{"example.com/a", "example.com/nope/pkg"},
			"dependency record does not know package example.com/nope/pkg (imported by the generated code): run make deps"},
		{"go line too low", []string{"example.com/toonew"},
			"module example.com/toonew@v1.0.0 requires go >= 1.27.0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := r.Resolve("example.com/me", "1.26.0", tt.imports)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestVersionAndModuleOf(t *testing.T) {
	r := loadSynthetic(t)
	for _, tt := range []struct{ mod, want string }{
		{"example.com/b", "v1.2.0"}, {"example.com/t", "v1.1.0"}, {"example.com/none", ""},
	} {
		if got := r.Version(tt.mod); got != tt.want {
			t.Errorf("Version(%s) = %q, want %q", tt.mod, got, tt.want)
		}
	}
	for _, tt := range []struct{ pkg, want string }{
		{"example.com/p/sub/x", "example.com/p/sub"}, {"example.com/p", "example.com/p"},
		{"example.com/t/assert", "example.com/t"}, {"example.com/p/nope", ""},
	} {
		if got := r.ModuleOf(tt.pkg); got != tt.want {
			t.Errorf("ModuleOf(%s) = %q, want %q", tt.pkg, got, tt.want)
		}
	}
}

func TestCheckPins(t *testing.T) {
	err := CheckPins(map[string][]Pin{
		"users": {{"golang.org/x/crypto", "v0.58.0"}},
		"auth":  {{"golang.org/x/crypto", "v0.59.0"}, {"github.com/google/uuid", "v1.6.0"}},
		"base":  {{"github.com/google/uuid", "v1.6.0"}},
	})
	if err == nil {
		t.Fatal("CheckPins accepted golang.org/x/crypto at v0.58.0 and v0.59.0")
	}
	for _, want := range []string{"auth", "users", "golang.org/x/crypto", "v0.58.0", "v0.59.0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "uuid") {
		t.Errorf("error %q names uuid, pinned consistently", err)
	}
	if err := CheckPins(map[string][]Pin{"a": {{"github.com/google/uuid", "v1.6.0"}}, "b": {{"github.com/google/uuid", "v1.6.0"}}}); err != nil {
		t.Errorf("consistent pins: %v", err)
	}
	if err := CheckPins(map[string][]Pin{"a": {{"github.com/google/uuid", "1.6"}}}); err == nil || !strings.Contains(err.Error(), "feature a") {
		t.Errorf("malformed pin: error %v, want one naming feature a", err)
	}
}

func TestShouldBuild(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want bool
	}{
		{"package x\n", true},
		{"//go:build ignore\n\npackage x\n", false},
		{"//go:build !ignore\n\npackage x\n", true},
		{"//go:build windows && arm64\n\npackage x\n", true},
		{"//go:build linux && !linux\n\npackage x\n", true}, // all tags are both on and off
		{"//go:build ignore && linux\n\npackage x\n", false},
		{"// +build ignore\n\npackage x\n", false},
		{"// Copyright\n\n//go:build tools\n\npackage x\n", true},
	} {
		if got := shouldBuild([]byte(tt.src)); got != tt.want {
			t.Errorf("shouldBuild(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
}

func TestPackagesRoundTrip(t *testing.T) {
	data, err := os.ReadFile("testdata/synthetic/packages.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := loadSynthetic(t)
	if got := string(encodePackages(r.at)); got != string(data) {
		t.Errorf("encodePackages(parse(packages.txt)) differs:\n%s", lineDiff([]byte(got), data))
	}
}

func BenchmarkLoadAndResolve(b *testing.B) {
	for b.Loop() {
		r, err := Load()
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := r.Resolve("example.com/myapp", GoVersion, []string{"github.com/danielgtaylor/huma/v2", "modernc.org/sqlite", "github.com/pressly/goose/v3"}); err != nil {
			b.Fatal(err)
		}
	}
}
