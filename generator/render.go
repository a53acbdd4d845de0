package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
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
				return fmt.Errorf("features %s and %s both write %s: move the shared file to base and branch with {{if has ...}}", prev.Feature, f.Name, out)
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
	Features  []*Feature
	Env       []EnvVar
	Services  []string
}

func (r *Registry) data(s *Resolved) *Data {
	d := &Data{Name: s.Name, Module: s.Module, GoVersion: GoVersion}
	d.Env = append(d.Env, r.Base.Env...)
	services := map[string]bool{}
	seenEnv := map[string]bool{}
	for _, e := range r.Base.Env {
		seenEnv[e.Name] = true
	}
	for _, name := range s.Features {
		f := r.Features[name]
		d.Features = append(d.Features, f)
		for _, e := range f.Env {
			if !seenEnv[e.Name] {
				seenEnv[e.Name] = true
				d.Env = append(d.Env, e)
			}
		}
		for _, svc := range f.Services {
			services[svc] = true
		}
	}
	d.Services = sortedKeys(services)
	return d
}

// parsed holds every template of the registry, parsed once.
type parsed struct {
	once sync.Once
	set  *template.Template
	err  error
}

var parseCache sync.Map // *Registry -> *parsed

func (r *Registry) parseAll() (*template.Template, error) {
	v, _ := parseCache.LoadOrStore(r, &parsed{})
	p := v.(*parsed)
	p.once.Do(func() {
		set := template.New("").Option("missingkey=error").Funcs(r.funcs(nil))
		err := fs.WalkDir(r.templates, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.Contains(name, "/files/") {
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

// funcs is the template func map: sprig's hermetic functions plus has.
func (r *Registry) funcs(s *Resolved) template.FuncMap {
	m := sprig.HermeticTxtFuncMap()
	m["has"] = func(name string) (bool, error) {
		if name != BaseName {
			if _, ok := r.Features[name]; !ok {
				return false, fmt.Errorf("has %q: no such feature (valid: %s)", name, strings.Join(r.FeatureNames(), ", "))
			}
		}
		return s != nil && s.Has(name), nil
	}
	return m
}

// RenderSources renders every template of a resolved spec and formats the
// Go files. It does not write go.mod, go.sum or the manifest; Render does.
func (r *Registry) RenderSources(s *Resolved) (Files, error) {
	set, err := r.parseAll()
	if err != nil {
		return nil, err
	}
	plan, err := r.Plan(s)
	if err != nil {
		return nil, err
	}
	set, err = set.Clone()
	if err != nil {
		return nil, err
	}
	set.Funcs(r.funcs(s))
	data := r.data(s)
	files := Files{}
	templateOf := map[string]string{}
	var buf bytes.Buffer
	for _, pf := range plan {
		buf.Reset()
		if err := set.ExecuteTemplate(&buf, pf.Template, data); err != nil {
			return nil, fmt.Errorf("render %s: %w", pf.Template, err)
		}
		if len(bytes.TrimSpace(buf.Bytes())) == 0 {
			continue // the template decided this file does not exist for this spec
		}
		files[pf.Path] = slices.Clone(buf.Bytes())
		templateOf[pf.Path] = pf.Template
	}
	if err := formatGoFiles(files, s.Module, templateOf); err != nil {
		return nil, err
	}
	return files, nil
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
