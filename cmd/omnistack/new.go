package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/spf13/cobra"

	"github.com/omnistack/omnistack/generator"
)

// newOptions are the flags of `omnistack new`.
type newOptions struct {
	name       string
	module     string
	preset     string
	features   []string
	without    []string
	yes        bool
	dryRun     bool
	force      bool
	noGit      bool
	output     string
	accessible bool
	groups     map[string]*string // --auth builtin, --database postgres, ...
}

// answers is what the form fills in; flags pre-fill it.
type answers struct {
	Name     string
	Module   string
	Preset   string
	Features []string // the final feature list (preset + extras - removed)
}

func newNewCmd(sys *System) *cobra.Command {
	opts := &newOptions{}
	cmd := &cobra.Command{
		Use:   "new [name]",
		Short: "Generate a new service",
		Long: `Generate a new Go service in ./<name> (or --output).

In a terminal, missing choices are asked in an interactive form; set
ACCESSIBLE=1 or pass --accessible for a screen-reader friendly form. Without
a terminal, pass the name and --yes (take defaults), --preset or --features.

Features come from a preset (default "minimal") plus --features, minus
--without. Requirements are added automatically and reported. See
'omnistack features' and 'omnistack presets'.

Nothing is written on any error. The project is rendered in memory, written
to a temporary directory beside the target and renamed into place; a target
that exists and is not empty is refused unless --force, which writes only
omnistack's files, lists every existing file it replaced (--dry-run --force
lists them first) and touches nothing else.`,
		Example: `  # Interactive form
  omnistack new myapp

  # Defaults, no questions (CI)
  omnistack new myapp --yes

  # A preset, with PostgreSQL instead of SQLite
  omnistack new billing --preset minimal --features postgres --module github.com/acme/billing

  # See what would be written
  omnistack new myapp --yes --dry-run`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.name = args[0]
			}
			opts.accessible = opts.accessible || sys.Getenv("ACCESSIBLE") != ""
			if err := applyGroupFlags(opts); err != nil {
				return err
			}
			return runNew(sys, cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.module, "module", "", "Go module path (default example.com/<name>)")
	f.StringVar(&opts.preset, "preset", "", "start from a preset: see 'omnistack presets' (default minimal)")
	f.StringSliceVar(&opts.features, "features", nil, "features to add to the preset, comma-separated: see 'omnistack features'")
	f.StringSliceVar(&opts.without, "without", nil, "features to remove from the preset, comma-separated")
	f.BoolVarP(&opts.yes, "yes", "y", false, "never prompt; take defaults for anything not given")
	f.BoolVar(&opts.dryRun, "dry-run", false, "print the files that would be written; write nothing")
	f.BoolVar(&opts.force, "force", false, "write into a non-empty directory (only omnistack's files are written; each existing file replaced is listed)")
	f.BoolVar(&opts.noGit, "no-git", false, "do not create a git repository (add then re-renders instead of using the pristine ref)")
	f.StringVarP(&opts.output, "output", "o", "", "directory to create the project in (default ./<name>)")
	f.BoolVar(&opts.accessible, "accessible", false, "screen-reader friendly form (also ACCESSIBLE=1)")
	addGroupFlags(cmd, opts)
	_ = cmd.RegisterFlagCompletionFunc("preset", completePresets)
	_ = cmd.RegisterFlagCompletionFunc("features", completeFeatures)
	_ = cmd.RegisterFlagCompletionFunc("without", completeFeatures)
	return cmd
}

