package generator

import (
	"bytes"
	"fmt"

	"github.com/goccy/go-yaml"
)

// ManifestName is the file at a project's root that records how it was
// generated. `omnistack add`, `remove`, `status` and `upgrade` find the
// project by walking up to it.
const ManifestName = "omnistack.yaml"

// Manifest is the content of omnistack.yaml.
type Manifest struct {
	Generator string   `yaml:"generator"`
	Name      string   `yaml:"name"`
	Module    string   `yaml:"module"`
	Features  []string `yaml:"features"`
}

const manifestHeader = "# Written by omnistack; read by `omnistack add`, `remove`, `status` and `upgrade`.\n# Change features with those commands rather than by hand.\n"

// Marshal encodes the manifest deterministically.
func (m *Manifest) Marshal() ([]byte, error) {
	out, err := yaml.MarshalWithOptions(m, yaml.IndentSequence(true))
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append([]byte(manifestHeader), out...), nil
}

// ParseManifest decodes omnistack.yaml.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField()).Decode(&m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", ManifestName, err)
	}
	if m.Name == "" || m.Module == "" {
		return nil, fmt.Errorf("parse %s: name and module are required", ManifestName)
	}
	return &m, nil
}
