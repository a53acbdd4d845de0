package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/omnistack/omnistack/generator"
	"github.com/omnistack/omnistack/generator/merge"
)

// updateOptions are the flags shared by add, remove and upgrade.
type updateOptions struct {
	dir    string
	dryRun bool
	force  bool
}

func addUpdateFlags(cmd *cobra.Command, o *updateOptions) {
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print the per-file plan and the unified diff; write nothing")
	cmd.Flags().BoolVar(&o.force, "force", false, "run even when the git tree has uncommitted changes")
	cmd.Flags().StringVarP(&o.dir, "dir", "C", ".", "run as if started in this directory")
}

const mergeHelp = `
Files are merged three ways, per file: the base is what omnistack last
generated (the tree at refs/omnistack/pristine; without git, a re-render of
omnistack.yaml by the same omnistack version), ours is your working tree,
theirs is the new render. Files you never touched are replaced; files only
you changed are kept; files both changed are merged line by line (go.mod
semantically, go.sum as a set of lines); overlapping changes get git-style
conflict markers labelled "yours" and "omnistack", are listed at the end,
and the command exits 1. A file you deleted stays deleted. Every write is
planned in memory first and applied as one transaction, so a failure leaves
the project as it was. A dirty git tree is refused unless --force, so every
change can be reviewed with git diff and undone with the command printed at
the end (git checkout -- . && git clean -fd); omnistack.yaml records the
merge base, so undoing the files undoes the base with them.`

func newAddCmd(sys *System) *cobra.Command {
	o := &updateOptions{}
	cmd := &cobra.Command{
		Use:   "add <feature>...",
		Short: "Add features to an existing project, keeping your edits",
		Long:  "Add features to the project around the current directory (found by walking up to omnistack.yaml). Requirements are added and reported.\n" + mergeHelp,
		Example: `  omnistack add ratelimit
  omnistack add redis ratelimit --dry-run
  omnistack add postgres        # replaces sqlite (same exclusive group)`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeFeatureArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdate(sys, o, "add", func(reg *generator.Registry, m *generator.Manifest) ([]string, error) {
				return reg.WithAdded(m.Features, args)
			})
		},
	}
	addUpdateFlags(cmd, o)
	return cmd
}

func newRemoveCmd(sys *System) *cobra.Command {
	o := &updateOptions{}
	cmd := &cobra.Command{
		Use:   "remove <feature>...",
		Short: "Remove features from a project, keeping your edits",
		Long:  "Remove features. Files only the feature owned are deleted if you never edited them; edited ones are kept and reported.\n" + mergeHelp,
		Example: `  omnistack remove ratelimit
  omnistack remove redis --dry-run`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeFeatureArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdate(sys, o, "remove", func(reg *generator.Registry, m *generator.Manifest) ([]string, error) {
				for _, name := range args {
					if _, ok := reg.Features[name]; !ok {
						return nil, &generator.UsageError{Msg: fmt.Sprintf("unknown feature %q (valid: %s)", name, strings.Join(reg.FeatureNames(), ", "))}
					}
					if !slices.Contains(m.Features, name) {
						return nil, &generator.UsageError{Msg: fmt.Sprintf("feature %q is not in this project (it has: %s)", name, strings.Join(m.Features, ", "))}
					}
					if g := reg.Group(reg.Features[name].Group); g != nil && g.Required {
						return nil, &generator.UsageError{Msg: fmt.Sprintf("feature %q cannot be removed: the %s group needs one feature; add another one of %s instead", name, g.Name, strings.Join(groupNames(reg, g.Name), ", "))}
					}
				}
				rest, err := reg.Without(m.Features, args)
				if err != nil {
					return nil, err
				}
				// Requirements of the removed features stay (they may hold
				// data, or the owner may use them); say how to drop them.
				for _, name := range args {
					for _, req := range reg.Features[name].Requires {
						if slices.Contains(rest, req) && !requiredByAny(reg, rest, req) {
							fmt.Fprintf(sys.Out, "note: %s stays (it was required by %s); run omnistack remove %s to drop it too\n", req, name, req)
						}
					}
				}
				return rest, nil
			})
		},
	}
	addUpdateFlags(cmd, o)
	return cmd
}

func newUpgradeCmd(sys *System) *cobra.Command {
	o := &updateOptions{}
	cmd := &cobra.Command{
		Use:   "upgrade",
		Short: "Re-render the project's features with this omnistack version and merge",
		Long:  "Re-render the same features with this version of omnistack and merge the result into the project.\n" + mergeHelp,
		Example: `  omnistack upgrade --dry-run
  omnistack upgrade`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdate(sys, o, "upgrade", func(reg *generator.Registry, m *generator.Manifest) ([]string, error) {
				return m.Features, nil
			})
		},
	}
	addUpdateFlags(cmd, o)
	return cmd
}

// requiredByAny reports whether a feature of list (other than f) requires f.
func requiredByAny(reg *generator.Registry, list []string, f string) bool {
	for _, name := range list {
		if name != f && slices.Contains(reg.Features[name].Requires, f) {
			return true
		}
	}
	return false
}

func groupNames(reg *generator.Registry, group string) []string {
	var out []string
	for _, f := range reg.InGroup(group) {
		out = append(out, f.Name)
	}
	return out
}

