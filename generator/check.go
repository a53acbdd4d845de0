package generator

import (
	"bytes"
	"fmt"
	"go/token"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The checks below run on every LoadRegistry, so a feature folder that
// breaks the slot contract fails omnistack's own tests, with a message
// naming the feature and file, before any user sees it.

var (
	slotCallRE = regexp.MustCompile(`\bslot\s+"([^"]*)"`)
	hasCallRE  = regexp.MustCompile(`\bhas\s+"([^"]*)"`)
	// NNNNN_<feature>_<what>.sql
	migrationRE = regexp.MustCompile(`^(\d{5})_([a-z][a-z0-9-]*)_([a-z0-9_]+)\.sql$`)
)

// checkTemplates checks the slot contract: base names no feature, every
// slot a template uses is declared and every declared slot is used, every
// fragment fills a declared slot, and a One slot is filled only by
// features that exclude each other.
func (r *Registry) checkTemplates() error {
	used := map[string]bool{}
	err := fs.WalkDir(r.templates, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isTemplate(name) {
			return err
		}
		src, err := fs.ReadFile(r.templates, name)
		if err != nil {
			return err
		}
		// Literal prefilters first: the regexps are slow over every template.
		hasHas, hasSlot := bytes.Contains(src, []byte(`has "`)), bytes.Contains(src, []byte(`slot "`))
		if !hasHas && !hasSlot {
			return nil
		}
		if strings.HasPrefix(name, r.Base.root+"/") && hasHas && hasCallRE.Match(src) {
			return fmt.Errorf("template %s: base names a feature with has; move the feature's part into a slot fragment of its folder (docs/templates.md)", name)
		}
		if f := r.owner(name); f != nil {
			for _, m := range hasCallRE.FindAllSubmatch(src, -1) {
				other := string(m[1])
				if other != f.Name && other != BaseName && !slices.Contains(r.orderDeps(f.Name), other) {
					return fmt.Errorf("template %s: has %q names a feature %s does not declare; add it to requires or after (or its group to requires_group) in its feature.yaml", name, other, f.Name)
				}
			}
		}
		for _, m := range slotCallRE.FindAllSubmatch(src, -1) {
			sl := string(m[1])
			decl, ok := r.Slots[sl]
			if !ok {
				return fmt.Errorf("template %s: slot %q is not declared in templates/slots.yaml (declared: %s)", name, sl, strings.Join(r.SlotNames(), ", "))
			}
			if f := r.owner(name); decl.Feature != "" && (f == nil || f.Name != decl.Feature) {
				return fmt.Errorf("template %s: slot %q belongs to feature %s (feature: in slots.yaml); only its templates may call it", name, sl, decl.Feature)
			}
			used[sl] = true
		}
		return nil
	})
	if err != nil && !isNotExist(err) {
		return err
	}
	for _, name := range r.SlotNames() {
		sl := r.Slots[name]
		if sl.Feature != "" && r.Features[sl.Feature] == nil {
			continue // the feature that calls it is not here: nothing renders its fragments
		}
		if !used[name] {
			return fmt.Errorf("slots.yaml: slot %q is declared but no template uses it", name)
		}
		if sl.Default != "" && !sl.One {
			return fmt.Errorf("slots.yaml: slot %q has a default but is not one: true", name)
		}
	}
	if len(r.Base.fragments) > 0 {
		return fmt.Errorf("base/slots: base writes shared files directly; only features fill slots")
	}
	fillers := map[string][]string{}
	for _, f := range r.all()[1:] {
		for _, sl := range slices.Sorted(maps.Keys(f.fragments)) {
			if _, ok := r.Slots[sl]; !ok {
				return fmt.Errorf("feature %s: %s fills unknown slot %q (declared: %s)", f.Name, f.fragments[sl], sl, strings.Join(r.SlotNames(), ", "))
			}
			fillers[sl] = append(fillers[sl], f.Name)
		}
	}
	for _, name := range r.SlotNames() {
		if !r.Slots[name].One {
			continue
		}
		fs := fillers[name]
		for i, a := range fs {
			for _, b := range fs[i+1:] {
				if !r.excludes(a, b) {
					return fmt.Errorf("slot %q takes one fragment, but features %s and %s both fill it and can be combined: make them exclusive or use another slot", name, a, b)
				}
			}
		}
	}
	return nil
}