func runNew(sys *System, cmd *cobra.Command, opts *newOptions) error {
	reg, err := generator.LoadRegistry()
	if err != nil {
		return err
	}
	a := &answers{Name: opts.name, Module: opts.module, Preset: opts.preset}

	// Decide whether to ask. Flags given are never asked again.
	choicesGiven := opts.preset != "" || len(opts.features) > 0 || len(opts.without) > 0
	missing := a.Name == "" || !choicesGiven
	interactive := false
	switch {
	case opts.yes || !missing:
	case sys.Terminal:
		interactive = true
	default:
		var need []string
		if a.Name == "" {
			need = append(need, "a project name (omnistack new <name>)")
		}
		if !choicesGiven {
			need = append(need, "--preset or --features")
		}
		return &generator.UsageError{Msg: fmt.Sprintf("not a terminal, so no questions can be asked: pass %s, or --yes to take the defaults", strings.Join(need, " and "))}
	}

	if a.Name == "" && !interactive {
		return &generator.UsageError{Msg: "project name missing: omnistack new <name> --yes"}
	}
	if a.Name != "" {
		if err := generator.ValidateName(a.Name); err != nil {
			return err
		}
	}
	if a.Preset == "" && !interactive {
		a.Preset = "minimal"
	}
	if a.Preset != "" {
		if _, ok := reg.Presets[a.Preset]; !ok {
			return &generator.UsageError{Msg: fmt.Sprintf("unknown preset %q (valid: %s)", a.Preset, strings.Join(reg.PresetNames(), ", "))}
		}
	}
	if !interactive {
		feats, err := composeFeatures(reg, a.Preset, opts.features, opts.without)
		if err != nil {
			return err
		}
		a.Features = feats
	}
	if interactive {
		prompt := sys.Prompt
		if prompt == nil {
			prompt = runForm
		}
		// Pre-fill the form with the flags that were given.
		if a.Preset != "" || len(opts.features) > 0 || len(opts.without) > 0 {
			feats, err := composeFeatures(reg, a.Preset, opts.features, opts.without)
			if err != nil {
				return err
			}
			a.Features = feats
		}
		if err := prompt(sys, reg, a, opts.accessible); err != nil {
			return err
		}
	}
	if a.Module == "" {
		a.Module = "example.com/" + a.Name
	}
	warning, err := generator.ValidateModule(a.Module)
	if err != nil {
		return err
	}
	res, err := reg.Resolve(generator.Spec{Name: a.Name, Module: a.Module, Features: a.Features})
	if err != nil {
		return err
	}
	if warning != "" {
		fmt.Fprintf(sys.Err, "warning: %s\n", warning)
	}

	target := opts.output
	if target == "" {
		target = a.Name
	}
	start := time.Now()
	files, err := reg.Render(res)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if interactive {
		fmt.Fprintf(sys.Out, "\nThe same project without questions:\n  %s\n\n", equivalentCommand(reg, a, opts))
	}
	// With --force, existing files of the owner's may be overwritten: list
	// every one, in the dry run before anything happens.
	replaced, err := generator.Replaced(target, files)
	if err != nil {
		return err
	}
	if opts.dryRun {
		printPlan(sys.Out, reg, res, files, target)
		printReplaced(sys.Out, replaced, opts.force, true)
		return nil
	}
	if err := generator.Write(target, files, generator.WriteOptions{Force: opts.force}); err != nil {
		return err
	}
	printReplaced(sys.Out, replaced, opts.force, false)
	gitNote := ""
	if !opts.noGit {
		if inside, root := insideGitRepo(target); inside {
			gitNote = fmt.Sprintf("git: %s is inside the repository at %s, so no repository was created (pass --no-git to silence this)", target, root)
		} else if _, err := generator.InitRepo(target, files, "Initial commit from omnistack "+generator.Version); err != nil {
			return fmt.Errorf("project written to %s, but %w", target, err)
		}
	}
	printSummary(sys, reg, res, files, target, time.Since(start), gitNote)
	return nil
}

