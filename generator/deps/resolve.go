package deps

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Resolve returns the exact go.mod and go.sum that `go mod tidy` writes for
// a project whose module path is module, whose go line is goVersion and
// whose .go files (tests included) import the packages imports. Standard
// library packages and the project's own packages may be included; they
// are ignored.
func (r *Record) Resolve(mainPath, goVersion string, imports []string) (gomod, gosum []byte, err error) {
	inMain := func(p string) bool { return p == mainPath || strings.HasPrefix(p, mainPath+"/") }

	// The packages the project imports directly.
	var direct []string
	seen := map[string]bool{}
	for _, p := range imports {
		if p == "C" || isStd(p) || inMain(p) || seen[p] {
			continue
		}
		seen[p] = true
		if r.pkgs[p] == nil {
			return nil, nil, fmt.Errorf("dependency record does not know package %s (imported by the generated code): run make deps", p)
		}
		direct = append(direct, p)
	}
	sort.Strings(direct)

	// "all": the import closure of the project's imports.
	all, err := r.closure(direct, nil)
	if err != nil {
		return nil, nil, err
	}
	// Roots: every module providing a package in "all", at the master's
	// version (which every subset of the master's roots also selects).
	roots := map[string]string{}
	for _, p := range all {
		m := r.pkgs[p].module
		roots[m] = r.selected[m]
	}
	// tidy also loads the tests of every package in "all": they are not in
	// "all", but the packages they import (transitively) are loaded, from
	// the versions the pruned module graph selects, and count for go.sum.
	// A package no module of the graph provides gets its module added as
	// a root (modload.tidyPrunedRoots), which changes the graph: repeat.
	var (
		g      *modGraph
		loaded map[string]module.Version // package -> module version providing it
	)
	for {
		g, err = r.graph(roots)
		if err != nil {
			return nil, nil, err
		}
		loaded = map[string]module.Version{}
		var queue []string
		for _, p := range all {
			m := r.pkgs[p].module
			loaded[p] = module.Version{Path: m, Version: roots[m]}
			queue = append(queue, r.pkgs[p].tests...)
		}
		added := false
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if _, ok := loaded[p]; ok {
				continue
			}
			m, info, err := r.provider(p, roots, g)
			if err != nil {
				return nil, nil, err
			}
			if info == nil {
				mp := r.pkgs[p]
				if mp == nil {
					return nil, nil, fmt.Errorf("dependency record does not know package %s (imported by a test of a dependency): run make deps", p)
				}
				roots[mp.module] = r.selected[mp.module]
				added = true
				continue
			}
			loaded[p] = m
			queue = append(queue, info.imports...)
		}
		if !added {
			break
		}
	}
	if v := g.maxGo; v != "" && goLess(goVersion, v) {
		return nil, nil, fmt.Errorf("module %s requires go >= %s, above the generated go line %s: lower its pin or raise the go line", g.maxGoBy, v, goVersion)
	}

	// go.mod, written the way cmd/go writes it.
	isDirect := map[string]bool{}
	for _, p := range direct {
		isDirect[r.pkgs[p].module] = true
	}
	f, err := modfile.Parse("go.mod", []byte("module "+modfile.AutoQuote(mainPath)+"\n\ngo "+goVersion+"\n"), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("go.mod for %s: %w", mainPath, err)
	}
	var reqs []*modfile.Require
	for _, m := range slices.Sorted(maps.Keys(roots)) {
		reqs = append(reqs, &modfile.Require{Mod: module.Version{Path: m, Version: roots[m]}, Indirect: !isDirect[m]})
	}
	f.SetRequireSeparateIndirect(reqs)
	f.Cleanup()
	gomod, err = f.Format()
	if err != nil {
		return nil, nil, fmt.Errorf("go.mod for %s: %w", mainPath, err)
	}

	// go.sum: modload.keepSums.
	keep := map[module.Version]bool{}
	for _, m := range g.loaded {
		keep[modKey(m)] = true
	}
	for p, m := range loaded {
		keep[modKey(m)] = true
		if roots[m.Path] == m.Version {
			for prefix := p; prefix != "."; prefix = path.Dir(prefix) {
				if rv := roots[prefix]; rv != "" {
					keep[module.Version{Path: prefix, Version: rv}] = true
				}
			}
			continue
		}
		for prefix := p; prefix != "."; prefix = path.Dir(prefix) {
			if sv := g.selected[prefix]; sv != "" {
				keep[module.Version{Path: prefix, Version: sv}] = true
			}
		}
	}
	mods := make([]module.Version, 0, len(keep))
	for m := range keep {
		mods = append(mods, m)
	}
	module.Sort(mods)
	var buf bytes.Buffer
	for _, m := range mods {
		h, ok := r.sums[m.Path+" "+m.Version]
		if !ok {
			return nil, nil, fmt.Errorf("dependency record has no checksum for %s %s: run make deps", m.Path, m.Version)
		}
		fmt.Fprintf(&buf, "%s %s %s\n", m.Path, m.Version, h)
	}
	return gomod, buf.Bytes(), nil
}

