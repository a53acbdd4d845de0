package deps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/build/constraint"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing/fstest"
	"unicode"

	"go/parser"
	"go/token"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// GoVersion is the go line of the master module and of generated projects.
const GoVersion = "1.26.0"

// masterPath is the module path of the master module built by Build.
const masterPath = "omnistack.invalid/depsmaster"

// Build (the `make deps` side) creates the master module in a temporary
// directory, go-gets pins, tidies and writes the data files into dir.
// imports are the packages the generated code of any feature set can
// import; pins maps a feature name to its pinned requirements. It needs the
// go command and, unless the module cache has everything, the network.
func Build(ctx context.Context, dir string, pins map[string][]Pin, imports []string, logf func(string, ...any)) error {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := CheckPins(pins); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "omnistack-deps-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b := &builder{ctx: ctx, dir: tmp, logf: logf}

	// The master module: every import, every pin.
	var third []string
	seen := map[string]bool{}
	for _, p := range imports {
		if p != "C" && !isStd(p) && !seen[p] {
			seen[p] = true
			third = append(third, p)
		}
	}
	sort.Strings(third)
	var src bytes.Buffer
	src.WriteString("// Package depsmaster imports every package omnistack can generate an import of.\npackage depsmaster\n\nimport (\n")
	for _, p := range third {
		fmt.Fprintf(&src, "\t_ %s\n", strconv.Quote(p))
	}
	src.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte("module "+masterPath+"\n\ngo "+GoVersion+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "master.go"), src.Bytes(), 0o644); err != nil {
		return err
	}
	args := []string{"get"}
	pinOwner := map[string]string{}
	for _, feature := range slices.Sorted(maps.Keys(pins)) {
		for _, p := range pins[feature] {
			if _, ok := pinOwner[p.Path]; !ok {
				pinOwner[p.Path] = feature
				args = append(args, p.Path+"@"+p.Version)
			}
		}
	}
	sort.Strings(args[1:])
	logf("master module in %s: %d imports, %d pins", tmp, len(third), len(args)-1)
	if len(args) > 1 {
		if _, err := b.goCmd(args...); err != nil {
			return err
		}
	}
	if _, err := b.goCmd("mod", "tidy"); err != nil {
		return err
	}
	gomod, err := os.ReadFile(filepath.Join(tmp, "go.mod"))
	if err != nil {
		return err
	}
	gosum, err := os.ReadFile(filepath.Join(tmp, "go.sum"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	mf, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		return fmt.Errorf("master go.mod: %w", err)
	}
	graphOut, err := b.goCmd("mod", "graph")
	if err != nil {
		return err
	}

	// Every pin must be what MVS selects.
	rootVersion := map[string]string{}
	for _, req := range mf.Require {
		rootVersion[req.Mod.Path] = req.Mod.Version
	}
	var pinErrs []error
	for _, feature := range slices.Sorted(maps.Keys(pins)) {
		for _, p := range pins[feature] {
			v := rootVersion[p.Path]
			switch {
			case v == "":
				pinErrs = append(pinErrs, fmt.Errorf("feature %s pins %s %s but no generated code imports a package of it: drop the pin or import the module", feature, p.Path, p.Version))
			case v != p.Version:
				pinErrs = append(pinErrs, fmt.Errorf("feature %s pins %s %s but the dependency graph selects %s (required by %s): raise the pin", feature, p.Path, p.Version, v, requiredBy(graphOut, p.Path+"@"+v)))
			}
		}
	}
	if err := errors.Join(pinErrs...); err != nil {
		return err
	}

	// The pruned module graph, read from the module cache.
	modCache, err := b.goCmd("env", "GOMODCACHE")
	if err != nil {
		return err
	}
	gr := &graphReader{cache: strings.TrimSpace(string(modCache)), reqs: map[module.Version][]module.Version{}, goVersion: map[module.Version]string{}}
	var roots []module.Version
	for _, req := range mf.Require {
		roots = append(roots, req.Mod)
	}
	if err := gr.read(roots); err != nil {
		return err
	}
	if err := checkGraph(graphOut, gr.reqs); err != nil {
		return err
	}

	// The package graph.
	listOut, err := b.goCmd("list", "-m", "-json", "all")
	if err != nil {
		return err
	}
	mods, err := decodeModules(listOut)
	if err != nil {
		return err
	}
	isRoot := map[string]bool{}
	for _, m := range roots {
		isRoot[m.Path] = true
	}
	pkgs, err := scanPackages(third, mods, isRoot)
	if err != nil {
		return err
	}

	sums := map[module.Version]string{}
	for _, line := range lines(gosum) {
		f := strings.Fields(line)
		if len(f) == 3 {
			sums[module.Version{Path: f[0], Version: f[1]}] = f[2]
		}
	}
	at, err := b.versionedPackages(pkgs, mods, gr.nodes(), sums)
	if err != nil {
		return err
	}
	keys := make([]module.Version, 0, len(sums))
	for m := range sums {
		keys = append(keys, m)
	}
	module.Sort(keys)
	var sumBuf bytes.Buffer
	for _, m := range keys {
		fmt.Fprintf(&sumBuf, "%s %s %s\n", m.Path, m.Version, sums[m])
	}

	files := map[string][]byte{
		"master.mod":   gomod,
		"go.sum":       sumBuf.Bytes(),
		"graph.txt":    encodeGraph(gr.reqs, gr.goVersion),
		"packages.txt": encodePackages(at),
	}

	// Self-check: resolving the master's own imports gives the master.
	rec, err := LoadFS(mapFS(files))
	if err != nil {
		return err
	}
	gotMod, gotSum, err := rec.Resolve(masterPath, GoVersion, third)
	if err != nil {
		return fmt.Errorf("self-check: %w", err)
	}
	if !bytes.Equal(gotMod, gomod) {
		return fmt.Errorf("self-check: resolving the master's imports does not give its go.mod:\n%s\nwant:\n%s", gotMod, gomod)
	}
	if !bytes.Equal(gotSum, gosum) {
		return fmt.Errorf("self-check: resolving the master's imports does not give its go.sum:\n%s", lineDiff(gotSum, gosum))
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return err
		}
		logf("wrote %s (%d bytes)", filepath.Join(dir, name), len(files[name]))
	}
	return nil
}

