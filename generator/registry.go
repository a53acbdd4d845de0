package generator

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing/fstest"

	"github.com/goccy/go-yaml"

	"github.com/omnistack/omnistack/generator/deps"

	"github.com/omnistack/omnistack/presets"
	"github.com/omnistack/omnistack/templates"
)

// BaseName is the name of the always-on part of every service. Templates
// may test it with has, but users cannot select or remove it.
const BaseName = "base"

// Feature is one selectable capability: a folder templates/features/<name>
// with a feature.yaml and a files/ tree.
type Feature struct {
	Name     string   `yaml:"name" json:"name"`
	Group    string   `yaml:"group" json:"group"`
	Summary  string   `yaml:"summary" json:"summary"`
	Requires []string `yaml:"requires" json:"requires"`
	// RequiresGroup names groups of which this feature needs one member,
	// each with the member added when none is chosen: {auth: auth-builtin}
	// for a feature that needs an auth feature but works with any. The
	// feature is ordered after whichever member is selected.
	RequiresGroup map[string]string `yaml:"requires_group" json:"requires_group,omitempty"`
	Conflicts     []string          `yaml:"conflicts" json:"conflicts,omitempty"`
	// After orders this feature after others when both are selected,
	// without requiring them (ratelimit uses redis when it is there).
	After []string `yaml:"after" json:"after,omitempty"`
	// Library marks code other features share (idp for the identity
	// providers): never chosen by a user, present exactly while a selected
	// feature requires it.
	Library   bool     `yaml:"library" json:"library,omitempty"`
	Migration int      `yaml:"migration" json:"-"`
	Go        []string `yaml:"go" json:"go,omitempty"`
	Env       []EnvVar `yaml:"env" json:"env,omitempty"`
	Services  []string `yaml:"services" json:"services,omitempty"`

	// root is the folder of the feature inside the template FS.
	root string
	// fragments maps a slot name to the template that fills it
	// (<root>/slots/<slot>.tmpl).
	fragments map[string]string
}

// EnvVar is an environment variable a feature reads. Its declaration is
// the only one: it becomes the field of the generated config.Config (with
// its env tag and default), the line of .env.example, the row of the
// README's table and the expected value in the generated defaults test.
// String fields may use template actions ({{.Name}}).
type EnvVar struct {
	Name     string `yaml:"name" json:"name"`
	Default  string `yaml:"default" json:"default,omitempty"`
	Example  string `yaml:"example" json:"example,omitempty"`
	Required bool   `yaml:"required" json:"required,omitempty"`
	Secret   bool   `yaml:"secret" json:"secret,omitempty"`
	Doc      string `yaml:"doc" json:"doc"`
	// Field is the name of the config.Config field, e.g. RateLimitDefault.
	Field string `yaml:"field" json:"field"`
	// Type is the field's Go type as written in package config, e.g.
	// time.Duration or ratelimit.Spec ("string" when empty).
	Type string `yaml:"type" json:"type,omitempty"`
	// Import is the package Type needs: a path inside the generated module
	// (internal/ratelimit) or a full import path.
	Import string `yaml:"import" json:"-"`
	// Value is the Go expression Load must produce from Default, checked by
	// the generated defaults test (e.g. 15 * time.Minute); empty means the
	// zero value, and for a string the default itself.
	Value string `yaml:"value" json:"-"`
	// Test is a valid value for tests of a required variable (nothing
	// connects to it).
	Test string `yaml:"test" json:"-"`
	// Feature is the feature that declares the variable (filled on load).
	Feature string `yaml:"-" json:"feature"`
}

// Group is a section of the form. In an exclusive group at most one feature
// may be chosen; a required group always has one (its default if none).
type Group struct {
	Name      string `yaml:"name" json:"name"`
	Title     string `yaml:"title" json:"title"`
	Summary   string `yaml:"summary" json:"summary"`
	Exclusive bool   `yaml:"exclusive" json:"exclusive"`
	Required  bool   `yaml:"required" json:"required"`
	Default   string `yaml:"default" json:"default,omitempty"`
}

// Preset is a named feature set.
type Preset struct {
	Name     string   `yaml:"name" json:"name"`
	Summary  string   `yaml:"summary" json:"summary"`
	Audience string   `yaml:"audience" json:"audience"`
	Features []string `yaml:"features" json:"features"`
}

