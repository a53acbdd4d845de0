package generator

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"text/template"
)

// Slot is an insertion point in a shared file: a template calls
// {{slot "app.services"}} and every selected feature with a fragment
// slots/app.services.tmpl in its folder fills it. See docs/templates.md.
type Slot struct {
	Name string `yaml:"name"`
	Doc  string `yaml:"doc"`
	// Blocks separates fragments by a blank line; otherwise each fragment
	// starts on the next line.
	Blocks bool `yaml:"blocks"`
	// One means at most one selected feature may fill the slot (features
	// that fill it must exclude each other).
	One bool `yaml:"one"`
	// Default is the text of a One slot that no selected feature fills.
	Default string `yaml:"default"`
	// Feature names the feature whose templates call the slot, for a slot
	// that is not in a shared file of base (admin.stats, in admin's wiring).
	// Only that feature's templates may call it, and while the feature is
	// not in the registry (its folder deleted) the slot is unused and its
	// fragments are never rendered.
	Feature string `yaml:"feature"`
}

// sep is what precedes each fragment in the slot's output.
func (s *Slot) sep() string {
	if s.Blocks {
		return "\n\n"
	}
	return "\n"
}

// Order returns features in the order slots are filled and features are
// wired: every feature after the features it requires and, when they are
// selected too, those it names in after; otherwise by name. Deleting one
// feature never reorders the others.
func (r *Registry) Order(features []string) []string {
	selected := map[string]bool{}
	for _, f := range features {
		selected[f] = true
	}
	deps := func(name string) []string {
		var out []string
		for _, d := range r.orderDeps(name) {
			if selected[d] {
				out = append(out, d)
			}
		}
		return out
	}
	done := map[string]bool{}
	out := make([]string, 0, len(features))
	remaining := slices.Sorted(slices.Values(features))
	for len(remaining) > 0 {
		progressed := false
		for i, name := range remaining {
			ready := true
			for _, d := range deps(name) {
				if !done[d] {
					ready = false
					break
				}
			}
			if ready {
				done[name] = true
				out = append(out, name)
				remaining = slices.Delete(remaining, i, i+1)
				progressed = true
				break // restart from the smallest name
			}
		}
		if !progressed { // a cycle: check() refuses it, so never here
			return append(out, remaining...)
		}
	}
	return out
}

// renderer renders one spec: the template set bound to its data, with has
// and slot answering for that spec.
type renderer struct {
	reg   *Registry
	spec  *Resolved
	set   *template.Template
	data  *Data
	order []*Feature // selected features in Order
	slots map[string]string
	depth int
}

func (r *Registry) newRenderer(s *Resolved) (*renderer, error) {
	set, err := r.parseAll()
	if err != nil {
		return nil, err
	}
	set, err = set.Clone()
	if err != nil {
		return nil, err
	}
	rr := &renderer{reg: r, spec: s, set: set, slots: map[string]string{}}
	for _, name := range r.Order(s.Features) {
		rr.order = append(rr.order, r.Features[name])
	}
	set.Funcs(r.funcs(s, rr.slot))
	if rr.data, err = r.data(s, rr.expand); err != nil {
		return nil, err
	}
	return rr, nil
}

// execute renders the named template of the set.
func (rr *renderer) execute(name string) ([]byte, error) {
	var buf bytes.Buffer
	if err := rr.set.ExecuteTemplate(&buf, name, rr.data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// expand renders a string of feature.yaml (an env default, say) as a
// template over the spec's data.
func (rr *renderer) expand(s string, d *Data) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	t, err := template.New("value").Option("missingkey=error").Parse(s)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// slot renders every fragment aimed at name by the selected features, in
// Order, each preceded by the slot's separator; "" when none fills it.
func (rr *renderer) slot(name string) (string, error) {
	sl, ok := rr.reg.Slots[name]
	if !ok {
		return "", fmt.Errorf("slot %q is not declared in templates/slots.yaml", name)
	}
	if out, ok := rr.slots[name]; ok {
		return out, nil
	}
	if rr.depth > 8 {
		return "", fmt.Errorf("slot %q: fragments nest more than 8 deep (a fragment fills a slot it is in?)", name)
	}
	rr.depth++
	defer func() { rr.depth-- }()
	var out strings.Builder
	var filledBy []string
	for _, f := range rr.order {
		tmpl, ok := f.fragments[name]
		if !ok {
			continue
		}
		b, err := rr.execute(tmpl)
		if err != nil {
			return "", err
		}
		frag := strings.Trim(string(b), "\n")
		if strings.TrimSpace(frag) == "" {
			continue // the fragment decided it has nothing to add for this spec
		}
		filledBy = append(filledBy, f.Name)
		out.WriteString(sl.sep())
		out.WriteString(frag)
	}
	if sl.One && len(filledBy) > 1 {
		return "", fmt.Errorf("slot %q takes one fragment, but %s fill it", name, strings.Join(filledBy, " and "))
	}
	if len(filledBy) == 0 && sl.Default != "" {
		out.WriteString(sl.sep())
		out.WriteString(strings.Trim(sl.Default, "\n"))
	}
	rr.slots[name] = out.String()
	return rr.slots[name], nil
}