// versionedPackages records, for every module version in the master graph
// whose path is a path prefix of a package that may be loaded, the
// packages of it that may be loaded and their imports. A project selects
// the master's version of every module providing a package in its "all",
// but a package loaded only for a dependency's test comes from whatever
// version the project's smaller graph selects, and imports what that
// version imports. It also completes sums with the hashes of every such
// module version.
func (b *builder) versionedPackages(pkgs map[string]*pkgInfo, mods map[string]listedModule, nodes []module.Version, sums map[module.Version]string) (map[module.Version]map[string]*pkgInfo, error) {
	at := map[module.Version]map[string]*pkgInfo{}
	dirs := map[module.Version]string{}
	for _, m := range mods {
		if m.Dir != "" {
			dirs[module.Version{Path: m.Path, Version: m.Version}] = m.Dir
		}
	}
	for p, info := range pkgs {
		m := module.Version{Path: info.module, Version: mods[info.module].Version}
		if at[m] == nil {
			at[m] = map[string]*pkgInfo{}
		}
		at[m][p] = info
	}
	versions := map[string][]string{}
	for _, m := range nodes {
		versions[m.Path] = append(versions[m.Path], m.Version)
	}
	candidates := func(p string) []module.Version {
		var out []module.Version
		for prefix := p; prefix != "."; prefix = path.Dir(prefix) {
			for _, v := range versions[prefix] {
				out = append(out, module.Version{Path: prefix, Version: v})
			}
		}
		return out
	}
	queued := map[string]bool{}
	queue := slices.Sorted(maps.Keys(pkgs))
	for _, p := range queue {
		queued[p] = true
	}
	for len(queue) > 0 {
		var need []module.Version
		for _, p := range queue {
			for _, m := range candidates(p) {
				if _, ok := dirs[m]; !ok {
					dirs[m] = ""
					need = append(need, m)
				}
			}
		}
		if err := b.download(need, dirs, sums); err != nil {
			return nil, err
		}
		var next []string
		for _, p := range queue {
			for _, m := range candidates(p) {
				if at[m] == nil {
					at[m] = map[string]*pkgInfo{}
				}
				if at[m][p] != nil {
					continue
				}
				rel := strings.TrimPrefix(strings.TrimPrefix(p, m.Path), "/")
				d := filepath.Join(dirs[m], filepath.FromSlash(rel))
				if !hasGoFiles(d) || nestedModule(dirs[m], rel) {
					continue
				}
				imps, _, err := scanDir(d)
				if err != nil {
					return nil, fmt.Errorf("package %s in %s@%s: %w", p, m.Path, m.Version, err)
				}
				at[m][p] = &pkgInfo{module: m.Path, imports: imps}
				for _, q := range imps {
					if !queued[q] {
						queued[q] = true
						next = append(next, q)
					}
				}
			}
		}
		sort.Strings(next)
		queue = next
	}
	// Hashes of every recorded module version.
	var need []module.Version
	for m := range at {
		_, h1 := sums[m]
		_, h2 := sums[modKey(m)]
		if !h1 || !h2 {
			need = append(need, m)
		}
	}
	module.Sort(need)
	if err := b.download(need, dirs, sums); err != nil {
		return nil, err
	}
	return at, nil
}

