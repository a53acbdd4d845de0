// Package deps writes the exact go.mod and go.sum of a generated project,
// offline and without a go binary.
//
// # Mechanism
//
// At `make deps` time (network allowed), [Build] creates a master module
// that imports every third-party package any feature's code can import,
// `go get`s every feature pin, runs `go mod tidy`, and records what is
// needed to cut the master down to any subset of its imports. At
// generation time, [Record.Resolve] replays the parts of cmd/go's
// `go mod tidy` that matter for a project whose requirements are a subset
// of the master's roots, at the master's versions:
//
//   - the packages loaded by tidy: the import closure of the project's
//     imports ("all"), plus the closure of the imports of the tests of every
//     package in "all" (tidy loads those tests even though they are not in
//     "all"; see modload.loader.applyPkgFlags and LoadTests);
//   - the roots: every module providing a package in "all", plus any module
//     providing a test-only package that the pruned module graph of those
//     roots lacks (modload.tidyPrunedRoots);
//   - the pruned module graph of the roots (modload.readModGraph): each
//     root's requirements, and for roots whose go.mod says go < 1.17 (or
//     nothing), every module reached through requirements, transitively;
//   - go.sum as modload.keepSums keeps it: the /go.mod hash of every module
//     whose requirements are in the graph and of every module providing a
//     loaded package; the zip hash of every root that is a path prefix of a
//     package loaded from a root, and of every selected module that is a
//     path prefix of a package loaded from a non-root module.
//
// Every subset's pruned module graph is a sub-graph of the master's, so the
// master's `go mod graph` is enough to compute it.
//
// # Data files (data/, embedded)
//
//   - master.mod: the master go.mod, for reference (named so that data/
//     is not a nested module).
//   - go.sum: hashes, the master go.sum plus the hashes of other versions
//     in the master graph that a subset may select for a module providing
//     a package loaded only by a dependency's test. One "path version hash"
//     per line, sorted as cmd/go sorts go.sum.
//   - graph.txt: the master's pruned module graph, one line per module
//     whose go.mod was read into it (the roots, and everything reached
//     from a root whose go.mod is unpruned): "path@version goversion
//     requirement@version...", with "-" for a go.mod without a go
//     directive. It is the edge set of the master's `go mod graph` (which
//     omits go directives below 1.21, so Build reads them from the
//     module cache).
//   - packages.txt: the package graph, grouped by module. A line
//     "module PATH" starts a module; each following line is
//     "PKG IMPORT... [| TESTIMPORT...]", where PKG and the imports are
//     written relative to the module (see [relPath]): "." is the module
//     path itself, "./x/y" is PATH/x/y, anything else is a full path.
//     Only non-standard-library imports are listed; test imports are
//     those of the package's _test.go files (internal and external tests)
//     and are recorded for packages in the master's "all" only.
//
// A package path whose first element has no dot is in the standard
// library, as cmd/go decides (search.IsStandardImportPath).
package deps
