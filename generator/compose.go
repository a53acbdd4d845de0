package generator

import (
	"fmt"
	"slices"
	"strings"
)

// ExclusiveError refuses a feature of an exclusive group that already has
// another member. Commands say how to switch (--auth clerk for new,
// omnistack remove auth-builtin for add).
type ExclusiveError struct {
	Group   string
	Have    string   // the member already chosen
	Add     string   // the member asked for
	Choices []string // every member of the group
}

func (e *ExclusiveError) Error() string {
	return fmt.Sprintf("%s and %s are alternatives in the exclusive group %q: choose one of %s", e.Have, e.Add, e.Group, strings.Join(e.Choices, ", "))
}

// Unwrap makes an ExclusiveError a usage error (exit code 2) for IsUsage.
func (e *ExclusiveError) Unwrap() error { return &UsageError{Msg: e.Error()} }

// RequiredError refuses to drop a feature that a feature staying requires.
type RequiredError struct {
	Name  string // the feature to drop
	By    string // the feature that requires it
	Group string // set when By needs any feature of this group (requires_group)
}

func (e *RequiredError) Error() string {
	if e.Group != "" {
		return fmt.Sprintf("cannot drop %q: feature %q needs a feature of group %q; drop %q too, or choose another %s feature instead of %q", e.Name, e.By, e.Group, e.By, e.Group, e.Name)
	}
	return fmt.Sprintf("cannot drop %q: feature %q requires it; drop %q too or keep %q", e.Name, e.By, e.By, e.Name)
}

// Unwrap makes a RequiredError a usage error (exit code 2) for IsUsage.
func (e *RequiredError) Unwrap() error { return &UsageError{Msg: e.Error()} }

// Compose is the feature set of `new`: base (a preset's features) without
// drop, then add by the rule of WithAdded, so new and add agree. A name
// both added and dropped, and a dropped feature that a remaining or added
// feature requires (directly or not), are usage errors: nothing is re-added
// behind the user's back.
func (r *Registry) Compose(base, add, drop []string) ([]string, error) {
	add, drop = cleanNames(add), cleanNames(drop)
	if err := r.CheckChoosable(slices.Concat(add, drop)); err != nil {
		return nil, err
	}
	for _, a := range add {
		if slices.Contains(drop, a) {
			return nil, usageErrorf("feature %q is both added and dropped: name it once", a)
		}
	}
	kept, err := r.without(base, drop, false)
	if err != nil {
		return nil, err
	}
	out, err := r.WithAdded(kept, add)
	if err != nil {
		return nil, err
	}
	_, added, err := r.ResolveFeatures(out)
	if err != nil {
		return nil, err
	}
	for _, d := range drop {
		if why, ok := added[d]; ok && strings.HasPrefix(why, "required by ") {
			by := strings.TrimPrefix(why, "required by ")
			e := &RequiredError{Name: d, By: by}
			if g := r.Features[d].Group; g != "" && r.Features[by].RequiresGroup[g] == d {
				e.Group = g // re-added as the group's default
			}
			return nil, e
		}
	}
	return out, nil
}

// exclusiveMember returns the member of an exclusive group g in features
// other than name, or "".
func (r *Registry) exclusiveMember(features []string, g *Group, name string) string {
	for _, x := range features {
		if x != name && r.Features[x] != nil && r.Features[x].Group == g.Name {
			return x
		}
	}
	return ""
}

// cleanNames trims names and drops empty ones, base and repeats.
func cleanNames(names []string) []string {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n != "" && n != BaseName && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
