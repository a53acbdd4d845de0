package generator

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/mod/module"
)

// GoVersion is the go line of every generated go.mod: the floor several of
// the chosen libraries declare, not the local toolchain's patch version.
const GoVersion = "1.26.0"

// Spec is what the user asked for: a project name, a module path and a set
// of features. Resolve turns it into a Resolved spec ready to render.
type Spec struct {
	Name     string
	Module   string
	Features []string
}

// Resolved is a validated Spec with requirements and group defaults added.
type Resolved struct {
	Name     string
	Module   string
	Features []string          // sorted, without base
	Added    map[string]string // feature -> why it was added ("required by users", "default database")
}

// UsageError is an error in what the user asked for (exit code 2), as
// opposed to a failure while doing it.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// IsUsage reports whether err is a usage error.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// ValidateName checks a project name: one path element that is also a good
// directory, binary and Docker image name.
func ValidateName(name string) error {
	if name == "" {
		return usageErrorf("project name is empty: pass one, e.g. omnistack new myapp")
	}
	if !nameRE.MatchString(name) {
		shown := name
		if len(shown) > 70 {
			shown = shown[:67] + "..."
		}
		return usageErrorf("invalid project name %q: use 1-63 characters, lower-case letters, digits and '-', starting with a letter (e.g. my-service)", shown)
	}
	if strings.HasSuffix(name, "-") {
		return usageErrorf("invalid project name %q: it must not end with '-'", name)
	}
	return nil
}

// ValidateModule checks a Go module path the way `go mod init` does.
// It returns a warning when the path is valid but not publishable
// (module.CheckPath fails, e.g. no dot in the first element).
func ValidateModule(path string) (warning string, err error) {
	if err := module.CheckImportPath(path); err != nil {
		return "", usageErrorf("invalid module path %q: %v (e.g. github.com/acme/myapp)", path, unwrapModErr(err))
	}
	// go mod init also checks the major version suffix (found by FuzzModulePath).
	if _, _, ok := module.SplitPathVersion(path); !ok {
		return "", usageErrorf("invalid module path %q: a major version suffix must be /v2 or later, as in example.com/p/v2 (e.g. github.com/acme/myapp)", path)
	}
	if err := module.CheckPath(path); err != nil {
		return fmt.Sprintf("module path %q is fine for a private service but cannot be published with go get: %v", path, unwrapModErr(err)), nil
	}
	return "", nil
}

func unwrapModErr(err error) error {
	var ie *module.InvalidPathError
	if errors.As(err, &ie) && ie.Err != nil {
		return ie.Err
	}
	return err
}

// Resolve validates a spec against the registry: name, module path, unknown
// and conflicting features. Missing requirements and the defaults of
// required groups are added and reported in Resolved.Added.
func (r *Registry) Resolve(s Spec) (*Resolved, error) {
	if err := ValidateName(s.Name); err != nil {
		return nil, err
	}
	if _, err := ValidateModule(s.Module); err != nil {
		return nil, err
	}
	features, added, err := r.ResolveFeatures(s.Features)
	if err != nil {
		return nil, err
	}
	return &Resolved{Name: s.Name, Module: s.Module, Features: features, Added: added}, nil
}

// ResolveFeatures expands a feature list: requirements are added
// transitively, required groups get their default, and exclusive groups and
// declared conflicts are enforced.
func (r *Registry) ResolveFeatures(requested []string) ([]string, map[string]string, error) {
	requested = cleanNames(requested) // base is always on
	if err := r.CheckFeatures(requested); err != nil {
		return nil, nil, err
	}
	set := map[string]bool{}
	for _, name := range requested {
		if r.Features[name].Library {
			continue // present exactly while a selected feature requires it
		}
		set[name] = true
	}
	added := map[string]string{}
	// Requirements, transitively, in a deterministic order.
	for changed := true; changed; {
		changed = false
		for _, name := range slices.Sorted(maps.Keys(set)) {
			for _, req := range r.Features[name].Requires {
				if !set[req] {
					set[req] = true
					added[req] = "required by " + name
					changed = true
				}
			}
			// One member of each required group, its default unless chosen.
			for _, g := range slices.Sorted(maps.Keys(r.Features[name].RequiresGroup)) {
				if def := r.Features[name].RequiresGroup[g]; r.groupMember(set, g) == "" {
					set[def] = true
					added[def] = "required by " + name
					changed = true
				}
			}
		}
	}
	// Required groups get their default.
	for _, g := range r.Groups {
		if !g.Required || g.Default == "" {
			continue
		}
		has := false
		for name := range set {
			if r.Features[name].Group == g.Name {
				has = true
			}
		}
		if !has {
			set[g.Default] = true
			added[g.Default] = "default " + g.Name
			for _, req := range r.Features[g.Default].Requires {
				if !set[req] {
					set[req] = true
					added[req] = "required by " + g.Default
				}
			}
		}
	}
	names := slices.Sorted(maps.Keys(set))
	// Exclusive groups.
	for _, g := range r.Groups {
		if !g.Exclusive {
			continue
		}
		var chosen []string
		for _, name := range names {
			if r.Features[name].Group == g.Name {
				chosen = append(chosen, name)
			}
		}
		if len(chosen) > 1 {
			return nil, nil, usageErrorf("features %s are alternatives in the exclusive group %q: choose one of %s",
				joinQuoted(chosen), g.Name, strings.Join(featureNames(r.InGroup(g.Name)), ", "))
		}
	}
	// Declared conflicts.
	for _, name := range names {
		for _, c := range r.Features[name].Conflicts {
			if set[c] {
				return nil, nil, usageErrorf("feature %q cannot be combined with %q: drop one of them", name, c)
			}
		}
	}
	return names, added, nil
}

// Without removes features from a list, refusing with a *RequiredError to
// drop one that another selected feature requires.
func (r *Registry) Without(features, without []string) ([]string, error) {
	return r.without(features, without, true)
}

// without is Without; groups false skips the requires_group check, for
// Compose, where a feature added in the same step may replace the one
// dropped (auth-clerk for auth-builtin).
func (r *Registry) without(features, without []string, groups bool) ([]string, error) {
	without = cleanNames(without)
	if err := r.CheckFeatures(without); err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, w := range without {
		drop[w] = true
	}
	var out []string
	for _, f := range features {
		if !drop[f] {
			out = append(out, f)
		}
	}
	kept := map[string]bool{}
	for _, f := range out {
		kept[f] = true
	}
	for _, f := range out {
		for _, req := range r.Features[f].Requires {
			if drop[req] {
				return nil, &RequiredError{Name: req, By: f}
			}
		}
		for _, g := range slices.Sorted(maps.Keys(r.Features[f].RequiresGroup)) {
			if !groups || r.groupMember(kept, g) != "" {
				continue
			}
			if d := r.groupMember(drop, g); d != "" && slices.Contains(features, d) {
				return nil, &RequiredError{Name: d, By: f, Group: g}
			}
		}
	}
	return out, nil
}

func featureNames(fs []*Feature) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

func joinQuoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, " and ")
}

// Has reports whether a resolved spec includes a feature.
func (s *Resolved) Has(name string) bool {
	return name == BaseName || slices.Contains(s.Features, name)
}