// addGroupFlags adds one flag per exclusive group (--database, --auth, ...)
// whose value is a feature of the group, with or without the group prefix:
// --auth supabase is --features auth-supabase. Optional groups accept none.
func addGroupFlags(cmd *cobra.Command, opts *newOptions) {
	reg, err := generator.LoadRegistry()
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

// applyGroupFlags turns --<group> values into --features / --without.
func applyGroupFlags(opts *newOptions) error {
	if len(opts.groups) == 0 {
		return nil
	}
	reg, err := generator.LoadRegistry()
	if err != nil {
		return err
	}
	for _, g := range reg.Groups {
		v, ok := opts.groups[g.Name]
		if !ok || *v == "" {
			continue
		}
		feats := reg.InGroup(g.Name)
		if *v == "none" && !g.Required {
			for _, f := range feats {
				opts.without = append(opts.without, f.Name)
			}
			continue
		}
		found := ""
		for _, f := range feats {
			if *v == f.Name || g.Name+"-"+*v == f.Name {
				found = f.Name
			}
		}
		if found == "" {
			return &generator.UsageError{Msg: fmt.Sprintf("--%s %q: not a choice (valid: %s)", g.Name, *v, strings.Join(groupChoices(g, feats), ", "))}
		}
		opts.features = append(opts.features, found)
	}
	return nil
}

// composeFeatures is preset features + extras - without.
func composeFeatures(reg *generator.Registry, preset string, extra, without []string) ([]string, error) {
	var feats []string
	if preset != "" {
		p, ok := reg.Presets[preset]
		if !ok {
			return nil, &generator.UsageError{Msg: fmt.Sprintf("unknown preset %q (valid: %s)", preset, strings.Join(reg.PresetNames(), ", "))}
		}
		feats = append(feats, p.Features...)
	}
	for _, f := range extra {
		f = strings.TrimSpace(f)
		if _, ok := reg.Features[f]; !ok {
			return nil, &generator.UsageError{Msg: fmt.Sprintf("--features: unknown feature %q (valid: %s)", f, strings.Join(reg.FeatureNames(), ", "))}
		}
		// A feature of an exclusive group replaces the preset's choice in
		// that group (--features postgres on a sqlite preset).
		if g := reg.Group(reg.Features[f].Group); g != nil && g.Exclusive {
			feats = slices.DeleteFunc(feats, func(x string) bool {
				return x != f && reg.Features[x].Group == g.Name && !slices.Contains(extra, x)
			})
		}
		if !slices.Contains(feats, f) {
			feats = append(feats, f)
		}
	}
	return reg.Without(feats, without)
}

func insideGitRepo(dir string) (bool, string) {
	abs, err := filepath.Abs(filepath.Dir(dir))
	if err != nil {
		return false, ""
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			if _, err := git.PlainOpen(d); err == nil {
				return true, d
			}
		}
		if filepath.Dir(d) == d {
			return false, ""
		}
	}
}

// equivalentCommand is the non-interactive command for what the form chose.
func equivalentCommand(reg *generator.Registry, a *answers, opts *newOptions) string {
	parts := []string{"omnistack new", a.Name}
	if a.Module != "example.com/"+a.Name {
		parts = append(parts, "--module", a.Module)
	}
	preset := a.Preset
	if preset == "" {
		preset = "minimal"
	}
	parts = append(parts, "--preset", preset)
	base := map[string]bool{}
	if p, ok := reg.Presets[preset]; ok {
		for _, f := range p.Features {
			base[f] = true
		}
	}
	var extra, without []string
	for _, f := range a.Features {
		if !base[f] {
			extra = append(extra, f)
		}
	}
	for f := range base {
		if !slices.Contains(a.Features, f) {
			without = append(without, f)
		}
	}
	slices.Sort(extra)
	slices.Sort(without)
	// A dropped member of an exclusive group is implied by its replacement.
	without = slices.DeleteFunc(without, func(w string) bool {
		g := reg.Group(reg.Features[w].Group)
		if g == nil || !g.Exclusive {
			return false
		}
		for _, e := range extra {
			if reg.Features[e].Group == g.Name {
				return true
			}
		}
		return false
	})
	if len(extra) > 0 {
		parts = append(parts, "--features", strings.Join(extra, ","))
	}
	if len(without) > 0 {
		parts = append(parts, "--without", strings.Join(without, ","))
	}
	if opts.output != "" {
		parts = append(parts, "--output", opts.output)
	}
	if opts.noGit {
		parts = append(parts, "--no-git")
	}
	return strings.Join(append(parts, "--yes"), " ")
}

