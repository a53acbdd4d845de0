// Command depsgen is `make deps`: it recomputes omnistack's dependency
// record (generator/deps/data) from the features' pins and from the imports
// of the code they generate. It uses the go command and the network.
//
// The imports are the union, over every preset, every single feature (with
// its requirements) and a pairwise cover of features, of the third-party
// imports of the rendered Go files, tests included. The pins are every
// feature's go: list, base included.
//
// Usage:
//
//	go run ./internal/depsgen [-o generator/deps/data] [-imports FILE] [-pins FILE]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/omnistack/omnistack/generator"
	"github.com/omnistack/omnistack/generator/deps"
)

func main() {
	out := flag.String("o", "generator/deps/data", "directory to write the dependency record into")
	extraImports := flag.String("imports", "", "file of extra import paths, one per line (added to those of the rendered code)")
	extraPins := flag.String("pins", "", `file of extra pins, "feature module version" per line`)
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *out, *extraImports, *extraPins); err != nil {
		fmt.Fprintln(os.Stderr, "depsgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out, extraImports, extraPins string) error {
	reg, err := generator.LoadRegistry()
	if err != nil {
		return err
	}
	imports, err := renderedImports(reg)
	if err != nil {
		return err
	}
	pins := map[string][]deps.Pin{}
	for feature, list := range reg.Pins() {
		for _, p := range list {
			pins[feature] = append(pins[feature], deps.Pin{Path: p[0], Version: p[1]})
		}
	}
	if extraImports != "" {
		lines, err := readLines(extraImports)
		if err != nil {
			return err
		}
		imports = append(imports, lines...)
	}
	if extraPins != "" {
		lines, err := readLines(extraPins)
		if err != nil {
			return err
		}
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) != 3 {
				return fmt.Errorf("%s: %q: want \"feature module version\"", extraPins, l)
			}
			pins[f[0]] = append(pins[f[0]], deps.Pin{Path: f[1], Version: f[2]})
		}
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	return deps.Build(ctx, out, pins, imports, logf)
}

// renderedImports renders every preset, every single feature and a
// pairwise cover, and returns the union of their third-party imports.
func renderedImports(reg *generator.Registry) ([]string, error) {
	var sets [][]string
	for _, name := range reg.PresetNames() {
		sets = append(sets, reg.Presets[name].Features)
	}
	for _, name := range reg.FeatureNames() {
		sets = append(sets, []string{name})
	}
	sets = append(sets, reg.PairwiseCover()...)

	union := map[string]bool{}
	for _, set := range sets {
		spec := generator.Spec{Name: "myapp", Module: "example.com/myapp", Features: set}
		res, err := reg.Resolve(spec)
		if err != nil {
			return nil, fmt.Errorf("features %v: %w", set, err)
		}
		files, err := reg.RenderSources(res)
		if err != nil {
			return nil, fmt.Errorf("features %v: %w", set, err)
		}
		imps, err := generator.Imports(files, res.Module)
		if err != nil {
			return nil, fmt.Errorf("features %v: %w", set, err)
		}
		for _, p := range imps {
			union[p] = true
		}
	}
	out := make([]string, 0, len(union))
	for p := range union {
		out = append(out, p)
	}
	sort.Strings(out)
	fmt.Fprintf(os.Stderr, "%d feature sets rendered, %d third-party imports\n", len(sets), len(out))
	return out, nil
}

func readLines(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}
