package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/omnistack/omnistack/generator"
)

func newFeaturesCmd(sys *System) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "features",
		Short: "List the features omnistack can generate",
		Long: `List every feature: its name (for --features, --without and add), its group
(features of an exclusive group are alternatives), a summary, and the
features it requires (added automatically).`,
		Example: `  omnistack features
  omnistack features --json | jq -r '.[].name'`,
		Args: noArgs("features"),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := sys.registry()
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(sys.Out, reg.FeatureNames(), reg.Features)
			}
			rows := [][]string{{"NAME", "GROUP", "REQUIRES", "SUMMARY"}}
			for _, g := range reg.Groups {
				for _, f := range reg.InGroup(g.Name) {
					group := g.Name
					if g.Exclusive {
						group += " (one of)"
					}
					reqs := slices.Clone(f.Requires)
					for _, g := range slices.Sorted(maps.Keys(f.RequiresGroup)) {
						reqs = append(reqs, "any "+g) // the default shows in --json and when it is added; a long cell would squeeze the table
					}
					req := strings.Join(reqs, ",")
					if req == "" {
						req = "-"
					}
					rows = append(rows, []string{f.Name, group, req, f.Summary})
				}
			}
			return printTable(sys.Out, rows, sys.width())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newPresetsCmd(sys *System) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "presets",
		Short: "List the presets (named feature sets)",
		Example: `  omnistack presets
  omnistack new myapp --preset minimal --yes`,
		Args: noArgs("presets"),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := sys.registry()
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(sys.Out, reg.PresetNames(), reg.Presets)
			}
			for i, name := range reg.PresetNames() {
				p := reg.Presets[name]
				if i > 0 {
					fmt.Fprintln(sys.Out)
				}
				fmt.Fprintf(sys.Out, "%s — %s\n  features: %s\n  for: %s\n", p.Name, p.Summary, strings.Join(p.Features, ", "), p.Audience)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// printTable prints rows in columns two spaces apart, wrapping the last
// column so that lines fit in width. When the other columns would leave it
// fewer than 30 characters, each row becomes a line of the other columns
// and the last one wrapped below it, indented.
func printTable(w io.Writer, rows [][]string, width int) error {
	cols := len(rows[0])
	widths := make([]int, cols)
	for _, r := range rows {
		for i, cell := range r[:cols-1] {
			widths[i] = max(widths[i], len(cell))
		}
	}
	indent := 0
	for _, n := range widths[:cols-1] {
		indent += n + 2
	}
	var b strings.Builder
	if width-indent < 24 { // a summary column narrower than this reads badly: one block per row instead
		for _, r := range rows[1:] {
			b.WriteString(strings.Join(r[:cols-1], "  ") + "\n")
			for _, line := range wrapText(r[cols-1], width-4) {
				b.WriteString("    " + line + "\n")
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, r := range rows {
		for i, cell := range r[:cols-1] {
			fmt.Fprintf(&b, "%-*s  ", widths[i], cell)
		}
		for i, line := range wrapText(r[cols-1], max(24, width-indent)) {
			if i > 0 {
				b.WriteString(strings.Repeat(" ", indent))
			}
			b.WriteString(line + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// wrapText breaks s into lines of at most width bytes at spaces (a longer
// word gets a line of its own).
func wrapText(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}

// printJSON prints the values of m in the order of names, as a JSON array.
func printJSON[T any](w io.Writer, names []string, m map[string]*T) error {
	list := make([]*T, 0, len(names))
	for _, name := range names {
		list = append(list, m[name])
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(list)
}

func newVersionCmd(sys *System) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print omnistack's version",
		Example: "  omnistack version",
		Args:    noArgs("version"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(sys.Out, "omnistack %s\n", generator.Version)
			return err
		},
	}
}

func newCompletionCmd(sys *System) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print a completion script for bash, zsh or fish; it completes commands,
flags, preset and feature names (add offers the features the project lacks,
remove those it has; --features completes comma lists).

bash needs the bash-completion package (apt-get install bash-completion,
brew install bash-completion@2), loaded from ~/.bashrc.`,
		Example: `  # bash, for the current shell
  source <(omnistack completion bash)

  # zsh, permanently
  omnistack completion zsh > "${fpath[1]}/_omnistack"

  # fish
  omnistack completion fish > ~/.config/fish/completions/omnistack.fish`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args:      wantArgs(cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs), "completion takes one of bash, zsh or fish", ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(sys.Out, true)
			case "zsh":
				return root.GenZshCompletion(sys.Out)
			default:
				return root.GenFishCompletion(sys.Out, true)
			}
		},
	}
}

func completePresets(sys *System) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		reg, err := sys.registry()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []string
		for _, name := range reg.PresetNames() {
			out = append(out, name+"\t"+reg.Presets[name].Summary)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func completeFeatures(sys *System) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		reg, err := sys.registry()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		// Complete the last element of a comma-separated list, without
		// the features listed before it.
		prefix := ""
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			prefix = toComplete[:i+1]
		}
		listed := strings.Split(prefix, ",")
		var out []string
		for _, name := range reg.ChoosableNames() {
			if !slices.Contains(listed, name) {
				out = append(out, prefix+name+"\t"+reg.Features[name].Summary)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}
