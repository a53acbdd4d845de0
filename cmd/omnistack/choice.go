package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/omnistack/omnistack/generator"
)

// featureFlags are the flags of new that choose features: a preset,
// --features and --without on top of it, and one flag per exclusive group
// (--database postgres, --auth none). The same type reads the flags and
// writes the equivalent command after the form, so the two cannot drift.
type featureFlags struct {
	preset            string
	features, without []string
	groups            map[string]string // group -> value as typed; "" = not given
}

// addGroupFlags adds one flag per exclusive group (--database, --auth, ...)
// whose value is a feature of the group, with or without the group prefix:
// --auth supabase is --features auth-supabase. Optional groups accept none.
func addGroupFlags(sys *System, cmd *cobra.Command, opts *newOptions) {
	reg, err := sys.registry()
	if err != nil {
		return // reported when the command runs
	}
	opts.groups = map[string]*string{}
	for _, g := range reg.Groups {
		feats := reg.InGroup(g.Name)
		if !g.Exclusive || len(feats) == 0 || cmd.Flags().Lookup(g.Name) != nil {
			continue
		}
		choices := groupChoices(g, feats)
		v := new(string)
		opts.groups[g.Name] = v
		cmd.Flags().StringVar(v, g.Name, "", fmt.Sprintf("%s: %s", strings.ToLower(g.Title), strings.Join(choices, ", ")))
		_ = cmd.RegisterFlagCompletionFunc(g.Name, cobra.FixedCompletions(choices, cobra.ShellCompDirectiveNoFileComp))
	}
}

// groupChoices are the values of a group's flag.
func groupChoices(g generator.Group, feats []*generator.Feature) []string {
	var out []string
	for _, f := range feats {
		out = append(out, strings.TrimPrefix(f.Name, g.Name+"-"))
	}
	if !g.Required {
		out = append(out, "none")
	}
	return out
}

// expand turns the group flags into features to add and to drop: a member
// is added and every other member of its group dropped, so --auth clerk on
// the api preset switches from auth-builtin; none drops them all.
func (f featureFlags) expand(reg *generator.Registry) (add, drop []string, err error) {
	add, drop = slices.Clone(f.features), slices.Clone(f.without)
	for _, g := range reg.Groups {
		v := f.groups[g.Name]
		if v == "" {
			continue
		}
		feats := reg.InGroup(g.Name)
		choices := groupChoices(g, feats)
		short := strings.TrimPrefix(v, g.Name+"-")
		if err := generator.CheckNames(fmt.Sprintf("--%s value", g.Name), []string{short}, choices); err != nil {
			return nil, nil, err
		}
		chosen := ""
		for _, m := range feats {
			if strings.TrimPrefix(m.Name, g.Name+"-") == short {
				chosen = m.Name
			}
		}
		for _, m := range feats {
			if m.Name == chosen {
				continue
			}
			if slices.Contains(f.features, m.Name) {
				return nil, nil, &generator.UsageError{Msg: fmt.Sprintf("--%s %s and --features %s disagree: the %s group takes one; pass only --%s", g.Name, v, m.Name, g.Name, g.Name)}
			}
			drop = append(drop, m.Name)
		}
		if chosen != "" {
			add = append(add, chosen)
		}
	}
	return add, drop, nil
}

