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
	// Pristine is the commit of refs/omnistack/pristine this working tree
	// was last generated as: the merge base of the next add, remove or
	// upgrade. Absent in the pristine commit's own copy (a commit cannot
	// hold its own hash), in projects without git, and in projects made
	// before omnistack recorded it.
	Pristine string `yaml:"pristine,omitempty"`
}

const manifestHeader = "# Written by omnistack; read by `omnistack add`, `remove`, `status` and `upgrade`.\n# Change features with those commands rather than by hand.\n"

const pristineComment = "# The merge base: the commit of refs/omnistack/pristine these files were\n# generated as. git checkout, reset, revert and stash move it with the files.\n"

// Marshal encodes the manifest deterministically. Without Pristine the
// output is exactly what Render writes; with it, the same plus a commented
// pristine line at the end.
func (m *Manifest) Marshal() ([]byte, error) {
	plain := *m
	plain.Pristine = ""
	out, err := yaml.MarshalWithOptions(&plain, yaml.IndentSequence(true))
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	out = append([]byte(manifestHeader), out...)
	if m.Pristine != "" {
		out = fmt.Appendf(out, "%spristine: %s\n", pristineComment, m.Pristine)
	}
	return out, nil
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