// download runs go mod download for ms, recording directories and hashes.
func (b *builder) download(ms []module.Version, dirs map[module.Version]string, sums map[module.Version]string) error {
	if len(ms) == 0 {
		return nil
	}
	args := []string{"mod", "download", "-json"}
	for _, m := range ms {
		args = append(args, m.Path+"@"+m.Version)
	}
	b.logf("downloading %d module versions", len(ms))
	out, err := b.goCmd(args...)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var d struct{ Path, Version, Dir, Sum, GoModSum, Error string }
		if err := dec.Decode(&d); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("go mod download: %w", err)
		}
		if d.Error != "" {
			return fmt.Errorf("go mod download %s@%s: %s", d.Path, d.Version, d.Error)
		}
		m := module.Version{Path: d.Path, Version: d.Version}
		if d.Dir == "" {
			return fmt.Errorf("go mod download %s@%s: no directory", d.Path, d.Version)
		}
		dirs[m] = d.Dir
		sums[m] = d.Sum
		sums[modKey(m)] = d.GoModSum
	}
	return nil
}

type builder struct {
	ctx  context.Context
	dir  string
	logf func(string, ...any)
}

// goCmd runs the go command in the master module.
func (b *builder) goCmd(args ...string) ([]byte, error) {
	cmd := exec.CommandContext(b.ctx, "go", args...)
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b.logf("go %s", strings.Join(shorten(args), " "))
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(shorten(args), " "), err, stderr.Bytes())
	}
	return out, nil
}

func shorten(args []string) []string {
	if len(args) > 6 {
		return append(args[:5:5], fmt.Sprintf("... (%d more)", len(args)-5))
	}
	return args
}

// requiredBy lists the modules whose go.mod requires target, from `go mod
// graph` output.
func requiredBy(graph []byte, target string) string {
	var by []string
	for _, line := range lines(graph) {
		f := strings.Fields(line)
		if len(f) == 2 && f[1] == target {
			by = append(by, f[0])
		}
	}
	if len(by) == 0 {
		return "no module"
	}
	sort.Strings(by)
	return strings.Join(by, ", ")
}

// graphReader reads the pruned module graph from go.mod files in the
// module cache, as modload.readModGraph does.
type graphReader struct {
	cache     string
	reqs      map[module.Version][]module.Version
	goVersion map[module.Version]string
}

