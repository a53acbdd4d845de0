package deps

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

//go:embed data
var dataFS embed.FS

// Record is the recorded dependency data; Load reads the embedded copy.
type Record struct {
	// selected is the master's selected version of every module in its
	// (pruned) module graph.
	selected map[string]string
	// reqs holds the requirements of every module whose go.mod was read
	// into the master graph.
	reqs map[module.Version][]module.Version
	// goVersion is the go directive of the modules in reqs ("" if none).
	goVersion map[module.Version]string
	// at is the package graph of each recorded module version.
	at map[module.Version]map[string]*pkgInfo
	// pkgs is the master's view: every package of a module recorded at
	// its master version.
	pkgs map[string]*pkgInfo
	// sums maps "path version" and "path version/go.mod" to a hash.
	sums map[string]string
}

type pkgInfo struct {
	module  string
	imports []string // non-test, non-std
	tests   []string // test imports, non-std (nil when not recorded)
}

// Load reads the embedded dependency record.
func Load() (*Record, error) {
	sub, err := fs.Sub(dataFS, "data")
	if err != nil {
		return nil, err
	}
	return LoadFS(sub)
}

// LoadFS reads a dependency record from the files graph.txt, packages.txt
// and go.sum of fsys.
func LoadFS(fsys fs.FS) (*Record, error) {
	r := &Record{
		selected:  map[string]string{},
		reqs:      map[module.Version][]module.Version{},
		goVersion: map[module.Version]string{},
		at:        map[module.Version]map[string]*pkgInfo{},
		pkgs:      map[string]*pkgInfo{},
		sums:      map[string]string{},
	}
	read := func(name string, parse func([]byte) error) error {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("load dependency record: %w", err)
		}
		if err := parse(data); err != nil {
			return fmt.Errorf("load dependency record: %s: %w", name, err)
		}
		return nil
	}
	if err := read("graph.txt", r.parseGraph); err != nil {
		return nil, err
	}
	if err := read("packages.txt", r.parsePackages); err != nil {
		return nil, err
	}
	if err := read("go.sum", r.parseSums); err != nil {
		return nil, err
	}
	return r, nil
}

func parseModVersion(s string) (module.Version, error) {
	i := strings.LastIndex(s, "@")
	if i < 0 {
		return module.Version{}, fmt.Errorf("%q: want path@version", s)
	}
	return module.Version{Path: s[:i], Version: s[i+1:]}, nil
}

func (r *Record) parseGraph(data []byte) error {
	note := func(m module.Version) {
		if v, ok := r.selected[m.Path]; !ok || semver.Compare(m.Version, v) > 0 {
			r.selected[m.Path] = m.Version
		}
	}
	for n, line := range lines(data) {
		f := strings.Fields(line)
		if len(f) < 2 {
			return fmt.Errorf("line %d: want \"module@version go-version requirement...\"", n+1)
		}
		from, err := parseModVersion(f[0])
		if err != nil {
			return fmt.Errorf("line %d: %w", n+1, err)
		}
		if _, dup := r.reqs[from]; dup {
			return fmt.Errorf("line %d: %s listed twice", n+1, f[0])
		}
		note(from)
		if f[1] != "-" {
			r.goVersion[from] = f[1]
		}
		reqs := []module.Version{}
		for _, s := range f[2:] {
			to, err := parseModVersion(s)
			if err != nil {
				return fmt.Errorf("line %d: %w", n+1, err)
			}
			note(to)
			reqs = append(reqs, to)
		}
		r.reqs[from] = reqs
	}
	return nil
}

// encodeGraph writes graph.txt.
func encodeGraph(reqs map[module.Version][]module.Version, goVersion map[module.Version]string) []byte {
	mods := make([]module.Version, 0, len(reqs))
	for m := range reqs {
		mods = append(mods, m)
	}
	module.Sort(mods)
	var buf bytes.Buffer
	for _, m := range mods {
		gv := goVersion[m]
		if gv == "" {
			gv = "-"
		}
		fmt.Fprintf(&buf, "%s@%s %s", m.Path, m.Version, gv)
		for _, req := range reqs[m] {
			fmt.Fprintf(&buf, " %s@%s", req.Path, req.Version)
		}
		buf.WriteString("\n")
	}
	return buf.Bytes()
}

