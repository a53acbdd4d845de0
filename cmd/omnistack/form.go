package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"github.com/omnistack/omnistack/generator"
)

// errEndOfInput is returned when the accessible form reads end of input
// (Ctrl-D) again and again: the input is closed, so asking once more
// cannot help.
var errEndOfInput = errors.New("no answer (end of input); nothing was written")

// maxEOF is how many ends of input in a row one question accepts before
// the form gives up: on a terminal Ctrl-D ends one read and the question is
// asked again; a closed pipe ends every read.
const maxEOF = 3

// runForm asks for what the flags did not give, with huh: one form, so
// shift+tab goes back to any earlier screen, ending with a summary to
// confirm. Answering no to the summary edits the answers again.
func runForm(sys *System, reg *generator.Registry, a *answers, accessible bool) error {
	st := newFormState(reg, a)
	for {
		st.confirmed = true // the summary's default: yes, write it
		var err error
		if accessible {
			err = st.runAccessible(sys)
		} else {
			err = st.runTerminal(sys)
		}
		if err != nil {
			return err
		}
		if st.confirmed {
			break
		}
		fmt.Fprintln(sys.Out, "Editing the answers again (Ctrl-C cancels).")
	}
	if a.Module == "" {
		a.Module = "example.com/" + a.Name
	}
	if st.featuresAsked {
		a.Features = st.features()
	}
	return nil
}

// formState is what the form edits. The huh fields are bound to it; the
// select hooks (applyPreset, tickRequirements) change it under the later
// screens, which re-read it when entered.
type formState struct {
	reg *generator.Registry
	a   *answers

	askName, askModule, featuresAsked bool
	exclusive                         map[string]*string   // group -> chosen feature ("" none)
	multi                             map[string]*[]string // group -> ticked features
	applied                           string               // the preset the choices were set from
	ticked                            map[string]string    // exclusive group -> choice whose requirements were ticked
	confirmed                         bool
	err                               error // a preset the flags cannot be applied to (accessible form)
}

func newFormState(reg *generator.Registry, a *answers) *formState {
	st := &formState{
		reg: reg, a: a,
		askName:   a.Name == "",
		askModule: a.Module == "",
		exclusive: map[string]*string{},
		multi:     map[string]*[]string{},
		ticked:    map[string]string{},
	}
	if a.Preset == "" {
		// The preset is asked, and the feature screens with it.
		st.featuresAsked = true
		a.Preset = "minimal"
		for _, g := range reg.Groups {
			if len(st.groupFeatures(g.Name)) == 0 {
				continue
			}
			if g.Exclusive {
				st.exclusive[g.Name] = new(string)
			} else {
				st.multi[g.Name] = new([]string)
			}
		}
		// Flags that do not fit the minimal preset are reported on the
		// preset question, where another preset can be chosen.
		_ = st.applyPreset(a.Preset)
	}
	return st
}

// groupFeatures are the features a user may choose in a group: library
// features (idp) come with the features that need them and are never shown.
func (st *formState) groupFeatures(group string) []*generator.Feature {
	return slices.DeleteFunc(st.reg.InGroup(group), func(f *generator.Feature) bool { return f.Library })
}

// applyPreset sets every feature screen to the preset with the flags'
// changes applied, when the preset differs from the one applied last.
func (st *formState) applyPreset(preset string) error {
	if preset == st.applied {
		return nil
	}
	flags := st.a.Flags
	flags.preset = preset
	feats, err := flags.compose(st.reg)
	if err != nil {
		return err
	}
	st.applied = preset
	for _, g := range st.reg.Groups {
		if c, ok := st.exclusive[g.Name]; ok {
			*c = ""
			for _, f := range st.groupFeatures(g.Name) {
				if slices.Contains(feats, f.Name) {
					*c = f.Name
				}
			}
			if *c == "" && g.Required {
				*c = g.Default
			}
			st.ticked[g.Name] = *c
		}
		if m, ok := st.multi[g.Name]; ok {
			*m = nil
			for _, f := range st.groupFeatures(g.Name) {
				if slices.Contains(feats, f.Name) {
					*m = append(*m, f.Name)
				}
			}
		}
	}
	return nil
}

