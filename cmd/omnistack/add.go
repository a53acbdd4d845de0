package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
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
		Long: `Add features to the project around the current directory (found by walking
up to omnistack.yaml). Requirements are added and reported. A member of the
database group replaces the current one; another auth provider needs
omnistack remove of the current one first.
` + mergeHelp,
		Example: `  omnistack add ratelimit
  omnistack add redis ratelimit --dry-run
  omnistack add postgres        # replaces sqlite (same exclusive group)`,
		Args:              wantArgs(cobra.MinimumNArgs(1), "add needs at least one feature", "e.g. omnistack add ratelimit; omnistack features lists them"),
		ValidArgsFunction: completeProjectFeatures(sys, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdate(sys, o, "add", func(reg *generator.Registry, m *generator.Manifest) ([]string, error) {
				if err := separateArgs("add", args); err != nil {
					return nil, err
				}
				feats, err := reg.WithAdded(m.Features, args)
				if ex := (*generator.ExclusiveError)(nil); errors.As(err, &ex) && !slices.Contains(args, ex.Have) {
					return nil, &generator.UsageError{Msg: fmt.Sprintf("cannot add %s: the project has %s, and the %s group takes one of %s; run omnistack remove %s first, then omnistack add %s", ex.Add, ex.Have, ex.Group, strings.Join(ex.Choices, ", "), ex.Have, ex.Add)}
				}
				return feats, err
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
		Long: `Remove features. Files only the feature owned are deleted if you never
edited them; edited ones are kept and reported.
` + mergeHelp,
		Example: `  omnistack remove ratelimit
  omnistack remove redis --dry-run`,
		Args:              wantArgs(cobra.MinimumNArgs(1), "remove needs at least one feature", "e.g. omnistack remove ratelimit; omnistack status lists the project's"),
		ValidArgsFunction: completeProjectFeatures(sys, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdate(sys, o, "remove", func(reg *generator.Registry, m *generator.Manifest) ([]string, error) {
				if err := separateArgs("remove", args); err != nil {
					return nil, err
				}
				if err := reg.CheckChoosable(args); err != nil {
					return nil, err
				}
				for _, name := range args {
					if !slices.Contains(m.Features, name) {
						return nil, &generator.UsageError{Msg: fmt.Sprintf("feature %q is not in this project (it has: %s)", name, strings.Join(m.Features, ", "))}
					}
					if g := reg.Group(reg.Features[name].Group); g != nil && g.Required {
						others := slices.DeleteFunc(groupNames(reg, g.Name), func(x string) bool { return x == name })
						return nil, &generator.UsageError{Msg: fmt.Sprintf("cannot remove %s: the %s group needs one feature; run omnistack add %s instead (it replaces %s)", name, g.Name, strings.Join(others, " or "), name)}
					}
				}
				rest, err := reg.Without(m.Features, args)
				if req := (*generator.RequiredError)(nil); errors.As(err, &req) {
					return nil, &generator.UsageError{Msg: fmt.Sprintf("cannot remove %s: %s requires it; run omnistack remove %s %s to remove both, or keep %s", req.Name, req.By, req.By, strings.Join(args, " "), req.Name)}
				}
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
		Short: "Re-render the project with this omnistack version and merge",
		Long: `Re-render the same features with this version of omnistack and merge the
result into the project.
` + mergeHelp,
		Example: `  omnistack upgrade --dry-run
  omnistack upgrade`,
		Args: noArgs("upgrade"),
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

// separateArgs refuses a comma list where each feature is an argument.
func separateArgs(verb string, args []string) error {
	for _, a := range args {
		if strings.Contains(a, ",") {
			var names []string
			for _, a := range args {
				names = append(names, strings.FieldsFunc(a, func(r rune) bool { return r == ',' || r == ' ' })...)
			}
			return &generator.UsageError{Msg: fmt.Sprintf("%s takes features as separate arguments, not a comma list: omnistack %s %s", verb, verb, strings.Join(names, " "))}
		}
	}
	return nil
}

func groupNames(reg *generator.Registry, group string) []string {
	var out []string
	for _, f := range reg.InGroup(group) {
		out = append(out, f.Name)
	}
	return out
}

func runUpdate(sys *System, o *updateOptions, verb string, features func(*generator.Registry, *generator.Manifest) ([]string, error)) error {
	reg, err := sys.registry()
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
			return &generator.UsageError{Msg: dirtyMessage(p.Dir, dirty, shown, verb)}
		}
	}
	u, err := reg.PlanUpdate(p, want)
	if err != nil {
		return err
	}
	w := sys.Out
	if verb == "upgrade" {
		if p.Manifest.Generator == generator.Version {
			fmt.Fprintf(w, "omnistack.yaml says omnistack %s generated the project, the version running: re-rendering with it\n", generator.Version)
		} else {
			fmt.Fprintf(w, "upgrading from omnistack %s (omnistack.yaml) to %s\n", p.Manifest.Generator, generator.Version)
		}
	}
	for _, f := range u.New.Features {
		if why, ok := u.New.Added[f]; ok && !slices.Contains(p.Manifest.Features, f) {
			fmt.Fprintf(w, "adding %s (%s)\n", f, why)
		}
	}
	if verb == "add" {
		for _, f := range p.Manifest.Features {
			if slices.Contains(u.New.Features, f) {
				continue
			}
			g := reg.Features[f].Group
			for _, n := range u.New.Features {
				if reg.Features[n].Group == g && !slices.Contains(p.Manifest.Features, n) {
					fmt.Fprintf(w, "replacing %s with %s (the %s group takes one)\n", f, n, g)
				}
			}
		}
	}
	writes := u.Writes()
	if len(writes) == 0 {
		if verb == "upgrade" {
			fmt.Fprintf(w, "Nothing to do: omnistack %s generates the same files.\n", generator.Version)
		} else {
			fmt.Fprintf(w, "Nothing to do: the project already has features %s.\n", strings.Join(u.New.Features, ", "))
		}
		return nil
	}
	printChanges(w, u, o.dryRun)
	written, deleted := 0, 0
	for _, c := range writes {
		if c.Content == nil {
			deleted++
		} else {
			written++
		}
	}
	counts := fmt.Sprintf("%s written, %d deleted", count(written, "file"), deleted)
	conflicts := u.Conflicts()
	if o.dryRun {
		fmt.Fprintf(w, "\nDry run: nothing written (it would be %s).\n", counts)
		if len(conflicts) > 0 {
			fmt.Fprintf(sys.Err, "\n%s would have conflicts:\n", count(len(conflicts), "file"))
			for _, c := range conflicts {
				fmt.Fprintf(sys.Err, "  %s\n", c.Path)
			}
			return &conflictError{n: len(conflicts)}
		}
		return nil
	}
	if err := u.Apply(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s: %s; features now %s.\n", verb, counts, strings.Join(u.New.Features, ", "))
	if undo := undoCommand(p.Dir, dirty); undo != "" {
		fmt.Fprintln(w, undo)
	}
	if len(conflicts) > 0 {
		verbHas := "have"
		if len(conflicts) == 1 {
			verbHas = "has"
		}
		fmt.Fprintf(sys.Err, "\n%s %s conflicts; resolve the <<<<<<< yours / >>>>>>> omnistack blocks, then commit:\n", count(len(conflicts), "file"), verbHas)
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
			line += " (" + count(c.Conflicts, "conflict") + ")"
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

// completeProjectFeatures completes the arguments of add (has false: the
// features the project lacks) and remove (has true: those it has), found
// from -C like the command itself; outside a project, every feature.
func completeProjectFeatures(sys *System, has bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		reg, err := sys.registry()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		dir, _ := cmd.Flags().GetString("dir")
		var current []string
		p, err := generator.FindProject(dir)
		if err == nil {
			current = p.Manifest.Features
		}
		var out []string
		for _, name := range reg.ChoosableNames() {
			if slices.Contains(args, name) || (err == nil && slices.Contains(current, name) != has) {
				continue
			}
			out = append(out, name+"\t"+reg.Features[name].Summary)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
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
		Args:    noArgs("status"),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := sys.registry()
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
			fmt.Fprintf(sys.Out, "%s changed (compared with the %s):\n", count(len(st), "generated file"), from)
			for _, s := range st {
				fmt.Fprintf(sys.Out, "  %-9s %s\n", s.Status, s.Path)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "C", ".", "run as if started in this directory")
	return cmd
}

// dirtyMessage says how to clean a dirty tree: a plain git stash leaves
// untracked files in place, so a tree with untracked files needs
// git stash -u.
func dirtyMessage(dir string, dirty, shown []string, verb string) string {
	untracked := untrackedFiles(dir)
	n := 0
	for _, p := range dirty {
		if untracked[p] {
			n++
		}
	}
	list := strings.Join(shown, ", ")
	switch {
	case n == len(dirty):
		return fmt.Sprintf("the git tree has untracked files (%s): commit them, or set them aside with git stash -u (git stash pop brings them back), so this %s can be reviewed and undone; or pass --force", list, verb)
	case n > 0:
		return fmt.Sprintf("the git tree has uncommitted changes and untracked files (%s): git commit them, or git stash -u (-u sets the untracked files aside too), so this %s can be reviewed and undone; or pass --force", list, verb)
	}
	return fmt.Sprintf("the git tree has uncommitted changes (%s): git commit or git stash them first so this %s can be reviewed and undone, or pass --force", list, verb)
}

// untrackedFiles returns the untracked files of the repository at dir;
// nil when it cannot tell, and the message then names no stash flag.
func untrackedFiles(dir string) map[string]bool {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return nil
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil
	}
	st, err := wt.Status()
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for p, s := range st {
		if s.Worktree == git.Untracked {
			out[p] = true
		}
	}
	return out
}