// Registry is everything omnistack knows how to generate.
type Registry struct {
	Base     *Feature
	Features map[string]*Feature
	Groups   []Group // in form order
	Presets  map[string]*Preset
	Slots    map[string]*Slot    // insertion points of shared files, by name
	Services map[string]*Service // external services features need, by name

	templates fs.FS
	parsed    parsed // every template, parsed once
}

var featureNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// LoadRegistry reads the embedded templates and presets.
func LoadRegistry() (*Registry, error) {
	return loadRegistry(templates.FS, presets.FS)
}

// LoadRegistryWithFeature is LoadRegistry plus one feature folder read
// from dir on disk, as templates/features/<name>. omnistack's own tests use
// it to prove the slot contract with a throwaway feature.
func LoadRegistryWithFeature(name, dir string) (*Registry, error) {
	tfs := fstest.MapFS{}
	if err := copyInto(tfs, templates.FS, ".", nil); err != nil {
		return nil, err
	}
	if _, ok := tfs[path.Join("features", name, "feature.yaml")]; ok {
		return nil, fmt.Errorf("feature %s already exists", name)
	}
	if err := copyInto(tfs, os.DirFS(dir), path.Join("features", name), nil); err != nil {
		return nil, err
	}
	reg, err := loadRegistry(tfs, presets.FS)
	if err != nil {
		return nil, err
	}
	return reg, reg.Lint()
}

// copyInto copies every file of src into dst under prefix, except those
// skip reports (nil: none).
func copyInto(dst fstest.MapFS, src fs.FS, prefix string, skip func(string) bool) error {
	return fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (skip != nil && skip(p)) {
			return err
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		dst[path.Join(prefix, p)] = &fstest.MapFile{Data: data}
		return nil
	})
}

// Lint checks what LoadRegistry leaves out because every command would pay
// for it (it reads every template): the slot contract and the migration
// files. The embedded registry cannot change after the build, so omnistack's
// own tests lint it (TestRegistryLint); see docs/templates.md.
func (r *Registry) Lint() error {
	for _, check := range []func() error{r.checkTemplates, r.checkMigrations} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func loadRegistry(tfs, pfs fs.FS) (*Registry, error) {
	reg := &Registry{Features: map[string]*Feature{}, Presets: map[string]*Preset{}, templates: tfs}

	data, err := fs.ReadFile(tfs, "groups.yaml")
	if err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
	}
	if err := decodeStrict(data, &reg.Groups); err != nil {
		return nil, fmt.Errorf("load groups.yaml: %w", err)
	}

	var slots []*Slot
	if data, err := fs.ReadFile(tfs, "slots.yaml"); err == nil {
		if err := decodeStrict(data, &slots); err != nil {
			return nil, fmt.Errorf("load slots.yaml: %w", err)
		}
	} else if !isNotExist(err) {
		return nil, fmt.Errorf("load slots: %w", err)
	}
	reg.Slots = map[string]*Slot{}
	for _, sl := range slots {
		if _, dup := reg.Slots[sl.Name]; dup {
			return nil, fmt.Errorf("slots.yaml: slot %q declared twice", sl.Name)
		}
		reg.Slots[sl.Name] = sl
	}
	if reg.Services, err = loadServices(tfs); err != nil {
		return nil, err
	}

	base, err := loadFeature(tfs, "base")
	if err != nil {
		return nil, err
	}
	if base.Name != BaseName {
		return nil, fmt.Errorf("base/feature.yaml: name is %q, want %q", base.Name, BaseName)
	}
	reg.Base = base

	entries, err := fs.ReadDir(tfs, "features")
	if err != nil {
		return nil, fmt.Errorf("load features: %w", err)
	}
	// Decoding YAML is most of a load: the features decode in parallel.
	entries = slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return !e.IsDir() })
	loaded := make([]*Feature, len(entries))
	errs := make([]error, len(entries))
	var wg sync.WaitGroup
	for i, e := range entries {
		wg.Go(func() { loaded[i], errs[i] = loadFeature(tfs, path.Join("features", e.Name())) })
	}
	wg.Wait()
	for i, e := range entries {
		f, err := loaded[i], errs[i]
		if err != nil {
			return nil, err
		}
		if f.Name != e.Name() {
			return nil, fmt.Errorf("features/%s/feature.yaml: name is %q, want the folder name %q", e.Name(), f.Name, e.Name())
		}
		reg.Features[f.Name] = f
	}

	presetFiles, err := fs.Glob(pfs, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("load presets: %w", err)
	}
	for _, name := range presetFiles {
		data, err := fs.ReadFile(pfs, name)
		if err != nil {
			return nil, fmt.Errorf("load preset %s: %w", name, err)
		}
		var p Preset
		if err := decodeStrict(data, &p); err != nil {
			return nil, fmt.Errorf("load preset %s: %w", name, err)
		}
		if p.Name+".yaml" != name {
			return nil, fmt.Errorf("preset %s: name is %q, want %q", name, p.Name, strings.TrimSuffix(name, ".yaml"))
		}
		reg.Presets[p.Name] = &p
	}

	if err := reg.check(); err != nil {
		return nil, err
	}
	return reg, nil
}