// tickRequirements ticks, on the other screens, what the feature chosen in
// an exclusive group requires (auth-builtin: users), once per new choice,
// so a requirement the user unticks afterwards stays unticked (and is added
// back, as the summary says).
func (st *formState) tickRequirements(group, name string) {
	if st.ticked[group] == name {
		return
	}
	st.ticked[group] = name
	if name == "" {
		return
	}
	for _, req := range st.requirements(name) {
		f := st.reg.Features[req]
		if m, ok := st.multi[f.Group]; ok && !slices.Contains(*m, req) {
			*m = append(*m, req)
		}
		if c, ok := st.exclusive[f.Group]; ok && f.Group != group {
			*c = req
		}
	}
}

// requirements are the choosable features name needs, transitively.
func (st *formState) requirements(name string) []string {
	var out []string
	var walk func(string)
	walk = func(n string) {
		reqs := slices.Clone(st.reg.Features[n].Requires)
		// A required group adds its default only while none of it is chosen.
		for _, g := range slices.Sorted(maps.Keys(st.reg.Features[n].RequiresGroup)) {
			if c, ok := st.exclusive[g]; !ok || *c == "" {
				reqs = append(reqs, st.reg.Features[n].RequiresGroup[g])
			}
		}
		for _, req := range reqs {
			if slices.Contains(out, req) {
				continue
			}
			if !st.reg.Features[req].Library {
				out = append(out, req)
			}
			walk(req)
		}
	}
	walk(name)
	return out
}

// features is the feature list the screens give, sorted.
func (st *formState) features() []string {
	var picked []string
	for _, g := range st.reg.Groups {
		if c, ok := st.exclusive[g.Name]; ok && *c != "" {
			picked = append(picked, *c)
		}
		if m, ok := st.multi[g.Name]; ok {
			picked = append(picked, *m...)
		}
	}
	slices.Sort(picked)
	return picked
}