func (g *graphReader) read(roots []module.Version) error {
	type key struct {
		m        module.Version
		unpruned bool
	}
	done := map[key]bool{}
	var visit func(m module.Version, unpruned bool) error
	visit = func(m module.Version, unpruned bool) error {
		if done[key{m, unpruned}] {
			return nil
		}
		done[key{m, unpruned}] = true
		if _, ok := g.reqs[m]; !ok {
			if err := g.load(m); err != nil {
				return err
			}
		}
		if unpruned || !goAtLeast(g.goVersion[m], "1.17") {
			for _, req := range g.reqs[m] {
				if err := visit(req, true); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, m := range roots {
		if err := visit(m, false); err != nil {
			return err
		}
	}
	return nil
}

func (g *graphReader) load(m module.Version) error {
	ep, err := module.EscapePath(m.Path)
	if err != nil {
		return err
	}
	ev, err := module.EscapeVersion(m.Version)
	if err != nil {
		return err
	}
	file := filepath.Join(g.cache, "cache", "download", ep, "@v", ev+".mod")
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("go.mod of %s: %w", m, err)
	}
	f, err := modfile.ParseLax(file, data, nil)
	if err != nil {
		return err
	}
	reqs := []module.Version{}
	for _, r := range f.Require {
		reqs = append(reqs, r.Mod)
	}
	g.reqs[m] = reqs
	if f.Go != nil {
		g.goVersion[m] = f.Go.Version
	}
	return nil
}

// nodes returns every module version in the graph, sorted.
func (g *graphReader) nodes() []module.Version {
	set := map[module.Version]bool{}
	for m, reqs := range g.reqs {
		set[m] = true
		for _, r := range reqs {
			set[r] = true
		}
	}
	out := make([]module.Version, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	module.Sort(out)
	return out
}

// checkGraph compares the graph read from the module cache with `go mod
// graph`.
func checkGraph(graphOut []byte, reqs map[module.Version][]module.Version) error {
	want := map[string]bool{}
	for _, line := range lines(graphOut) {
		f := strings.Fields(line)
		if len(f) != 2 || f[0] == masterPath || strings.HasPrefix(f[1], "go@") || strings.HasPrefix(f[1], "toolchain@") {
			continue
		}
		want[f[0]+" "+f[1]] = true
	}
	got := map[string]bool{}
	for m, rs := range reqs {
		for _, r := range rs {
			got[m.Path+"@"+m.Version+" "+r.Path+"@"+r.Version] = true
		}
	}
	var diffs []string
	for e := range want {
		if !got[e] {
			diffs = append(diffs, "missing "+e)
		}
	}
	for e := range got {
		if !want[e] {
			diffs = append(diffs, "extra "+e)
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return fmt.Errorf("module graph read from the module cache differs from go mod graph:\n%s", strings.Join(diffs, "\n"))
	}
	return nil
}

type listedModule struct {
	Path, Version, Dir string
	Main               bool
}

func decodeModules(out []byte) (map[string]listedModule, error) {
	mods := map[string]listedModule{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var m listedModule
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list -m: %w", err)
		}
		if !m.Main {
			mods[m.Path] = m
		}
	}
	return mods, nil
}

// scanPackages builds the package graph: the non-test import closure of
// imports ("all"), the test imports of every package in it, and the
// non-test closure of those.
func scanPackages(imports []string, mods map[string]listedModule, roots map[string]bool) (map[string]*pkgInfo, error) {
	pkgs := map[string]*pkgInfo{}
	var scan func(p string, withTests bool, by string) error
	scan = func(p string, withTests bool, by string) error {
		if pkgs[p] != nil {
			return nil
		}
		mod, dir, err := findPackage(p, mods, roots)
		if err != nil {
			return fmt.Errorf("%w (imported by %s)", err, by)
		}
		imps, tests, err := scanDir(dir)
		if err != nil {
			return fmt.Errorf("package %s: %w", p, err)
		}
		info := &pkgInfo{module: mod, imports: imps}
		if withTests {
			info.tests = append([]string{}, tests...)
		}
		pkgs[p] = info
		for _, q := range imps {
			if err := scan(q, withTests, p); err != nil {
				return err
			}
		}
		return nil
	}
	for _, p := range imports {
		if err := scan(p, true, "the generated code"); err != nil {
			return nil, err
		}
	}
	// Test imports of "all", after "all" is complete.
	var all []string
	for p, info := range pkgs {
		if info.tests != nil {
			all = append(all, p)
		}
	}
	sort.Strings(all)
	for _, p := range all {
		for _, q := range pkgs[p].tests {
			if err := scan(q, false, "a test of "+p); err != nil {
				return nil, err
			}
		}
	}
	return pkgs, nil
}

// findPackage returns the module providing package p and its directory,
// as modload.importFromModules finds it in a pruned module graph: a root
// module (the master's go.mod requirements) whose tree holds a directory
// for p with Go files, outside any nested module; else any module of the
// build list. (tidy does not download non-root modules for packages found
// in roots, so their directories may be missing.)
func findPackage(p string, mods map[string]listedModule, roots map[string]bool) (mod, dir string, err error) {
	for _, rootsOnly := range []bool{true, false} {
		var found, dirs []string
		for prefix := p; prefix != "."; prefix = path.Dir(prefix) {
			m, ok := mods[prefix]
			if !ok || rootsOnly && !roots[prefix] {
				continue
			}
			if m.Dir == "" {
				return "", "", fmt.Errorf("module %s@%s, a path prefix of %s, is not in the module cache", m.Path, m.Version, p)
			}
			rel := strings.TrimPrefix(strings.TrimPrefix(p, prefix), "/")
			d := filepath.Join(m.Dir, filepath.FromSlash(rel))
			if !hasGoFiles(d) || nestedModule(m.Dir, rel) {
				continue
			}
			found = append(found, prefix)
			dirs = append(dirs, d)
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], dirs[0], nil
		}
		return "", "", fmt.Errorf("package %s is provided by several modules: %s", p, strings.Join(found, ", "))
	}
	return "", "", fmt.Errorf("no module in the master build list provides package %s", p)
}

func hasGoFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") && !e.IsDir() {
			return true
		}
	}
	return false
}

