package generator

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"path"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/tools/go/ast/astutil"
	"golang.org/x/tools/imports"
)

// importsMu guards imports.LocalPrefix, a package variable of x/tools.
var importsMu sync.Mutex

// formatGoFiles formats every .go file of files in place, in parallel.
// It holds importsMu for the whole batch, so imports.LocalPrefix is set
// once and only read while the workers run.
func formatGoFiles(files Files, module string, templateOf map[string]string) error {
	var paths []string
	for _, p := range files.Paths() {
		if strings.HasSuffix(p, ".go") {
			paths = append(paths, p)
		}
	}
	importsMu.Lock()
	defer importsMu.Unlock()
	imports.LocalPrefix = module
	out := make([][]byte, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(1, min(runtime.GOMAXPROCS(0), len(paths))) {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = formatGoLocked(paths[i], files[paths[i]])
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, p := range paths {
		if errs[i] != nil {
			return fmt.Errorf("template %s: %w", templateOf[p], errs[i])
		}
		files[p] = out[i]
	}
	return nil
}

// formatGoLocked prunes unused imports and formats a rendered Go file with
// goimports' grouping: standard library, third party, then the project's own
// module. It never adds imports and never looks at the disk or runs the go
// command, so output depends only on the input.
// The caller holds importsMu with imports.LocalPrefix set.
func formatGoLocked(name string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("generated %s does not parse: %w", name, err)
	}
	if pruneImports(fset, file) {
		var buf bytes.Buffer
		if err := (&printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}).Fprint(&buf, fset, file); err != nil {
			return nil, fmt.Errorf("print %s: %w", name, err)
		}
		src = buf.Bytes()
	}
	out, err := imports.Process(name, src, &imports.Options{Comments: true, TabIndent: true, TabWidth: 8, FormatOnly: true})
	if err != nil {
		return nil, fmt.Errorf("format %s: %w", name, err)
	}
	return out, nil
}

// pruneImports deletes imports whose package name is never used as a
// qualifier. It reports whether it changed anything.
func pruneImports(fset *token.FileSet, file *ast.File) bool {
	used := map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	changed := false
	for _, spec := range slices.Clone(file.Imports) {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		name := ""
		if spec.Name != nil {
			name = spec.Name.Name
		}
		if name == "_" || name == "." || p == "C" {
			continue
		}
		local := name
		if local == "" {
			local = assumedPackageName(p)
		}
		if !used[local] {
			astutil.DeleteNamedImport(fset, file, name, p)
			changed = true
		}
	}
	return changed
}

// assumedPackageName is the package name goimports assumes for an import
// path (the rule of x/tools' ImportPathToAssumedName): the last element, or
// the one before a /vN suffix, without a go- prefix, cut at the first
// character that cannot be in an identifier. Templates name imports
// explicitly when the real name differs.
func assumedPackageName(importPath string) string {
	base := path.Base(importPath)
	if strings.HasPrefix(base, "v") {
		if _, err := strconv.Atoi(base[1:]); err == nil {
			if dir := path.Dir(importPath); dir != "." {
				base = path.Base(dir)
			}
		}
	}
	base = strings.TrimPrefix(base, "go-")
	if i := strings.IndexFunc(base, func(r rune) bool {
		return !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
	}); i >= 0 {
		base = base[:i]
	}
	return base
}

// Imports returns the sorted, de-duplicated third-party import paths of the
// Go files in files (tests included), without the standard library and
// without packages of the project's own module.
func Imports(files Files, module string) ([]string, error) {
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, p := range files.Paths() {
		if !strings.HasSuffix(p, ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, files[p], parser.ImportsOnly)
		if err != nil {
			return nil, fmt.Errorf("imports of %s: %w", p, err)
		}
		for _, spec := range f.Imports {
			ip, _ := strconv.Unquote(spec.Path.Value)
			if ip == "C" || isStd(ip) || ip == module || strings.HasPrefix(ip, module+"/") {
				continue
			}
			seen[ip] = true
		}
	}
	out := make([]string, 0, len(seen))
	for ip := range seen {
		out = append(out, ip)
	}
	sort.Strings(out)
	return out, nil
}

// isStd reports whether an import path is in the standard library: its first
// element has no dot (the rule cmd/go uses).
func isStd(importPath string) bool {
	first, _, _ := strings.Cut(importPath, "/")
	return !strings.Contains(first, ".")
}