// summary says what will be generated: what the user chose plus what the
// resolver adds, and the services the project needs to run.
func (st *formState) summary() string {
	a := st.a
	module := a.Module
	if module == "" {
		module = "example.com/" + a.Name
	}
	dir := a.Output
	if dir == "" {
		dir = "./" + a.Name
	}
	feats := a.Features
	if st.featuresAsked {
		feats = st.features()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Name:       %s\nModule:     %s\nDirectory:  %s\n", a.Name, module, dir)
	resolved, added, err := st.reg.ResolveFeatures(feats)
	if err != nil {
		fmt.Fprintf(&b, "Features:   cannot be generated: %v\n", err)
		return b.String()
	}
	var shown, services []string
	for _, name := range resolved {
		f := st.reg.Features[name]
		services = append(services, f.Services...)
		if f.Library {
			continue
		}
		if why := added[name]; why != "" {
			name += " (" + why + ")"
		}
		shown = append(shown, name)
	}
	if len(shown) == 0 {
		shown = []string{"(base only)"}
	}
	fmt.Fprintf(&b, "Features:   %s\n", strings.Join(shown, ", "))
	slices.Sort(services)
	services = slices.Compact(services)
	if len(services) == 0 {
		services = []string{"none (runs with nothing else installed)"}
	}
	fmt.Fprintf(&b, "Services:   %s\n", strings.Join(services, ", "))
	return b.String()
}

// step is one question. build returns its field; dynamic fields bind
// their options to the state (the terminal form builds each field once),
// static ones read the state when built (the accessible form builds each
// field just before asking it). note is what the accessible form prints
// before the question: its description and default.
type step struct {
	screen int // the terminal form's group
	build  func(dynamic bool) huh.Field
	note   func() string
}

// layout is how wide option lines may be and how tall a field may be in
// the terminal; 0 means no limit (accessible mode, unknown size).
type layout struct{ width, height int }

// steps lists the questions in order.
func (st *formState) steps(lay layout) []step {
	a, reg := st.a, st.reg
	var out []step
	screen := 0
	if st.askName {
		out = append(out, step{screen: screen,
			build: func(dynamic bool) huh.Field {
				validate := generator.ValidateName
				if !dynamic && a.Name != "" {
					// An accessible prompt reads "" for "keep the default".
					validate = func(s string) error {
						if s == "" {
							return nil
						}
						return generator.ValidateName(s)
					}
				}
				return huh.NewInput().Title("Project name").
					Description("Directory and binary name: lower-case letters, digits and '-'.").
					Value(&a.Name).Validate(validate)
			},
			note: func() string {
				s := "Directory and binary name: lower-case letters, digits and '-'. Required."
				if a.Name != "" {
					s += " Default: " + a.Name + " (enter keeps it)."
				}
				return s
			},
		})
	}
	if st.askModule {
		validate := func(s string) error {
			if s == "" {
				return nil
			}
			_, err := generator.ValidateModule(s)
			return err
		}
		out = append(out, step{screen: screen,
			build: func(bool) huh.Field {
				return huh.NewInput().Title("Go module path").
					Description("Where the code will live, e.g. github.com/acme/myapp; empty: example.com/<name>.").
					PlaceholderFunc(func() string { return "example.com/" + a.Name }, &a.Name).
					Value(&a.Module).Validate(validate)
			},
			note: func() string {
				d := a.Module
				if d == "" {
					d = "example.com/" + a.Name
				}
				return "Where the code will live, e.g. github.com/acme/myapp. Default: " + d + " (enter keeps it)."
			},
		})
	}
	if st.featuresAsked {
		out = append(out, step{screen: screen,
			build: func(dynamic bool) huh.Field {
				validate := st.applyPreset
				if !dynamic {
					// An accessible select asks again on an error, which
					// loops on end of input: report it after the question.
					validate = func(p string) error { st.err = st.applyPreset(p); return nil }
				}
				var opts []huh.Option[string]
				for _, name := range reg.PresetNames() {
					p := reg.Presets[name]
					opts = append(opts, huh.NewOption(fitLine(fmt.Sprintf("%-8s %s", p.Name, p.Summary), lay.width), p.Name))
				}
				desc := "A starting set of features; adjust it on the next screens."
				sel := huh.NewSelect[string]().Title("Preset").Description(desc).
					Options(opts...).Value(&a.Preset).Validate(validate).
					Height(fieldHeight(desc, len(opts), lay))
				if dynamic {
					return selectOnFocus(sel, func() { sel.Options(opts...) })
				}
				return sel
			},
			note: func() string {
				return "A starting set of features; adjust it on the next questions. Default: " + a.Preset + " (enter keeps it)."
			},
		})
		for _, g := range reg.Groups {
			feats := st.groupFeatures(g.Name)
			if len(feats) == 0 {
				continue
			}
			screen++
			out = append(out, st.featureStep(screen, g, feats, lay))
		}
	}
	screen++
	out = append(out, step{screen: screen,
		build: func(dynamic bool) huh.Field {
			c := huh.NewConfirm().Title("Create the project?").
				Affirmative("Yes, write it").Negative("No, edit").Value(&st.confirmed)
			if dynamic {
				return &onFocus{Field: c, refresh: func() { c.Description(st.summary()) }}
			}
			return c
		},
		note: func() string {
			return "Summary of what will be generated:\n" + st.summary() + "Yes writes the project; no goes back to the questions; Ctrl-C cancels."
		},
	})
	return out
}

// featureStep is the question for one group: a select for an exclusive
// group, a multi-select otherwise. Each option says what it pulls in.
func (st *formState) featureStep(screen int, g generator.Group, feats []*generator.Feature, lay layout) step {
	options := func() []huh.Option[string] {
		var opts []huh.Option[string]
		if g.Exclusive && !g.Required {
			opts = append(opts, huh.NewOption("none", ""))
		}
		for _, f := range feats {
			label := fmt.Sprintf("%-14s %s", f.Name, f.Summary)
			if reqs := st.requirements(f.Name); len(reqs) > 0 {
				label = fmt.Sprintf("%-14s (adds %s) %s", f.Name, strings.Join(reqs, ", "), f.Summary)
			}
			o := huh.NewOption(fitLine(label, lay.width), f.Name)
			if m, ok := st.multi[g.Name]; ok {
				o = o.Selected(slices.Contains(*m, f.Name))
			}
			opts = append(opts, o)
		}
		return opts
	}
	n := len(feats)
	if g.Exclusive && !g.Required {
		n++
	}
	desc := g.Summary
	if !g.Exclusive {
		desc += " (x or space toggles, enter confirms)"
	}
	height := fieldHeight(desc, n, lay)
	if g.Exclusive {
		choice := st.exclusive[g.Name]
		return step{screen: screen,
			build: func(dynamic bool) huh.Field {
				sel := huh.NewSelect[string]().Title(g.Title).Description(desc).
					Options(options()...).Value(choice).Height(height).
					Validate(func(v string) error { st.tickRequirements(g.Name, v); return nil })
				if dynamic {
					// A preset chosen earlier in the form may have changed
					// the choice: show it when the screen is entered.
					return selectOnFocus(sel, func() { sel.Options(options()...) })
				}
				return sel
			},
			note: func() string {
				d := *choice
				if d == "" {
					d = "none"
				}
				return g.Summary + ". Default: " + d + " (enter keeps it)."
			},
		}
	}
	chosen := st.multi[g.Name]
	return step{screen: screen,
		build: func(dynamic bool) huh.Field {
			m := huh.NewMultiSelect[string]().Title(g.Title).Description(desc).
				Options(options()...).Value(chosen).Height(height)
			if dynamic {
				// The preset and the requirements of earlier choices tick
				// options: show the ticks when the screen is entered, the
				// cursor on the first option (home).
				return &onFocus{Field: m, refresh: func() { m.Options(options()...) }, keys: []tea.KeyMsg{{Type: tea.KeyHome}}}
			}
			return m
		},
		note: func() string {
			now := "none"
			if len(*chosen) > 0 {
				now = strings.Join(*chosen, ", ")
			}
			return g.Summary + ". Ticked now: " + now + ". Enter a number to toggle it, 0 when done."
		},
	}
}

// fieldHeight is the height to give a select with n one-line options
// under a title and description: 0 (huh sizes it to its options) when it
// fits the terminal, else the terminal's height less the help line. Only a
// select taller than the terminal gets a height, because huh's Select with
// a height scrolls its viewport to the cursor, hiding the options above it.
func fieldHeight(desc string, n int, lay layout) int {
	if lay.width <= 0 || lay.height <= 0 {
		return 0
	}
	descLines := (utf8.RuneCountInString(desc) + lay.width - 1) / lay.width
	room := lay.height - 4 // the help line, a blank line and the margins
	if 1+descLines+n <= room {
		return 0
	}
	return max(room, 3+descLines)
}

// onFocus is a field that refreshes itself from the form's state when its
// screen is entered, since earlier screens (the preset, an auth choice)
// change it, then sends itself keys. huh's OptionsFunc would refresh it
// too, but loads options after the screen is shown and scrolls the list.
type onFocus struct {
	huh.Field
	refresh func()
	keys    []tea.KeyMsg
}

func (f *onFocus) Focus() tea.Cmd {
	f.refresh()
	for _, k := range f.keys {
		f.Field.Update(k)
	}
	return f.Field.Focus()
}

// Update keeps the wrapper in the group (huh stores the model it returns).
func (f *onFocus) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := f.Field.Update(msg)
	return f, cmd
}