// provider finds the module providing package p in a project whose pruned
// module graph is g, as modload.importFromModules does: a root module if
// one provides it, else any module at its selected version. It returns a
// nil info if no module of the graph provides p.
func (r *Record) provider(p string, roots map[string]string, g *modGraph) (module.Version, *pkgInfo, error) {
	for _, rootsOnly := range []bool{true, false} {
		var found []module.Version
		var info *pkgInfo
		for prefix := p; prefix != "."; prefix = path.Dir(prefix) {
			v := g.selected[prefix]
			if rootsOnly {
				v = roots[prefix]
			}
			if v == "" {
				continue
			}
			m := module.Version{Path: prefix, Version: v}
			if pi := r.at[m][p]; pi != nil {
				found = append(found, m)
				info = pi
			} else if r.at[m] == nil && !rootsOnly {
				return module.Version{}, nil, fmt.Errorf("dependency record lacks the packages of %s@%s (a path prefix of %s): run make deps", m.Path, m.Version, p)
			}
		}
		switch {
		case len(found) == 1:
			return found[0], info, nil
		case len(found) > 1:
			return module.Version{}, nil, fmt.Errorf("package %s is provided by several modules (%v): the pins select an ambiguous import", p, found)
		}
	}
	return module.Version{}, nil, nil
}

func modKey(m module.Version) module.Version {
	return module.Version{Path: m.Path, Version: m.Version + "/go.mod"}
}

// closure returns the sorted non-test import closure of start. Packages in
// known are known to the record already; an unknown package elsewhere is an
// error naming its importer.
func (r *Record) closure(start, known []string) ([]string, error) {
	seen := map[string]bool{}
	var out, queue []string
	importer := map[string]string{}
	for _, p := range start {
		if !seen[p] {
			seen[p] = true
			queue = append(queue, p)
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		info := r.pkgs[p]
		if info == nil {
			by := importer[p]
			if by == "" {
				by = "a test of a dependency"
			}
			return nil, fmt.Errorf("dependency record does not know package %s (imported by %s): run make deps", p, by)
		}
		out = append(out, p)
		for _, q := range info.imports {
			if !seen[q] {
				seen[q] = true
				importer[q] = p
				queue = append(queue, q)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// modGraph is the pruned module graph of a set of roots.
type modGraph struct {
	selected map[string]string
	loaded   []module.Version // modules whose requirements are in the graph
	maxGo    string           // highest go directive among loaded modules
	maxGoBy  module.Version
}

// graph computes the module graph cmd/go's readModGraph loads for a main
// module with a pruned go.mod (go >= 1.17) requiring roots.
func (r *Record) graph(roots map[string]string) (*modGraph, error) {
	g := &modGraph{selected: map[string]string{}}
	note := func(m module.Version) {
		if v := g.selected[m.Path]; v == "" || semver.Compare(m.Version, v) > 0 {
			g.selected[m.Path] = m.Version
		}
	}
	type key struct {
		m        module.Version
		unpruned bool
	}
	done := map[key]bool{}
	isLoaded := map[module.Version]bool{}
	var visit func(m module.Version, unpruned bool) error
	visit = func(m module.Version, unpruned bool) error {
		if done[key{m, unpruned}] {
			return nil
		}
		done[key{m, unpruned}] = true
		reqs, ok := r.reqs[m]
		if !ok {
			return fmt.Errorf("dependency record lacks the requirements of %s@%s: run make deps", m.Path, m.Version)
		}
		if !isLoaded[m] {
			isLoaded[m] = true
			g.loaded = append(g.loaded, m)
			if v := r.goVersion[m]; v != "" && (g.maxGo == "" || goLess(g.maxGo, v)) {
				g.maxGo, g.maxGoBy = v, m
			}
		}
		for _, req := range reqs {
			note(req)
		}
		if unpruned || !goAtLeast(r.goVersion[m], "1.17") {
			for _, req := range reqs {
				if err := visit(req, true); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, p := range slices.Sorted(maps.Keys(roots)) {
		m := module.Version{Path: p, Version: roots[p]}
		note(m)
		if err := visit(m, false); err != nil {
			return nil, err
		}
	}
	module.Sort(g.loaded)
	return g, nil
}

// goLess reports whether go version a is lower than b ("1.21" < "1.21.0"
// is not distinguished; neither matters for pruning or the go line).
func goLess(a, b string) bool {
	return semver.Compare(goSemver(a), goSemver(b)) < 0
}

// goAtLeast reports whether go version v (possibly "") is >= min.
func goAtLeast(v, min string) bool {
	return v != "" && !goLess(v, min)
}

func goSemver(v string) string {
	// Drop pre-release suffixes such as "rc1" or "beta2": "1.21rc1" is
	// older than "1.21.0", which is close enough here.
	for i, c := range v {
		if c != '.' && (c < '0' || c > '9') {
			v = v[:i]
			break
		}
	}
	return "v" + v
}
