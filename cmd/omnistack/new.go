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
	Output   string   // --output, for the summary ("" = ./<name>)
	// Flags are the feature flags given; the form applies them to the
	// preset it asks for.
	Flags featureFlags
}

// newNewCmd builds new; groupFlags adds the flags per exclusive group
// (they need the registry); runF runs it (nil: runNew), so tests can parse
// flags without generating anything.
func newNewCmd(sys *System, groupFlags bool, runF func(*newOptions) error) *cobra.Command {
	opts := &newOptions{}
	if runF == nil {
		runF = func(o *newOptions) error { return runNew(sys, o) }
	}
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
  omnistack new billing --preset minimal --database postgres \
    --module github.com/acme/billing

  # See what would be written
  omnistack new myapp --yes --dry-run`,
		Args: wantArgs(cobra.MaximumNArgs(1), "new takes one project name", "e.g. omnistack new myapp"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.name = args[0]
			}
			opts.accessible = opts.accessible || sys.Getenv("ACCESSIBLE") != ""
			return runF(opts)
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
	if groupFlags {
		addGroupFlags(sys, cmd, opts)
	}
	_ = cmd.RegisterFlagCompletionFunc("preset", completePresets(sys))
	_ = cmd.RegisterFlagCompletionFunc("features", completeFeatures(sys))
	_ = cmd.RegisterFlagCompletionFunc("without", completeFeatures(sys))
	return cmd
}

func runNew(sys *System, opts *newOptions) error {
	reg, err := sys.registry()
	if err != nil {
		return err
	}
	res, equivalent, err := planNew(sys, reg, opts)
	if err != nil {
		return err
	}
	target := opts.output
	if target == "" {
		target = res.Name
	}
	start := time.Now()
	files, err := reg.Render(res)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if equivalent != "" {
		fmt.Fprintf(sys.Out, "\nThe same project without questions:\n  %s\n\n", equivalent)
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

// planNew decides the project from the flags and, when it may ask, the
// form. After a form it also returns the equivalent command, derived from
// the resolved spec so that pasting it gives the same project.
func planNew(sys *System, reg *generator.Registry, opts *newOptions) (*generator.Resolved, string, error) {
	flags := featureFlags{preset: opts.preset, features: opts.features, without: opts.without, groups: map[string]string{}}
	for g, v := range opts.groups {
		flags.groups[g] = *v
	}
	a := &answers{Name: opts.name, Module: opts.module, Preset: opts.preset, Output: opts.output, Flags: flags}

	// Decide whether to ask. Flags given are never asked again.
	choicesGiven := len(flags.args(reg)) > 0
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
		return nil, "", &generator.UsageError{Msg: fmt.Sprintf("not a terminal, so no questions can be asked: pass %s, or --yes to take the defaults", strings.Join(need, " and "))}
	}

	if a.Name == "" && !interactive {
		return nil, "", &generator.UsageError{Msg: "project name missing: omnistack new <name> --yes"}
	}
	if a.Name != "" {
		if err := generator.ValidateName(a.Name); err != nil {
			return nil, "", err
		}
	}
	if a.Preset == "" && !interactive {
		a.Preset = "minimal"
		a.Flags.preset = "minimal"
	}
	// Check the flags before asking anything; with a preset they are the
	// features (the form then asks only name and module).
	if a.Preset != "" {
		feats, err := a.Flags.compose(reg)
		if err != nil {
			return nil, "", err
		}
		a.Features = feats
	} else if _, _, err := a.Flags.expand(reg); err != nil {
		return nil, "", err
	} else if err := reg.CheckChoosable(slices.Concat(opts.features, opts.without)); err != nil {
		return nil, "", err
	}
	if interactive {
		prompt := sys.Prompt
		if prompt == nil {
			prompt = runForm
		}
		if err := prompt(sys, reg, a, opts.accessible); err != nil {
			return nil, "", err
		}
	}
	if a.Module == "" {
		a.Module = "example.com/" + a.Name
	}
	warning, err := generator.ValidateModule(a.Module)
	if err != nil {
		return nil, "", err
	}
	res, err := reg.Resolve(generator.Spec{Name: a.Name, Module: a.Module, Features: a.Features})
	if err != nil {
		return nil, "", err
	}
	if warning != "" {
		fmt.Fprintf(sys.Err, "warning: %s\n", warning)
	}
	if !interactive {
		warnKept(sys, reg, res, opts.without)
		return res, "", nil
	}
	return res, equivalentCommand(reg, a.Preset, res, opts), nil
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

// warnKept warns about each --without feature the resolver kept: only the
// default of a required group can be (Compose refuses dropping a
// requirement), since the group needs one feature.
func warnKept(sys *System, reg *generator.Registry, res *generator.Resolved, without []string) {
	for _, w := range without {
		w = strings.TrimSpace(w)
		if !res.Has(w) || reg.Features[w] == nil {
			continue
		}
		g := reg.Group(reg.Features[w].Group)
		if g == nil {
			continue
		}
		var others []string
		for _, f := range reg.InGroup(g.Name) {
			if f.Name != w {
				others = append(others, strings.TrimPrefix(f.Name, g.Name+"-"))
			}
		}
		fmt.Fprintf(sys.Err, "warning: --without %s: the %s group needs one feature, so %s (its default) was kept; choose another with --%s %s\n", w, g.Name, w, g.Name, strings.Join(others, " or --"+g.Name+" "))
	}
}

// equivalentCommand is the non-interactive command for a resolved spec
// that started from preset: run with --yes it resolves to the same spec.
func equivalentCommand(reg *generator.Registry, preset string, res *generator.Resolved, opts *newOptions) string {
	if _, ok := reg.Presets[preset]; !ok {
		preset = "minimal"
	}
	parts := []string{"omnistack", "new", res.Name}
	if res.Module != "example.com/"+res.Name {
		parts = append(parts, "--module", shellQuote(res.Module))
	}
	parts = append(parts, flagsFor(reg, preset, res.Features).args(reg)...)
	if opts.output != "" {
		parts = append(parts, "--output", shellQuote(opts.output))
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
	fmt.Fprintf(w, "Would write %s to %s (dry run; nothing written):\n", count(len(files), "file"), target)
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
	fmt.Fprintf(w, "%sCreated %s%s (%s) in %s: %s in %s.\n", bold, res.Name, reset, res.Module, target, count(len(files), "file"), took.Round(time.Millisecond))
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