// selectOnFocus refreshes a select on focus and moves its cursor up and
// back down. huh v1.0.0 scrolls a select's list to the chosen option
// (Options and Value set the viewport's offset to its index, unclamped),
// which hides the options above a choice that is not the first; a move
// up clamps the offset, and the move down restores the choice.
func selectOnFocus(s *huh.Select[string], refresh func()) huh.Field {
	return &onFocus{Field: s, refresh: refresh, keys: []tea.KeyMsg{{Type: tea.KeyUp}, {Type: tea.KeyDown}}}
}

// fitLine shortens s to width runes with an ellipsis; 0 keeps it whole.
func fitLine(s string, width int) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:width-1]), " ") + "…"
}

// runTerminal runs the form full screen.
func (st *formState) runTerminal(sys *System) error {
	width := sys.width()
	// Option lines fit the screen: the field's border and cursor take the
	// first columns.
	lay := layout{width: width - 10, height: sys.Height}
	if lay.width < 20 {
		lay.width = 20
	}
	var groups []*huh.Group
	var fields []huh.Field
	last := -1
	for _, s := range st.steps(lay) {
		if s.screen != last && len(fields) > 0 {
			groups = append(groups, huh.NewGroup(fields...))
			fields = nil
		}
		last = s.screen
		fields = append(fields, s.build(true))
	}
	groups = append(groups, huh.NewGroup(fields...))
	f := huh.NewForm(groups...).WithInput(sys.In).WithOutput(sys.Out).WithWidth(width)
	if !sys.color() {
		f = f.WithTheme(huh.ThemeBase())
	}
	err := f.Run()
	if errors.Is(err, huh.ErrUserAborted) {
		return errInterrupted
	}
	return err
}