func runUpdate(sys *System, o *updateOptions, verb string, features func(*generator.Registry, *generator.Manifest) ([]string, error)) error {
	reg, err := generator.LoadRegistry()
	if err != nil {
		return err
	}
	p, err := generator.FindProject(o.dir)
	if err != nil {
		return err
	}
	want, err := features(reg, p.Manifest)
	if err != nil {
		return err
	}
	var dirty []string
	if !o.dryRun {
		if dirty, err = generator.DirtyFiles(p.Dir); err != nil {
			return err
		}
		if len(dirty) > 0 && !o.force {
			shown := dirty
			if len(shown) > 5 {
				shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(dirty)-5))
			}
			return &generator.UsageError{Msg: fmt.Sprintf("the git tree has uncommitted changes (%s): commit or stash them first so this %s can be reviewed and undone, or pass --force", strings.Join(shown, ", "), verb)}
		}
	}
	u, err := reg.PlanUpdate(p, want)
	if err != nil {
		return err
	}
	w := sys.Out
	for _, f := range u.New.Features {
		if why, ok := u.New.Added[f]; ok && !slices.Contains(p.Manifest.Features, f) {
			fmt.Fprintf(w, "adding %s (%s)\n", f, why)
		}
	}
	writes := u.Writes()
	if len(writes) == 0 {
		fmt.Fprintf(w, "Nothing to do: the project already has features %s.\n", strings.Join(u.New.Features, ", "))
		return nil
	}
	printChanges(w, u, o.dryRun)
	if o.dryRun {
		fmt.Fprintf(w, "\nDry run: nothing written.\n")
		return nil
	}
	if err := u.Apply(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s: %d files written; features now %s.\n", verb, len(writes), strings.Join(u.New.Features, ", "))
	if undo := undoCommand(p.Dir, dirty); undo != "" {
		fmt.Fprintln(w, undo)
	}
	if conflicts := u.Conflicts(); len(conflicts) > 0 {
		fmt.Fprintf(sys.Err, "\n%d files have conflicts; resolve the <<<<<<< yours / >>>>>>> omnistack blocks, then commit:\n", len(conflicts))
		for _, c := range conflicts {
			fmt.Fprintf(sys.Err, "  %s\n", c.Path)
		}
		return &conflictError{n: len(conflicts)}
	}
	fmt.Fprintf(w, "Review with git diff, then commit.\n")
	return nil
}

// undoCommand says how to undo the change just written to the project in
// dir, whose git tree had the dirty files before it. Reverting the files
// reverts the merge base with them (omnistack.yaml records it), so plain
// git undoes everything; untracked new files need git clean.
func undoCommand(dir string, dirty []string) string {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return ""
	}
	cmd := "git checkout -- . && git clean -fd"
	if wd, err := os.Getwd(); err == nil && wd != dir {
		cmd = "cd " + dir + " && " + cmd
	}
	if len(dirty) > 0 {
		shown := dirty
		if len(shown) > 5 {
			shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(dirty)-5))
		}
		return fmt.Sprintf("Undo: the tree had uncommitted changes before (%s), which %s would discard too; undo by hand with git diff.", strings.Join(shown, ", "), cmd)
	}
	return "Undo with: " + cmd
}

func printChanges(w io.Writer, u *generator.Update, withDiff bool) {
	for _, c := range u.Changes {
		if c.Status == merge.StatusUnchanged {
			continue
		}
		line := fmt.Sprintf("  %-12s %s", c.Status, c.Path)
		if c.Conflicts > 0 {
			line += fmt.Sprintf(" (%d conflicts)", c.Conflicts)
		}
		if c.Note != "" {
			line += "  # " + c.Note
		}
		fmt.Fprintln(w, line)
	}
	if !withDiff {
		return
	}
	for _, c := range u.Writes() {
		fmt.Fprint(w, merge.Unified(c.Path, c.Ours, c.Content))
	}
}

func completeFeatureArgs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	reg, err := generator.LoadRegistry()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var out []string
	for _, name := range reg.FeatureNames() {
		if !slices.Contains(args, name) {
			out = append(out, name+"\t"+reg.Features[name].Summary)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func newStatusCmd(sys *System) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the project's features and the generated files you changed",
		Long: `Show the features recorded in omnistack.yaml and which generated files you
have changed or deleted since omnistack last wrote them (compared with the
tree at refs/omnistack/pristine).`,
		Example: "  omnistack status\n  omnistack status -C path/to/project",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := generator.LoadRegistry()
			if err != nil {
				return err
			}
			p, err := generator.FindProject(dir)
			if err != nil {
				return err
			}
			st, from, err := reg.Status(p)
			if err != nil {
				return err
			}
			m := p.Manifest
			fmt.Fprintf(sys.Out, "%s (%s), generated by omnistack %s\nfeatures: %s\n", m.Name, m.Module, m.Generator, strings.Join(m.Features, ", "))
			if len(st) == 0 {
				fmt.Fprintf(sys.Out, "no generated file changed (compared with the %s)\n", from)
				return nil
			}
			fmt.Fprintf(sys.Out, "%d generated files changed (compared with the %s):\n", len(st), from)
			for _, s := range st {
				fmt.Fprintf(sys.Out, "  %-9s %s\n", s.Status, s.Path)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "C", ".", "run as if started in this directory")
	return cmd
}
