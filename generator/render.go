package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// Files is a rendered project: slash-separated relative path -> contents.
type Files map[string][]byte

// Paths returns the paths in sorted order.
func (f Files) Paths() []string {
	out := make([]string, 0, len(f))
	for p := range f {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// PlannedFile is one output of a render: where it goes and where it comes from.
type PlannedFile struct {
	Path     string // output path, slash-separated, relative to the project root
	Template string // source path inside the template FS
	Feature  string // owning feature ("base" for shared files)
}

// Plan lists the candidate output files of a resolved spec, sorted by path.
// It is pure: templates that render to white space are dropped later, by
// Render. Two features producing one path is a registry bug and an error.
func (r *Registry) Plan(s *Resolved) ([]PlannedFile, error) {
	owners := map[string]PlannedFile{}
	feats := []*Feature{r.Base}
	for _, name := range s.Features {
		feats = append(feats, r.Features[name])
	}
	for _, f := range feats {
		root := path.Join(f.root, "files")
		err := fs.WalkDir(r.templates, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel := strings.TrimPrefix(p, root+"/")
			out := strings.TrimSuffix(rel, ".tmpl")
			if !fs.ValidPath(out) {
				return fmt.Errorf("template %s: output path %q is not a valid relative path", p, out)
			}
			if prev, dup := owners[out]; dup {
				return fmt.Errorf("features %s and %s both write %s: give the shared file a slot in base and fill it from each feature's slots/ folder", prev.Feature, f.Name, out)
			}
			owners[out] = PlannedFile{Path: out, Template: p, Feature: f.Name}
			return nil
		})
		if err != nil && !isNotExist(err) {
			return nil, fmt.Errorf("plan %s: %w", f.Name, err)
		}
	}
	for _, reserved := range []string{"go.mod", "go.sum", ManifestName} {
		if pf, ok := owners[reserved]; ok {
			return nil, fmt.Errorf("template %s: %s is written by the engine, not by a template", pf.Template, reserved)
		}
	}
	plan := make([]PlannedFile, 0, len(owners))
	for _, pf := range owners {
		plan = append(plan, pf)
	}
	sort.Slice(plan, func(i, j int) bool { return plan[i].Path < plan[j].Path })
	return plan, nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// Data is the model every template sees. See docs/templates.md.
type Data struct {
	Name      string
	Module    string
	GoVersion string
	Features  []*Feature // selected, sorted by name
	Env       []EnvVar   // base first, then by feature name; template actions expanded
	// Config is Env in sections: base's variables, then one section per
	// feature that declares any, in Order.
	Config []EnvSection
	// EnvImports are the import paths the types of Env need.
	EnvImports []string
	Services   []*Service // the services of the selected features, by name
}

// CIServices are the Services the generated CI workflow runs: all but
// development tools such as a mail catcher.
func (d *Data) CIServices() []*Service {
	var out []*Service
	for _, s := range d.Services {
		if s.InCI() {
			out = append(out, s)
		}
	}
	return out
}

// EnvSection is the variables one feature (or base) declares.
type EnvSection struct {
	Feature *Feature
	Vars    []EnvVar
}

// data builds the template data of a resolved spec; expand renders the
// template actions in env declarations.
func (r *Registry) data(s *Resolved, expand func(string, *Data) (string, error)) (*Data, error) {
	d := &Data{Name: s.Name, Module: s.Module, GoVersion: GoVersion}
	services := map[string]bool{}
	imports := map[string]bool{}
	section := func(f *Feature) error {
		sec := EnvSection{Feature: f}
		for _, e := range f.Env {
			for _, field := range []*string{&e.Default, &e.Example, &e.Doc, &e.Value, &e.Test} {
				v, err := expand(*field, d)
				if err != nil {
					return fmt.Errorf("feature %s: env %s: %w", f.Name, e.Name, err)
				}
				*field = v
			}
			if e.Import != "" {
				ip := e.Import
				if strings.HasPrefix(ip, "internal/") {
					ip = s.Module + "/" + ip
				}
				imports[ip] = true
			}
			sec.Vars = append(sec.Vars, e)
		}
		if len(sec.Vars) > 0 {
			d.Config = append(d.Config, sec)
		}
		return nil
	}
	if err := section(r.Base); err != nil {
		return nil, err
	}
	for _, name := range r.Order(s.Features) {
		if err := section(r.Features[name]); err != nil {
			return nil, err
		}
	}
	// Env: base first, then by feature name.
	byFeature := map[string][]EnvVar{}
	for _, sec := range d.Config {
		byFeature[sec.Feature.Name] = sec.Vars
	}
	d.Env = append(d.Env, byFeature[BaseName]...)
	for _, name := range s.Features {
		f := r.Features[name]
		d.Features = append(d.Features, f)
		d.Env = append(d.Env, byFeature[name]...)
		for _, svc := range f.Services {
			services[svc] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(services)) {
		d.Services = append(d.Services, r.Services[name])
	}
	d.EnvImports = slices.Sorted(maps.Keys(imports))
	return d, nil
}

// parsed holds every template of the registry, parsed once.
type parsed struct {
	once sync.Once
	set  *template.Template
	err  error
}

func (r *Registry) parseAll() (*template.Template, error) {
	p := &r.parsed
	p.once.Do(func() {
		set := template.New("").Option("missingkey=error").Funcs(r.funcs(nil, nil))
		err := fs.WalkDir(r.templates, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !isTemplate(name) {
				return nil
			}
			src, err := fs.ReadFile(r.templates, name)
			if err != nil {
				return err
			}
			if _, err := set.New(name).Parse(string(src)); err != nil {
				return fmt.Errorf("parse template: %w", err)
			}
			return nil
		})
		p.set, p.err = set, err
	})
	return p.set, p.err
}

// isTemplate reports whether a path of the template FS is a template: a
// file of a files/ tree or a slot fragment.
func isTemplate(name string) bool {
	return strings.Contains(name, "/files/") || strings.Contains(name, "/slots/")
}

// funcs is the template func map: sprig's hermetic functions, has and slot.
func (r *Registry) funcs(s *Resolved, slot func(string) (string, error)) template.FuncMap {
	m := sprig.HermeticTxtFuncMap()
	m["has"] = func(name string) (bool, error) {
		if name != BaseName {
			if _, ok := r.Features[name]; !ok {
				return false, r.unknownFeatureError("has", name)
			}
		}
		return s != nil && s.Has(name), nil
	}
	m["slot"] = func(name string) (string, error) {
		if slot == nil {
			return "", fmt.Errorf("slot %q outside a render", name)
		}
		return slot(name)
	}
	return m
}

// unknownFeatureError is the error of a template naming a feature that
// does not exist.
func (r *Registry) unknownFeatureError(fn, name string) error {
	return fmt.Errorf("%s %q: no such feature (valid: %s)", fn, name, strings.Join(r.FeatureNames(), ", "))
}

// RenderSources renders every template of a resolved spec and formats the
// Go files. It does not write go.mod, go.sum or the manifest; Render does.
func (r *Registry) RenderSources(s *Resolved) (Files, error) {
	files, _, err := r.renderSources(s)
	return files, err
}

// renderSources is RenderSources that also returns the renderer, whose
// slots record what every slot the templates used rendered to.
func (r *Registry) renderSources(s *Resolved) (Files, *renderer, error) {
	plan, err := r.Plan(s)
	if err != nil {
		return nil, nil, err
	}
	rr, err := r.newRenderer(s)
	if err != nil {
		return nil, nil, err
	}
	files := Files{}
	templateOf := map[string]string{}
	for _, pf := range plan {
		out, err := rr.execute(pf.Template)
		if err != nil {
			return nil, nil, fmt.Errorf("render %s: %w", pf.Template, err)
		}
		if len(bytes.TrimSpace(out)) == 0 {
			continue // the template decided this file does not exist for this spec
		}
		files[pf.Path] = out
		templateOf[pf.Path] = pf.Template
	}
	if err := formatGoFiles(files, s.Module, templateOf); err != nil {
		return nil, nil, err
	}
	return files, rr, nil
}

// Render produces the complete project of a resolved spec, in memory:
// every template, go.mod and go.sum, and the omnistack.yaml manifest.
func (r *Registry) Render(s *Resolved) (Files, error) {
	files, err := r.RenderSources(s)
	if err != nil {
		return nil, err
	}
	gomod, gosum, err := r.goModules(s, files)
	if err != nil {
		return nil, err
	}
	files["go.mod"] = gomod
	if len(gosum) > 0 {
		files["go.sum"] = gosum
	}
	manifest, err := (&Manifest{Generator: Version, Name: s.Name, Module: s.Module, Features: s.Features}).Marshal()
	if err != nil {
		return nil, err
	}
	files[ManifestName] = manifest
	return files, nil
}
