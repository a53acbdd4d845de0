package generator

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/goccy/go-yaml"
)

// Service is an external service some features need (PostgreSQL, Redis,
// ...), described once in templates/services/<name>.yaml. compose.yaml,
// the generated CI workflow and the README are rendered from it.
type Service struct {
	Name    string `yaml:"name" json:"name"`
	Summary string `yaml:"summary" json:"summary"`
	// Env is the variable that locates the service, e.g. DATABASE_URL.
	Env string `yaml:"env" json:"env"`
	// Debian is the Debian package that provides the service, for machines
	// without containers.
	Debian string `yaml:"debian" json:"debian"`
	// Install is the command that installs the service without containers
	// when Debian has no package for it (go install ...). One of Debian and
	// Install is set.
	Install string         `yaml:"install" json:"install,omitempty"`
	Compose ServiceRuntime `yaml:"compose" json:"-"`
	// CI is how the generated CI workflow runs the service; empty for a
	// development tool (a mail catcher) the tests do not need.
	CI ServiceRuntime `yaml:"ci" json:"-"`
}

// InCI reports whether the generated CI workflow runs the service.
func (s *Service) InCI() bool { return s.CI.Service != "" }

// ServiceRuntime is how one environment (compose, CI) runs a service.
type ServiceRuntime struct {
	// URL is the value of the service's Env variable for the application
	// in that environment.
	URL string `yaml:"url"`
	// Volume is a named volume the service keeps its data in, if any.
	Volume string `yaml:"volume"`
	// Service is the body of the service's entry (a YAML mapping: image,
	// ports, health check, ...), written without indentation.
	Service string `yaml:"service"`
	// Vars are further variables the application needs in that
	// environment to use the service (a mail catcher's port and TLS
	// setting), rendered in key order.
	Vars map[string]string `yaml:"vars"`
}

func loadServices(tfs fs.FS) (map[string]*Service, error) {
	out := map[string]*Service{}
	names, err := fs.Glob(tfs, "services/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("load services: %w", err)
	}
	for _, name := range names {
		data, err := fs.ReadFile(tfs, name)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
		var s Service
		if err := decodeStrict(data, &s); err != nil {
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".yaml"); s.Name != want {
			return nil, fmt.Errorf("%s: name is %q, want the file name %q", name, s.Name, want)
		}
		if s.Summary == "" || s.Env == "" || (s.Debian == "") == (s.Install == "") {
			return nil, fmt.Errorf("%s: summary, env and one of debian and install are required", name)
		}
		for env, rt := range map[string]ServiceRuntime{"compose": s.Compose, "ci": s.CI} {
			if env == "ci" && rt.URL == "" && rt.Service == "" && len(rt.Vars) == 0 {
				continue // a development tool: not in CI
			}
			var body map[string]any
			if err := yaml.Unmarshal([]byte(rt.Service), &body); err != nil || len(body) == 0 || rt.URL == "" {
				return nil, fmt.Errorf("%s: %s needs a url and a service body that is a YAML mapping (image, ports, ...): %v", name, env, err)
			}
		}
		out[s.Name] = &s
	}
	return out, nil
}