// nestedModule reports whether a directory between root (exclusive) and
// root/rel (inclusive) has a go.mod, making rel part of another module.
func nestedModule(root, rel string) bool {
	if rel == "" {
		return false
	}
	d := root
	for _, elem := range strings.Split(rel, "/") {
		d = filepath.Join(d, elem)
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return true
		}
	}
	return false
}

// scanDir returns the non-standard imports of the Go files in dir, as
// cmd/go's imports.ScanDir does with all build tags but "ignore" on.
func scanDir(dir string) (imports, tests []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	imp, tst := map[string]bool{}, map[string]bool{}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, nil, err
		}
		if !shouldBuild(data) {
			continue
		}
		f, err := parser.ParseFile(fset, name, data, parser.ImportsOnly)
		if err != nil && f == nil {
			continue
		}
		m := imp
		if strings.HasSuffix(name, "_test.go") {
			m = tst
		}
		for _, s := range f.Imports {
			q, err := strconv.Unquote(s.Path.Value)
			if err != nil || q == "C" || isStd(q) {
				continue
			}
			m[q] = true
		}
	}
	return slices.Sorted(maps.Keys(imp)), slices.Sorted(maps.Keys(tst)), nil
}

// shouldBuild reports whether a file is built with all tags but "ignore"
// (cmd/go/internal/imports.ShouldBuild with tags {"*"}).
func shouldBuild(content []byte) bool {
	var plus []constraint.Expr
	for len(content) > 0 {
		line := content
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, content = line[:i], content[i+1:]
		} else {
			content = nil
		}
		t := strings.TrimSpace(string(line))
		if t == "" {
			continue
		}
		if !strings.HasPrefix(t, "//") {
			break // the header ends at the first non-comment line
		}
		if constraint.IsGoBuild(t) {
			x, err := constraint.Parse(t)
			if err != nil {
				return false
			}
			return evalAny(x, true)
		}
		if constraint.IsPlusBuild(t) {
			if x, err := constraint.Parse(t); err == nil {
				plus = append(plus, x)
			}
		}
	}
	for _, x := range plus {
		if !evalAny(x, true) {
			return false
		}
	}
	return true
}

func evalAny(x constraint.Expr, prefer bool) bool {
	switch x := x.(type) {
	case *constraint.TagExpr:
		for _, c := range x.Tag {
			if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '_' && c != '.' {
				return false
			}
		}
		if x.Tag != "" && x.Tag != "ignore" {
			return prefer
		}
		return false
	case *constraint.NotExpr:
		return !evalAny(x.X, !prefer)
	case *constraint.AndExpr:
		return evalAny(x.X, prefer) && evalAny(x.Y, prefer)
	case *constraint.OrExpr:
		return evalAny(x.X, prefer) || evalAny(x.Y, prefer)
	}
	return false
}

// lineDiff lists the lines only in got (+) and only in want (-).
func lineDiff(got, want []byte) string {
	g, w := map[string]bool{}, map[string]bool{}
	for _, l := range lines(got) {
		g[l] = true
	}
	for _, l := range lines(want) {
		w[l] = true
	}
	var out []string
	for l := range g {
		if !w[l] {
			out = append(out, "+ "+l)
		}
	}
	for l := range w {
		if !g[l] {
			out = append(out, "- "+l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][2:] < out[j][2:] })
	return strings.Join(out, "\n")
}

func mapFS(files map[string][]byte) fs.FS {
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: data}
	}
	return m
}
