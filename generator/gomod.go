package generator

import (
	"fmt"
	"sort"
	"strings"
)

// goModules writes go.mod and go.sum for a rendered project.
// TODO(deps): replace with the exact record from generator/deps.
func (r *Registry) goModules(s *Resolved, files Files) (gomod, gosum []byte, err error) {
	imps, err := Imports(files, s.Module)
	if err != nil {
		return nil, nil, err
	}
	pins := map[string]string{}
	for _, f := range append([]*Feature{r.Base}, r.selected(s)...) {
		for _, p := range f.Go {
			m, v, _ := parsePin(p)
			pins[m] = v
		}
	}
	direct := map[string]bool{}
	for _, ip := range imps {
		best := ""
		for m := range pins {
			if (ip == m || strings.HasPrefix(ip, m+"/")) && len(m) > len(best) {
				best = m
			}
		}
		if best == "" {
			return nil, nil, fmt.Errorf("the generated code imports %s but no selected feature pins its module: add it to a feature.yaml go: list", ip)
		}
		direct[best] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n\ngo %s\n", s.Module, GoVersion)
	mods := sortedKeys(direct)
	sort.Strings(mods)
	if len(mods) > 0 {
		b.WriteString("\nrequire (\n")
		for _, m := range mods {
			fmt.Fprintf(&b, "\t%s %s\n", m, pins[m])
		}
		b.WriteString(")\n")
	}
	return []byte(b.String()), nil, nil
}

func (r *Registry) selected(s *Resolved) []*Feature {
	out := make([]*Feature, len(s.Features))
	for i, name := range s.Features {
		out[i] = r.Features[name]
	}
	return out
}
