package main

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/charmbracelet/huh"

	"github.com/omnistack/omnistack/generator"
)

// runForm asks for what the flags did not give, with huh. It runs in two
// steps because the feature sections are pre-selected from the preset.
func runForm(sys *System, reg *generator.Registry, a *answers, accessible bool) error {
	in := sys.In
	if accessible {
		// huh's accessible prompts read with a new bufio.Scanner each time;
		// hand them one line at a time so piped input is not swallowed.
		in = &lineReader{r: sys.In}
	}
	run := func(f *huh.Form) error {
		f = f.WithAccessible(accessible).WithInput(in).WithOutput(sys.Out)
		if !sys.color() {
			f = f.WithTheme(huh.ThemeBase())
		}
		err := f.Run()
		if errors.Is(err, huh.ErrUserAborted) {
			return errInterrupted
		}
		return err
	}

	moduleGiven := a.Module != ""
	if !moduleGiven && a.Name != "" {
		a.Module = "example.com/" + a.Name // pre-filled; enter accepts it
	}
	var first []huh.Field
	if a.Name == "" {
		first = append(first, huh.NewInput().Title("Project name").
			Description("Directory and binary name: lower-case letters, digits and '-'.").
			Value(&a.Name).Validate(generator.ValidateName))
	}
	if !moduleGiven {
		first = append(first, huh.NewInput().Title("Go module path").
			Description("Where the code will live, e.g. github.com/acme/myapp; empty: example.com/<name>.").
			Value(&a.Module).Validate(func(s string) error {
			if s == "" {
				return nil
			}
			_, err := generator.ValidateModule(s)
			return err
		}))
	}
	presetGiven := a.Preset != ""
	if !presetGiven {
		a.Preset = "minimal"
		var opts []huh.Option[string]
		for _, name := range reg.PresetNames() {
			p := reg.Presets[name]
			opts = append(opts, huh.NewOption(fmt.Sprintf("%-8s %s", p.Name, p.Summary), p.Name))
		}
		first = append(first, huh.NewSelect[string]().Title("Preset").
			Description("A starting set of features; adjust it on the next screens.").
			Options(opts...).Value(&a.Preset))
	}
	if len(first) > 0 {
		if err := run(huh.NewForm(huh.NewGroup(first...))); err != nil {
			return err
		}
	}
	if a.Module == "" {
		a.Module = "example.com/" + a.Name
	}
	if presetGiven {
		return nil // features came from the flags
	}
	// Pre-select the preset's features with the flags' changes applied.
	flags := a.Flags
	flags.preset = a.Preset
	feats, err := flags.compose(reg)
	if err != nil {
		return err
	}
	a.Features = feats

	// One section per group that has features.
	var groups []*huh.Group
	exclusive := map[string]*string{}
	multi := map[string]*[]string{}
	for _, g := range reg.Groups {
		feats := reg.InGroup(g.Name)
		if len(feats) == 0 {
			continue
		}
		if g.Exclusive {
			choice := new(string)
			if !g.Required {
				*choice = "" // none
			}
			var opts []huh.Option[string]
			if !g.Required {
				opts = append(opts, huh.NewOption("none", ""))
			}
			for _, f := range feats {
				if slices.Contains(a.Features, f.Name) {
					*choice = f.Name
				}
				opts = append(opts, huh.NewOption(fmt.Sprintf("%-16s %s", f.Name, f.Summary), f.Name))
			}
			if g.Required && *choice == "" {
				*choice = g.Default
			}
			exclusive[g.Name] = choice
			groups = append(groups, huh.NewGroup(huh.NewSelect[string]().Title(g.Title).Description(g.Summary).Options(opts...).Value(choice)))
			continue
		}
		chosen := new([]string)
		var opts []huh.Option[string]
		for _, f := range feats {
			sel := slices.Contains(a.Features, f.Name)
			if sel {
				*chosen = append(*chosen, f.Name)
			}
			opts = append(opts, huh.NewOption(fmt.Sprintf("%-16s %s", f.Name, f.Summary), f.Name).Selected(sel))
		}
		multi[g.Name] = chosen
		groups = append(groups, huh.NewGroup(huh.NewMultiSelect[string]().Title(g.Title).Description(g.Summary+" (x or space toggles, enter confirms)").Options(opts...).Value(chosen)))
	}
	if len(groups) > 0 {
		if err := run(huh.NewForm(groups...)); err != nil {
			return err
		}
	}
	var picked []string
	for _, g := range reg.Groups {
		if c, ok := exclusive[g.Name]; ok && *c != "" {
			picked = append(picked, *c)
		}
		if m, ok := multi[g.Name]; ok {
			picked = append(picked, *m...)
		}
	}
	slices.Sort(picked)
	a.Features = picked
	return nil
}

// lineReader returns at most one line per Read.
type lineReader struct{ r io.Reader }

func (l *lineReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := l.r.Read(p[n : n+1])
		n += m
		if err != nil {
			return n, err
		}
		if m == 1 && p[n-1] == '\n' {
			break
		}
	}
	return n, nil
}