// owner returns the feature whose folder holds a template, or nil.
func (r *Registry) owner(template string) *Feature {
	for _, f := range r.Features {
		if strings.HasPrefix(template, f.root+"/") {
			return f
		}
	}
	return nil
}

// excludes reports whether two features can never be selected together.
func (r *Registry) excludes(a, b string) bool {
	fa, fb := r.Features[a], r.Features[b]
	if slices.Contains(fa.Conflicts, b) || slices.Contains(fb.Conflicts, a) {
		return true
	}
	return sameGroupAlternatives(r, a, b)
}

// checkGraph checks after, library features, and that requires and after
// have no cycle (Order needs one).
func (r *Registry) checkGraph() error {
	requiredBy := map[string][]string{}
	for _, f := range r.all()[1:] {
		for _, a := range f.After {
			if _, ok := r.Features[a]; !ok {
				return fmt.Errorf("feature %s: after names unknown feature %q", f.Name, a)
			}
		}
		for _, req := range f.Requires {
			requiredBy[req] = append(requiredBy[req], f.Name)
		}
	}
	for _, f := range r.all()[1:] {
		if f.Library && len(requiredBy[f.Name]) == 0 {
			return fmt.Errorf("feature %s: a library feature that no feature requires would never be generated", f.Name)
		}
	}
	// Depth-first search for a cycle.
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var visit func(name string, stack []string) error
	visit = func(name string, stack []string) error {
		switch state[name] {
		case visiting:
			return fmt.Errorf("features %s form a cycle through requires and after", strings.Join(append(stack, name), " -> "))
		case done:
			return nil
		}
		state[name] = visiting
		for _, d := range r.orderDeps(name) {
			if err := visit(d, append(stack, name)); err != nil {
				return err
			}
		}
		state[name] = done
		return nil
	}
	for _, name := range r.FeatureNames() {
		if err := visit(name, nil); err != nil {
			return err
		}
	}
	return nil
}

// checkServices checks that every service a feature names is described in
// templates/services.
func (r *Registry) checkServices() error {
	for _, f := range r.all() {
		for _, s := range f.Services {
			if _, ok := r.Services[s]; !ok {
				return fmt.Errorf("feature %s: service %q has no templates/services/%s.yaml (known: %s)", f.Name, s, s, strings.Join(slices.Sorted(maps.Keys(r.Services)), ", "))
			}
		}
	}
	return nil
}

// checkEnv checks the declarations the config is generated from.
func (r *Registry) checkEnv() error {
	fieldOwner := map[string]string{}
	for _, f := range r.all() {
		for _, e := range f.Env {
			where := fmt.Sprintf("feature %s: env %s", f.Name, e.Name)
			if e.Doc == "" {
				return fmt.Errorf("%s: doc is empty", where)
			}
			if !token.IsIdentifier(e.Field) || !token.IsExported(e.Field) {
				return fmt.Errorf("%s: field %q is not an exported Go identifier (the config.Config field, e.g. RateLimitDefault)", where, e.Field)
			}
			if prev, dup := fieldOwner[e.Field]; dup && prev != f.Name && !sameGroupAlternatives(r, prev, f.Name) {
				return fmt.Errorf("%s: field %s is declared by %s too", where, e.Field, prev)
			}
			fieldOwner[e.Field] = f.Name
			if e.Required && e.Test == "" {
				return fmt.Errorf("%s: a required variable needs test: a valid value for tests", where)
			}
			if e.Required && e.Default != "" {
				return fmt.Errorf("%s: a required variable has no default", where)
			}
			if e.Type != "string" && e.Default != "" && e.Value == "" {
				return fmt.Errorf("%s: type %s with default %q needs value: the Go value Load makes of the default (the generated defaults test checks it)", where, e.Type, e.Default)
			}
			if strings.Contains(e.Type, ".") && e.Import == "" && !strings.HasPrefix(strings.TrimLeft(e.Type, "[]*"), "time.") && !strings.HasPrefix(strings.TrimLeft(e.Type, "[]*"), "slog.") {
				return fmt.Errorf("%s: type %s needs import: the package that declares it", where, e.Type)
			}
		}
	}
	return nil
}

