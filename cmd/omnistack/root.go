package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/omnistack/omnistack/generator"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	// exitInterrupted is the shell's code for a command stopped by SIGINT
	// (128+2): the form was left with Ctrl-C (or Esc) and nothing written.
	exitInterrupted = 130
)

// System is everything a command touches outside its own arguments, so
// tests can run commands without a terminal, a real environment or os.Exit.
type System struct {
	In       io.Reader
	Out, Err io.Writer
	Getenv   func(string) string
	// Terminal reports whether stdin and stdout are a terminal, i.e.
	// whether the user can be asked questions.
	Terminal bool
	// Width is the terminal's width in columns; 0 means unknown or not a
	// terminal, where output fits in 80 columns.
	Width int
	// Height is the terminal's height in rows; 0 means unknown.
	Height int
	// Interrupt, when set, replaces SIGINT (Ctrl-C) for the accessible
	// form, so tests can interrupt it.
	Interrupt <-chan os.Signal
	// Prompt runs the interactive form; nil means the huh form.
	Prompt func(sys *System, reg *generator.Registry, a *answers, accessible bool) error
	// Registry loads the feature registry; nil means the embedded one
	// (generator.LoadRegistry). Execute calls it at most once, and only
	// for commands that need it.
	Registry func() (*generator.Registry, error)

	loadOnce func() (*generator.Registry, error) // set by Execute
}

// width is the number of columns output should fit in.
func (s *System) width() int {
	if s.Width > 0 {
		return s.Width
	}
	return 80
}

// registry returns the registry, loading it on first use.
func (s *System) registry() (*generator.Registry, error) {
	if s.loadOnce == nil {
		load := s.Registry
		if load == nil {
			load = generator.LoadRegistry
		}
		s.loadOnce = sync.OnceValues(load)
	}
	return s.loadOnce()
}

// color reports whether output may use ANSI colors (https://no-color.org).
func (s *System) color() bool {
	return s.Terminal && s.Getenv("NO_COLOR") == "" && s.Getenv("TERM") != "dumb"
}

// Execute runs the CLI and returns the process exit code.
func Execute(sys *System, args []string) int {
	s := *sys
	s.loadOnce = nil // one load per Execute
	sys = &s
	root := newRootCmd(sys, runsNew(args))
	root.SetArgs(args)
	root.SetIn(sys.In)
	root.SetOut(sys.Out)
	root.SetErr(sys.Err)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var cf *conflictError
	if errors.As(err, &cf) {
		return exitFailure // already reported in full
	}
	msg := err.Error()
	fmt.Fprintf(sys.Err, "omnistack: %s\n", msg)
	if errors.Is(err, errInterrupted) {
		return exitInterrupted
	}
	if generator.IsUsage(err) || isCobraUsage(err) {
		return exitUsage
	}
	return exitFailure
}

// conflictError signals an exit code 1 whose details were already printed.
type conflictError struct{ n int }

func (e *conflictError) Error() string { return fmt.Sprintf("%d conflicts", e.n) }

// isCobraUsage recognises cobra's own argument errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument", "if any flags in the group"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// runsNew reports whether args run new, or ask for its help or
// completions: new is the one command whose flags (--database, --auth)
// come from the registry, so only it loads the registry to build them.
func runsNew(args []string) bool {
	for _, a := range args {
		if a == "help" || a == cobra.ShellCompRequestCmd || a == cobra.ShellCompNoDescRequestCmd || strings.HasPrefix(a, "-") {
			continue
		}
		return a == "new"
	}
	return false
}

// newRootCmd builds the command tree; groupFlags adds new's flags per
// exclusive group, which needs the registry.
func newRootCmd(sys *System, groupFlags bool) *cobra.Command {
	root := &cobra.Command{
		Use:   "omnistack",
		Short: "Scaffold production-grade Go backend services",
		Long: `omnistack generates a complete Go backend service — configuration, logging,
middleware, a versioned API with OpenAPI docs, migrations, tests, Dockerfile,
CI — with the features you choose, and adds features later without losing
your edits.

The generated service builds, passes its tests and runs at once on an
embedded SQLite database, with nothing else installed.`,
		Example: `  # Ask in an interactive form
  omnistack new myapp

  # No questions: the minimal preset with PostgreSQL
  omnistack new myapp --yes --features postgres

  # What can be generated
  omnistack features`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       generator.Version,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &generator.UsageError{Msg: fmt.Sprintf("%s (see %s --help)", err, c.CommandPath())}
	})
	root.SetVersionTemplate("omnistack {{.Version}}\n")
	// Flag descriptions wrap to the output's width (cobra's default usage
	// does not wrap). Template funcs are global in cobra; each Execute sets
	// its own width.
	width := sys.width()
	cobra.AddTemplateFunc("wrappedFlags", func(fs interface{ FlagUsagesWrapped(int) string }) string {
		return fs.FlagUsagesWrapped(width)
	})
	usage := root.UsageTemplate()
	for _, set := range []string{".LocalFlags", ".InheritedFlags"} {
		usage = strings.ReplaceAll(usage, set+".FlagUsages", "(wrappedFlags "+set+")")
	}
	root.SetUsageTemplate(usage)
	root.AddCommand(
		newNewCmd(sys, groupFlags, nil),
		newAddCmd(sys),
		newRemoveCmd(sys),
		newStatusCmd(sys),
		newUpgradeCmd(sys),
		newFeaturesCmd(sys),
		newPresetsCmd(sys),
		newVersionCmd(sys),
		newCompletionCmd(sys),
	)
	return root
}

// wantArgs replaces cobra's arity messages ("accepts at most 1 arg(s)") with
// one that says what to pass.
func wantArgs(check cobra.PositionalArgs, what, hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if check(cmd, args) == nil {
			return nil
		}
		msg := what
		if len(args) > 0 {
			msg += fmt.Sprintf(", got %d: %s", len(args), strings.Join(args, " "))
		}
		if hint != "" {
			msg += "; " + hint
		}
		return &generator.UsageError{Msg: fmt.Sprintf("%s (see %s --help)", msg, cmd.CommandPath())}
	}
}

// noArgs is wantArgs for commands that take none.
func noArgs(cmd string) cobra.PositionalArgs {
	return wantArgs(cobra.NoArgs, cmd+" takes no arguments", "")
}

// count is "1 file", "2 files".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