func printPlan(w io.Writer, reg *generator.Registry, res *generator.Resolved, files generator.Files, target string) {
	plan, _ := reg.Plan(res)
	owner := map[string]string{}
	for _, pf := range plan {
		owner[pf.Path] = pf.Feature
	}
	fmt.Fprintf(w, "Would write %d files to %s (dry run; nothing written):\n", len(files), target)
	for _, p := range files.Paths() {
		o := owner[p]
		if o == "" {
			o = "engine"
		}
		fmt.Fprintf(w, "  %-52s %7d B  %s\n", p, len(files[p]), o)
	}
	fmt.Fprintf(w, "Features: %s\n", featureList(res))
}

// printReplaced lists the existing files --force overwrites, or in a dry
// run would overwrite.
func printReplaced(w io.Writer, replaced []string, force, dryRun bool) {
	if len(replaced) == 0 {
		return
	}
	n := fmt.Sprintf("%d existing files", len(replaced))
	if len(replaced) == 1 {
		n = "1 existing file"
	}
	switch {
	case dryRun && !force:
		fmt.Fprintf(w, "The target is not empty: new refuses it without --force, which would replace %s with omnistack's version:\n", n)
	case dryRun:
		fmt.Fprintf(w, "Would replace %s with omnistack's version (yours would not be kept):\n", n)
	default:
		fmt.Fprintf(w, "Replaced %s with omnistack's version (yours were not kept):\n", n)
	}
	for _, p := range replaced {
		fmt.Fprintf(w, "  %s\n", p)
	}
}

func featureList(res *generator.Resolved) string {
	if len(res.Features) == 0 {
		return "(base only)"
	}
	var parts []string
	for _, f := range res.Features {
		if why, ok := res.Added[f]; ok {
			parts = append(parts, fmt.Sprintf("%s (%s)", f, why))
		} else {
			parts = append(parts, f)
		}
	}
	return strings.Join(parts, ", ")
}

func printSummary(sys *System, reg *generator.Registry, res *generator.Resolved, files generator.Files, target string, took time.Duration, gitNote string) {
	bold, reset := "", ""
	if sys.color() {
		bold, reset = "\x1b[1m", "\x1b[0m"
	}
	w := sys.Out
	fmt.Fprintf(w, "%sCreated %s%s (%s) in %s: %d files in %s.\n", bold, res.Name, reset, res.Module, target, len(files), took.Round(time.Millisecond))
	fmt.Fprintf(w, "Features: %s\n", featureList(res))
	if gitNote != "" {
		fmt.Fprintln(w, gitNote)
	}
	// Services and variables the service cannot start without.
	var services, required []string
	for _, name := range res.Features {
		f := reg.Features[name]
		services = append(services, f.Services...)
		for _, e := range f.Env {
			if e.Required && e.Default == "" && !slices.Contains(required, e.Name) {
				required = append(required, e.Name)
			}
		}
	}
	if len(services) == 0 && len(required) == 0 {
		fmt.Fprintf(w, "\nNext steps:\n  cd %s && make run\n", target)
	} else {
		fmt.Fprintf(w, "\nNext steps:\n  cd %s\n", target)
	}
	if len(services) > 0 {
		slices.Sort(services)
		fmt.Fprintf(w, "  docker compose up -d %s   # or use your own %s\n", strings.Join(slices.Compact(services), " "), strings.Join(slices.Compact(services), ", "))
	}
	if len(required) > 0 {
		fmt.Fprintf(w, "  cp .env.example .env        # then set %s\n", strings.Join(required, ", "))
	}
	if len(services) > 0 || len(required) > 0 {
		fmt.Fprintf(w, "  make run\n")
	}
	fmt.Fprintf(w, "  open http://localhost:8080/docs   (API docs; health at /health/ready)\n  make test\n")
}

// errInterrupted is returned when the user leaves the form.
var errInterrupted = errors.New("cancelled; nothing was written")
