package deps

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Pin is a direct module requirement declared by a feature.
type Pin struct{ Path, Version string }

// ParsePin parses "path version", the form of a feature.yaml go: entry.
func ParsePin(s string) (Pin, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return Pin{}, fmt.Errorf("pin %q: want \"module/path vX.Y.Z\"", s)
	}
	p := Pin{Path: f[0], Version: f[1]}
	if err := module.Check(p.Path, p.Version); err != nil {
		return Pin{}, fmt.Errorf("pin %q: %w", s, err)
	}
	// +incompatible (a v2+ module without go.mod and without /vN in its
	// path, e.g. sendgrid-go) is the one build suffix the go command writes.
	v, incompatible := strings.CutSuffix(p.Version, "+incompatible")
	if _, major, _ := module.SplitPathVersion(p.Path); incompatible && (major != "" || semver.Major(v) == "v0" || semver.Major(v) == "v1") {
		return Pin{}, fmt.Errorf("pin %q: +incompatible is only for v2 and later of a path without /vN", s)
	}
	if semver.Canonical(v) != v {
		return Pin{}, fmt.Errorf("pin %q: version %s is not canonical", s, p.Version)
	}
	return p, nil
}

// CheckPins reports pins that disagree across features (or within one):
// the error names both features and both versions. It also rejects
// malformed pins.
func CheckPins(pins map[string][]Pin) error {
	type owner struct{ feature, version string }
	seen := map[string]owner{}
	var errs []error
	for _, feature := range slices.Sorted(maps.Keys(pins)) {
		for _, p := range pins[feature] {
			if err := module.Check(p.Path, p.Version); err != nil {
				errs = append(errs, fmt.Errorf("feature %s: pin %s %s: %w", feature, p.Path, p.Version, err))
				continue
			}
			o, ok := seen[p.Path]
			if !ok {
				seen[p.Path] = owner{feature, p.Version}
				continue
			}
			if o.version != p.Version {
				errs = append(errs, fmt.Errorf("feature %s pins %s %s but feature %s pins %s: use one version", o.feature, p.Path, o.version, feature, p.Version))
			}
		}
	}
	return errors.Join(errs...)
}