// runAccessible asks one question at a time in plain lines, printing each
// question's description and default first (huh's accessible prompts show
// neither). End of input re-asks the question, and SIGINT (Ctrl-C) cancels.
func (st *formState) runAccessible(sys *System) error {
	interrupt := sys.Interrupt
	if interrupt == nil {
		c := make(chan os.Signal, 1)
		signal.Notify(c, os.Interrupt)
		defer signal.Stop(c)
		interrupt = c
	}
	out := &gate{w: sys.Out}
	done := make(chan error, 1)
	go func() { done <- st.askAll(sys.In, out) }()
	select {
	case err := <-done:
		return err
	case <-interrupt:
		// The question's read is left blocked (the process exits next);
		// closing the gate keeps it from writing over what follows.
		out.close()
		fmt.Fprintln(sys.Out)
		return errInterrupted
	}
}

// gate passes writes through until it is closed, then drops them.
type gate struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (g *gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return len(p), nil
	}
	return g.w.Write(p)
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

func (st *formState) askAll(r io.Reader, out io.Writer) error {
	// huh's accessible prompts read with a new bufio.Scanner each time;
	// hand them one line at a time so piped input is not swallowed.
	in := &lineReader{r: r}
	for _, s := range st.steps(layout{}) {
		for eofs := 0; ; {
			fmt.Fprintln(out, s.note())
			in.eof = false
			f := s.build(false)
			if err := f.RunAccessible(out, in); err != nil {
				return err
			}
			if st.err != nil {
				return st.err
			}
			if !in.eof {
				break
			}
			if eofs++; eofs == maxEOF {
				return errEndOfInput
			}
			fmt.Fprintln(out, "No answer (end of input); asking again.")
		}
	}
	return nil
}

// lineReader returns at most one line per Read, and notes an end of input
// that came before any byte of a line.
type lineReader struct {
	r   io.Reader
	eof bool
}

func (l *lineReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := l.r.Read(p[n : n+1])
		n += m
		if err != nil {
			if n == 0 && errors.Is(err, io.EOF) {
				l.eof = true
			}
			return n, err
		}
		if m == 1 && p[n-1] == '\n' {
			break
		}
	}
	return n, nil
}
