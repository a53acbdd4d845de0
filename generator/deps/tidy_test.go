package deps

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// TestResolveMatchesTidy writes Resolve's go.mod and go.sum for subsets of
// the real record into a project importing the subset, and requires that
// an offline `go mod tidy -diff` finds nothing to change and that the
// project builds with -mod=readonly.
func TestResolveMatchesTidy(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: runs go mod tidy and go build on real modules")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	// OMNISTACK_DEPS_DATA points the test at another record (e.g. one
	// written by `go run ./internal/depsgen -o DIR`).
	rec, err := Load()
	if dir := os.Getenv("OMNISTACK_DEPS_DATA"); dir != "" {
		rec, err = LoadFS(os.DirFS(dir))
	}
	if err != nil {
		t.Fatal(err)
	}
	cache := goEnv(t, "GOMODCACHE")
	direct := masterRequires(t, os.Getenv("OMNISTACK_DEPS_DATA"))

	subsets := map[string][]string{
		"huma":              {"github.com/danielgtaylor/huma/v2", "github.com/danielgtaylor/huma/v2/adapters/humago"},
		"sqlite-goose":      {"modernc.org/sqlite", "github.com/pressly/goose/v3"},
		"pgx-goose":         {"github.com/jackc/pgx/v5/stdlib", "github.com/pressly/goose/v3"},
		"jwt-redis":         {"github.com/golang-jwt/jwt/v5", "github.com/redis/go-redis/v9", "github.com/alicebob/miniredis/v2"},
		"keyfunc-jwt":       {"github.com/MicahParks/keyfunc/v3", "github.com/golang-jwt/jwt/v5"},
		"redis-only":        {"github.com/redis/go-redis/v9"},
		"crypto-uuid":       {"golang.org/x/crypto/argon2", "github.com/google/uuid"},
		"everything":        nil, // filled below
		"resilience":        {"github.com/sony/gobreaker/v2", "github.com/cenkalti/backoff/v5"},
		"river-pgx":         {"github.com/riverqueue/river", "github.com/riverqueue/river/riverdriver/riverpgxv5", "github.com/pressly/goose/v3"},
		"otel":              {"go.opentelemetry.io/otel", "go.opentelemetry.io/otel/sdk/trace", "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp", "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"},
		"ai":                {"github.com/openai/openai-go/v3", "github.com/anthropics/anthropic-sdk-go/v2", "google.golang.org/genai"},
		"storage-email":     {"github.com/aws/aws-sdk-go-v2/service/s3", "github.com/aws/aws-sdk-go-v2/config", "github.com/sendgrid/sendgrid-go", "github.com/wneessen/go-mail", "github.com/resend/resend-go/v3"},
		"stripe-ws-metrics": {"github.com/stripe/stripe-go/v85", "github.com/coder/websocket", "github.com/prometheus/client_golang/prometheus"},
		"huma-env-cors":     {"github.com/danielgtaylor/huma/v2", "github.com/caarlos0/env/v11", "github.com/rs/cors"},
	}
	for p, info := range rec.pkgs {
		if info.tests != nil && rec.isRootImport(p) {
			subsets["everything"] = append(subsets["everything"], p)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(subsets)) {
		imports := subsets[name]
		t.Run(name, func(t *testing.T) {
			var known []string
			for _, p := range imports {
				// Only packages of modules the master requires directly, as
				// generated code does: a module the record holds only as a
				// dependency of one (otelhttp, under genai) has its own
				// requirements pruned from the graph.
				if m := rec.ModuleOf(p); m != "" && direct[m] {
					known = append(known, p)
				}
			}
			if len(known) == 0 {
				t.Skipf("the dependency record has none of %v", imports)
			}
			const mainPath = "example.com/tidycheck"
			gomod, gosum, err := rec.Resolve(mainPath, GoVersion, known)
			if err != nil {
				t.Fatal(err)
			}
			if missing := notInCache(cache, gosum); len(missing) > 0 {
				t.Skipf("module cache lacks %s (and %d more): run make deps", missing[0], len(missing)-1)
			}
			dir := t.TempDir()
			var src bytes.Buffer
			src.WriteString("package main\n\nimport (\n")
			for _, p := range known {
				fmt.Fprintf(&src, "\t_ %q\n", p)
			}
			src.WriteString(")\n\nfunc main() {}\n")
			write(t, filepath.Join(dir, "go.mod"), gomod)
			write(t, filepath.Join(dir, "go.sum"), gosum)
			write(t, filepath.Join(dir, "main.go"), src.Bytes())

			out, err := goIn(dir, "GOFLAGS=-mod=mod", "mod", "tidy", "-diff")
			if err != nil || len(out) > 0 {
				t.Fatalf("go mod tidy -diff: %v\n%s\ngo.mod:\n%s", err, out, gomod)
			}
			if testing.Verbose() {
				t.Logf("go.mod:\n%s", gomod)
			}
			if out, err := goIn(dir, "GOFLAGS=-mod=readonly", "build", "./..."); err != nil {
				t.Fatalf("go build -mod=readonly: %v\n%s", err, out)
			}
			if name == "jwt-redis" {
				// The check can fail: without the last go.sum line (an
				// indirect module's go.mod hash, needed by nothing at
				// build time), tidy -diff wants it back.
				sum := lines(gosum)
				write(t, filepath.Join(dir, "go.sum"), []byte(strings.Join(sum[:len(sum)-1], "\n")+"\n"))
				out, err := goIn(dir, "GOFLAGS=-mod=mod", "mod", "tidy", "-diff")
				if err == nil || !bytes.Contains(out, []byte(sum[len(sum)-1])) {
					t.Fatalf("go mod tidy -diff did not notice the missing line %q: %v\n%s", sum[len(sum)-1], err, out)
				}
			}
		})
	}
}

// masterRequires returns the modules the record's master module requires
// directly (not // indirect), from dir/master.mod ("": the embedded data).
func masterRequires(t *testing.T, dir string) map[string]bool {
	t.Helper()
	if dir == "" {
		dir = "data"
	}
	b, err := os.ReadFile(filepath.Join(dir, "master.mod"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.ParseLax("master.mod", b, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range f.Require {
		if !r.Indirect {
			out[r.Mod.Path] = true
		}
	}
	return out
}

// isRootImport reports whether p is one of the master's own imports: a
// package in "all" that no other recorded package imports is one.
func (r *Record) isRootImport(p string) bool {
	for _, info := range r.pkgs {
		for _, q := range info.imports {
			if q == p {
				return false
			}
		}
	}
	return true
}

func goEnv(t *testing.T, name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// goIn runs the go command offline in dir.
func goIn(dir string, env string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env, "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off")
	return cmd.CombinedOutput()
}

// notInCache lists the go.sum entries whose files the module cache lacks.
func notInCache(cache string, gosum []byte) []string {
	var missing []string
	for _, l := range lines(gosum) {
		f := strings.Fields(l)
		ep, err1 := module.EscapePath(f[0])
		v, isMod := strings.CutSuffix(f[1], "/go.mod")
		ev, err2 := module.EscapeVersion(v)
		if err1 != nil || err2 != nil {
			missing = append(missing, l)
			continue
		}
		file := filepath.Join(cache, "cache", "download", ep, "@v", ev+".zip")
		if isMod {
			file = filepath.Join(cache, "cache", "download", ep, "@v", ev+".mod")
		}
		if _, err := os.Stat(file); err != nil {
			missing = append(missing, f[0]+"@"+f[1])
		}
	}
	return missing
}

func write(t *testing.T, file string, data []byte) {
	t.Helper()
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