// checkMigrations checks the migration files of every feature against its
// block (migration: N owns N..N/10*10+9): blocks do not overlap, every file
// is numbered inside its feature's block and named after it, and every
// migration exists in both dialects.
func (r *Registry) checkMigrations() error {
	type block struct {
		feature string
		lo, hi  int
	}
	var blocks []block
	for _, f := range r.all() {
		if f.Migration < 0 {
			return fmt.Errorf("feature %s: migration %d is negative", f.Name, f.Migration)
		}
		if f.Migration > 0 {
			b := block{f.Name, f.Migration, f.Migration/10*10 + 9}
			for _, o := range blocks {
				if b.lo <= o.hi && o.lo <= b.hi {
					return fmt.Errorf("feature %s: migration block %05d..%05d overlaps %s's %05d..%05d", f.Name, b.lo, b.hi, o.feature, o.lo, o.hi)
				}
			}
			blocks = append(blocks, b)
		}
		dialects := map[string]map[string]bool{}
		root := path.Join(f.root, "files/internal/db/migrations")
		err := fs.WalkDir(r.templates, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel := strings.TrimPrefix(p, root+"/")
			dialect, file, ok := strings.Cut(strings.TrimSuffix(rel, ".tmpl"), "/")
			if !ok || strings.Contains(file, "/") || (dialect != "sqlite" && dialect != "postgres") {
				return fmt.Errorf("feature %s: %s: migrations live in migrations/sqlite/ or migrations/postgres/", f.Name, p)
			}
			m := migrationRE.FindStringSubmatch(file)
			if m == nil {
				return fmt.Errorf("feature %s: %s: name it NNNNN_%s_<what>.sql", f.Name, p, f.Name)
			}
			n, _ := strconv.Atoi(m[1])
			if f.Migration == 0 {
				return fmt.Errorf("feature %s: %s: the feature has migrations but no migration: block in feature.yaml", f.Name, p)
			}
			if n < f.Migration || n > f.Migration/10*10+9 {
				return fmt.Errorf("feature %s: %s: number %05d is outside the feature's block %05d..%05d", f.Name, p, n, f.Migration, f.Migration/10*10+9)
			}
			if m[2] != f.Name {
				return fmt.Errorf("feature %s: %s: the name must carry the feature (NNNNN_%s_<what>.sql)", f.Name, p, f.Name)
			}
			if dialects[dialect] == nil {
				dialects[dialect] = map[string]bool{}
			}
			dialects[dialect][file] = true
			return nil
		})
		if err != nil && !isNotExist(err) {
			return err
		}
		for _, pair := range [][2]string{{"sqlite", "postgres"}, {"postgres", "sqlite"}} {
			for _, file := range slices.Sorted(maps.Keys(dialects[pair[0]])) {
				if !dialects[pair[1]][file] {
					return fmt.Errorf("feature %s: migration %s exists for %s but not for %s: write both dialects", f.Name, file, pair[0], pair[1])
				}
			}
		}
	}
	return nil
}

// SlotNames returns the declared slot names, sorted.
func (r *Registry) SlotNames() []string { return slices.Sorted(maps.Keys(r.Slots)) }
