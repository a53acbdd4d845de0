package generator

import (
	"fmt"
	"strings"
	"sync"

	"github.com/omnistack/omnistack/generator/deps"
)

var (
	recordOnce sync.Once
	record     *deps.Record
	recordErr  error
)

// depsRecord loads the embedded dependency record once.
func depsRecord() (*deps.Record, error) {
	recordOnce.Do(func() { record, recordErr = deps.Load() })
	return record, recordErr
}

// goModules writes the exact go.mod and go.sum of a rendered project from
// the imports of its Go files and the dependency record: what `go mod
// tidy` would write, without the network or the go command. See package
// deps for the mechanism.
func (r *Registry) goModules(s *Resolved, files Files) (gomod, gosum []byte, err error) {
	imps, err := Imports(files, s.Module)
	if err != nil {
		return nil, nil, err
	}
	rec, err := depsRecord()
	if err != nil {
		return nil, nil, fmt.Errorf("load dependency record: %w", err)
	}
	if err := r.checkDirectPins(s, imps, rec); err != nil {
		return nil, nil, err
	}
	return rec.Resolve(s.Module, GoVersion, imps)
}

// checkDirectPins verifies that every module the generated code imports
// directly is pinned by a selected feature (or base), at the version the
// record selects. A failure is a bug in omnistack's templates or a stale
// record, reported with the fix.
func (r *Registry) checkDirectPins(s *Resolved, imports []string, rec *deps.Record) error {
	pins := map[string]string{}  // module -> version
	owner := map[string]string{} // module -> feature
	for _, f := range append([]*Feature{r.Base}, r.selected(s)...) {
		for _, p := range f.Go {
			pin, _ := deps.ParsePin(p) // checked on load
			pins[pin.Path], owner[pin.Path] = pin.Version, f.Name
		}
	}
	for _, ip := range imports {
		mod := rec.ModuleOf(ip)
		if mod == "" {
			return fmt.Errorf("the generated code imports %s, which the dependency record does not know: run make deps", ip)
		}
		v, ok := pins[mod]
		if !ok {
			return fmt.Errorf("the generated code imports %s (module %s), but no selected feature pins that module: add it to the go: list of the feature whose templates import it (features: %s)", ip, mod, strings.Join(append([]string{BaseName}, s.Features...), ", "))
		}
		if got := rec.Version(mod); got != v {
			return fmt.Errorf("feature %s pins %s %s but the dependency record has %s: run make deps (or fix the pin)", owner[mod], mod, v, got)
		}
	}
	return nil
}

func (r *Registry) selected(s *Resolved) []*Feature {
	out := make([]*Feature, len(s.Features))
	for i, name := range s.Features {
		out[i] = r.Features[name]
	}
	return out
}

// CheckPins reports features that pin one module at different versions.
func (r *Registry) CheckPins() error {
	all := map[string][]deps.Pin{}
	for feature, pins := range r.Pins() {
		for _, p := range pins {
			all[feature] = append(all[feature], deps.Pin{Path: p[0], Version: p[1]})
		}
	}
	return deps.CheckPins(all)
}