// compose returns the features the flags ask for, before resolution
// (requirements and defaults are added by Resolve).
func (f featureFlags) compose(reg *generator.Registry) ([]string, error) {
	var base []string
	if f.preset != "" {
		if err := reg.CheckPreset(f.preset); err != nil {
			return nil, err
		}
		base = reg.Presets[f.preset].Features
	}
	add, drop, err := f.expand(reg)
	if err != nil {
		return nil, err
	}
	feats, err := reg.Compose(base, add, drop)
	var ex *generator.ExclusiveError
	var req *generator.RequiredError
	switch {
	case errors.As(err, &ex) && !slices.Contains(add, ex.Have):
		g := reg.Group(reg.Features[ex.Add].Group)
		return nil, &generator.UsageError{Msg: fmt.Sprintf("--features %s: %s is already chosen and the %s group takes one of %s; pass --%s %s instead", ex.Add, ex.Have, g.Name, strings.Join(ex.Choices, ", "), g.Name, strings.TrimPrefix(ex.Add, g.Name+"-"))}
	case errors.As(err, &req) && req.Group != "":
		var others []string
		for _, f := range reg.InGroup(req.Group) {
			if f.Name != req.Name {
				others = append(others, "--"+req.Group+" "+strings.TrimPrefix(f.Name, req.Group+"-"))
			}
		}
		return nil, &generator.UsageError{Msg: fmt.Sprintf("--without %s: feature %s needs one %s feature; choose another (%s), drop both (--without %s,%s) or keep %s", req.Name, req.By, req.Group, strings.Join(others, " or "), req.By, req.Name, req.Name)}
	case errors.As(err, &req):
		return nil, &generator.UsageError{Msg: fmt.Sprintf("--without %s: feature %s requires it; drop both (--without %s,%s) or keep %s", req.Name, req.By, req.By, req.Name, req.Name)}
	case err != nil:
		return nil, err
	}
	return feats, nil
}

// resolve returns the resolved feature list the flags give.
func (f featureFlags) resolve(reg *generator.Registry) ([]string, error) {
	feats, err := f.compose(reg)
	if err != nil {
		return nil, err
	}
	out, _, err := reg.ResolveFeatures(feats)
	return out, err
}

// args returns the flags as command-line arguments.
func (f featureFlags) args(reg *generator.Registry) []string {
	var out []string
	if f.preset != "" {
		out = append(out, "--preset", f.preset)
	}
	for _, g := range reg.Groups {
		if v := f.groups[g.Name]; v != "" {
			out = append(out, "--"+g.Name, v)
		}
	}
	if len(f.features) > 0 {
		out = append(out, "--features", strings.Join(f.features, ","))
	}
	if len(f.without) > 0 {
		out = append(out, "--without", strings.Join(f.without, ","))
	}
	return out
}

// flagsFor returns the flags that give exactly the resolved feature list
// want from preset: the choice of each exclusive group that differs from
// the preset's as a group flag, other features as --features and --without.
// Features the resolver adds by itself (users for auth-builtin) are left
// out, and a --without is never needed for a feature the result keeps.
// Each omission is checked by resolving the flags, so the result resolves
// to want.
func flagsFor(reg *generator.Registry, preset string, want []string) featureFlags {
	base := reg.Presets[preset].Features
	f := featureFlags{preset: preset, groups: map[string]string{}}
	exclusive := func(name string) *generator.Group {
		if g := reg.Group(reg.Features[name].Group); g != nil && g.Exclusive {
			return g
		}
		return nil
	}
	for _, g := range reg.Groups {
		if !g.Exclusive {
			continue
		}
		member := func(list []string) string {
			for _, x := range list {
				if reg.Features[x] != nil && reg.Features[x].Group == g.Name {
					return x
				}
			}
			return ""
		}
		switch cur, was := member(want), member(base); {
		case cur == was:
		case cur == "":
			f.groups[g.Name] = "none"
		default:
			f.groups[g.Name] = strings.TrimPrefix(cur, g.Name+"-")
		}
	}
	for _, name := range want {
		// A library (idp, email) is never named: it comes with what needs it.
		if exclusive(name) == nil && !reg.Features[name].Library && !slices.Contains(base, name) {
			f.features = append(f.features, name)
		}
	}
	for _, name := range base {
		if exclusive(name) == nil && !slices.Contains(want, name) {
			f.without = append(f.without, name)
		}
	}
	slices.Sort(f.without)
	for i := 0; i < len(f.features); {
		try := f
		try.features = slices.Delete(slices.Clone(f.features), i, i+1)
		if got, err := try.resolve(reg); err == nil && slices.Equal(got, want) {
			f = try
		} else {
			i++
		}
	}
	return f
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