func (r *Record) parsePackages(data []byte) error {
	var mod module.Version
	for n, line := range lines(data) {
		if rest, ok := strings.CutPrefix(line, "module "); ok {
			f := strings.Fields(rest)
			if len(f) != 2 {
				return fmt.Errorf("line %d: want \"module path version\"", n+1)
			}
			mod = module.Version{Path: f[0], Version: f[1]}
			if r.at[mod] != nil {
				return fmt.Errorf("line %d: module %s@%s listed twice", n+1, mod.Path, mod.Version)
			}
			r.at[mod] = map[string]*pkgInfo{}
			continue
		}
		if mod.Path == "" {
			return fmt.Errorf("line %d: package before any module line", n+1)
		}
		f := strings.Fields(line)
		info := &pkgInfo{module: mod.Path}
		dst := &info.imports
		for _, s := range f[1:] {
			if s == "|" {
				info.tests = []string{}
				dst = &info.tests
				continue
			}
			*dst = append(*dst, absPath(mod.Path, s))
		}
		pkg := absPath(mod.Path, f[0])
		if _, dup := r.at[mod][pkg]; dup {
			return fmt.Errorf("line %d: package %s listed twice", n+1, pkg)
		}
		r.at[mod][pkg] = info
		if r.selected[mod.Path] == mod.Version {
			// The longest module path wins, as no two modules of a
			// well-formed build list provide one package.
			if old := r.pkgs[pkg]; old == nil || len(old.module) < len(mod.Path) {
				r.pkgs[pkg] = info
			}
		}
	}
	return nil
}

func (r *Record) parseSums(data []byte) error {
	for n, line := range lines(data) {
		f := strings.Fields(line)
		if len(f) != 3 {
			return fmt.Errorf("line %d: want three fields", n+1)
		}
		r.sums[f[0]+" "+f[1]] = f[2]
	}
	return nil
}

// lines returns the non-empty lines of data.
func lines(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// relPath writes pkg relative to module mod: "." for mod itself, "./x"
// for mod/x, and pkg unchanged otherwise.
func relPath(mod, pkg string) string {
	if pkg == mod {
		return "."
	}
	if rest, ok := strings.CutPrefix(pkg, mod+"/"); ok {
		return "./" + rest
	}
	return pkg
}

// absPath undoes relPath.
func absPath(mod, s string) string {
	if s == "." {
		return mod
	}
	if rest, ok := strings.CutPrefix(s, "./"); ok {
		return mod + "/" + rest
	}
	return s
}

// Version returns the master's selected version of a module ("" if absent).
func (r *Record) Version(modulePath string) string {
	return r.selected[modulePath]
}

// ModuleOf returns the module providing a package ("" if unknown).
func (r *Record) ModuleOf(pkg string) string {
	if p := r.pkgs[pkg]; p != nil {
		return p.module
	}
	return ""
}

// isStd reports whether path is a standard library import path, as cmd/go
// decides: its first element has no dot.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// encodePackages writes packages.txt.
func encodePackages(at map[module.Version]map[string]*pkgInfo) []byte {
	mods := make([]module.Version, 0, len(at))
	for m := range at {
		mods = append(mods, m)
	}
	module.Sort(mods)
	var buf bytes.Buffer
	for _, mod := range mods {
		fmt.Fprintf(&buf, "module %s %s\n", mod.Path, mod.Version)
		pkgs := at[mod]
		for _, p := range slices.Sorted(maps.Keys(pkgs)) {
			info := pkgs[p]
			buf.WriteString(relPath(mod.Path, p))
			for _, imp := range info.imports {
				buf.WriteString(" " + relPath(mod.Path, imp))
			}
			if info.tests != nil {
				buf.WriteString(" |")
				for _, imp := range info.tests {
					buf.WriteString(" " + relPath(mod.Path, imp))
				}
			}
			buf.WriteString("\n")
		}
	}
	return buf.Bytes()
}