func loadFeature(tfs fs.FS, dir string) (*Feature, error) {
	data, err := fs.ReadFile(tfs, path.Join(dir, "feature.yaml"))
	if err != nil {
		return nil, fmt.Errorf("load feature %s: %w", dir, err)
	}
	var f Feature
	if err := decodeStrict(data, &f); err != nil {
		return nil, fmt.Errorf("load %s/feature.yaml: %w", dir, err)
	}
	f.root = dir
	for i := range f.Env {
		f.Env[i].Feature = f.Name
		if f.Env[i].Type == "" {
			f.Env[i].Type = "string"
		}
	}
	entries, err := fs.ReadDir(tfs, path.Join(dir, "slots"))
	if err != nil && !isNotExist(err) {
		return nil, fmt.Errorf("load feature %s: %w", dir, err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".tmpl")
		if e.IsDir() || !ok {
			return nil, fmt.Errorf("%s/slots/%s: want one <slot>.tmpl file per slot the feature fills", dir, e.Name())
		}
		if f.fragments == nil {
			f.fragments = map[string]string{}
		}
		f.fragments[name] = path.Join(dir, "slots", e.Name())
	}
	return &f, nil
}

func decodeStrict(data []byte, v any) error {
	return yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField()).Decode(v)
}

// check validates the registry itself: a broken feature.yaml is a bug in
// omnistack, caught by its own tests before any user sees it.
func (r *Registry) check() error {
	groups := map[string]*Group{}
	for i := range r.Groups {
		g := &r.Groups[i]
		if _, dup := groups[g.Name]; dup {
			return fmt.Errorf("groups.yaml: group %q declared twice", g.Name)
		}
		groups[g.Name] = g
	}
	for _, g := range r.Groups {
		if g.Default != "" {
			f, ok := r.Features[g.Default]
			if !ok || f.Group != g.Name {
				return fmt.Errorf("groups.yaml: default %q of group %q is not a feature of that group", g.Default, g.Name)
			}
		}
	}
	envOwner := map[string]string{}
	for _, f := range r.all() {
		if f != r.Base {
			if !featureNameRE.MatchString(f.Name) || f.Name == BaseName {
				return fmt.Errorf("feature %q: invalid name", f.Name)
			}
			if f.Library {
				if f.Group != "" {
					return fmt.Errorf("feature %s: a library feature is not chosen in the form, so it has no group (found %q)", f.Name, f.Group)
				}
			} else if _, ok := groups[f.Group]; !ok {
				return fmt.Errorf("feature %s: unknown group %q (valid: %s)", f.Name, f.Group, strings.Join(r.GroupNames(), ", "))
			}
			if f.Summary == "" {
				return fmt.Errorf("feature %s: summary is empty", f.Name)
			}
		}
		for _, dep := range append(slices.Clone(f.Requires), f.Conflicts...) {
			if _, ok := r.Features[dep]; !ok {
				return fmt.Errorf("feature %s: requires or conflicts with unknown feature %q", f.Name, dep)
			}
		}
		for _, g := range slices.Sorted(maps.Keys(f.RequiresGroup)) {
			def := f.RequiresGroup[g]
			if _, ok := groups[g]; !ok {
				return fmt.Errorf("feature %s: requires_group names unknown group %q (valid: %s)", f.Name, g, strings.Join(r.GroupNames(), ", "))
			}
			if d := r.Features[def]; d == nil || d.Group != g {
				return fmt.Errorf("feature %s: requires_group %s: %q is not a feature of group %s (choose one of %s)", f.Name, g, def, g, strings.Join(featureNames(r.InGroup(g)), ", "))
			}
		}
		for _, e := range f.Env {
			if prev, dup := envOwner[e.Name]; dup && !sameGroupAlternatives(r, prev, f.Name) {
				return fmt.Errorf("env var %s declared by both %s and %s", e.Name, prev, f.Name)
			}
			envOwner[e.Name] = f.Name
		}
		for _, p := range f.Go {
			if _, err := deps.ParsePin(p); err != nil {
				return fmt.Errorf("feature %s: %w", f.Name, err)
			}
		}
	}
	for _, p := range r.Presets {
		for _, name := range p.Features {
			if _, ok := r.Features[name]; !ok {
				return fmt.Errorf("preset %s: unknown feature %q", p.Name, name)
			}
		}
	}
	for _, check := range []func() error{r.checkGraph, r.checkServices, r.checkEnv} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// sameGroupAlternatives reports whether two features exclude each other, so
// they may both declare a variable (sqlite and postgres both read DATABASE_URL).
func sameGroupAlternatives(r *Registry, a, b string) bool {
	fa, fb := r.Features[a], r.Features[b]
	if fa == nil || fb == nil || fa.Group != fb.Group {
		return false
	}
	g := r.Group(fa.Group)
	return g != nil && g.Exclusive
}

// all returns base and every feature, sorted by name after base.
func (r *Registry) all() []*Feature {
	out := []*Feature{r.Base}
	for _, name := range r.FeatureNames() {
		out = append(out, r.Features[name])
	}
	return out
}

// FeatureNames returns the names of all features, sorted.
func (r *Registry) FeatureNames() []string {
	names := make([]string, 0, len(r.Features))
	for n := range r.Features {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PresetNames returns the names of all presets in a stable order: by size,
// then by name (minimal first, full last).
func (r *Registry) PresetNames() []string {
	names := make([]string, 0, len(r.Presets))
	for n := range r.Presets {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := r.Presets[names[i]], r.Presets[names[j]]
		if len(a.Features) != len(b.Features) {
			return len(a.Features) < len(b.Features)
		}
		return a.Name < b.Name
	})
	return names
}

// GroupNames returns the group names in form order.
func (r *Registry) GroupNames() []string {
	out := make([]string, len(r.Groups))
	for i, g := range r.Groups {
		out[i] = g.Name
	}
	return out
}

// Group returns the named group, or nil.
func (r *Registry) Group(name string) *Group {
	for i := range r.Groups {
		if r.Groups[i].Name == name {
			return &r.Groups[i]
		}
	}
	return nil
}

// InGroup returns the features of a group, sorted by name.
func (r *Registry) InGroup(group string) []*Feature {
	var out []*Feature
	for _, name := range r.FeatureNames() {
		if f := r.Features[name]; f.Group == group {
			out = append(out, f)
		}
	}
	return out
}

// Pins returns the Go module pins of base and every feature, keyed by feature.
func (r *Registry) Pins() map[string][][2]string {
	out := map[string][][2]string{}
	for _, f := range r.all() {
		for _, p := range f.Go {
			pin, _ := deps.ParsePin(p) // checked on load
			out[f.Name] = append(out[f.Name], [2]string{pin.Path, pin.Version})
		}
	}
	return out
}

// orderDeps are the features name comes after when they are selected: what
// it requires, what it names in after, and every member of the groups it
// requires one of.
func (r *Registry) orderDeps(name string) []string {
	f := r.Features[name]
	out := slices.Concat(f.Requires, f.After)
	for _, g := range slices.Sorted(maps.Keys(f.RequiresGroup)) {
		out = append(out, featureNames(r.InGroup(g))...)
	}
	return out
}

// groupMember returns the member of group g in set, or "".
func (r *Registry) groupMember(set map[string]bool, g string) string {
	for _, name := range slices.Sorted(maps.Keys(set)) {
		if set[name] && r.Features[name] != nil && r.Features[name].Group == g {
			return name
		}
	}
	return ""
}
