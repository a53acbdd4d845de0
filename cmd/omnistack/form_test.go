package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/omnistack/omnistack/generator"
)

// formScreen is one feature section of the form as the accessible form
// asks it: a select (pick one option by number) or a multi-select (toggle
// options by number, 0 ends).
type formScreen struct {
	group   generator.Group
	options []string // feature names; "" is none
	multi   bool
}

// formScreens lists the feature sections in the order the form asks them.
func formScreens(reg *generator.Registry) []formScreen {
	var out []formScreen
	for _, g := range reg.Groups {
		feats := reg.InGroup(g.Name)
		if len(feats) == 0 {
			continue
		}
		s := formScreen{group: g, multi: !g.Exclusive}
		if g.Exclusive && !g.Required {
			s.options = append(s.options, "")
		}
		for _, f := range feats {
			s.options = append(s.options, f.Name)
		}
		out = append(out, s)
	}
	return out
}

// formAnswer is one way through the form: a preset and, per feature
// section, the option picked (select) or the options toggled (multi).
type formAnswer struct {
	preset  int   // index into PresetNames
	pick    []int // per screen: option index (select) or a bit set of toggles (multi)
	module  string
	comment string
}

func (fa formAnswer) input(reg *generator.Registry, screens []formScreen, askName bool) string {
	var b strings.Builder
	if askName {
		b.WriteString("formapp\n")
	}
	fmt.Fprintf(&b, "%s\n%d\n", fa.module, fa.preset+1)
	for i, s := range screens {
		if !s.multi {
			fmt.Fprintf(&b, "%d\n", fa.pick[i]+1)
			continue
		}
		for o := range s.options {
			if fa.pick[i]&(1<<o) != 0 {
				fmt.Fprintf(&b, "%d\n", o+1)
			}
		}
		b.WriteString("0\n")
	}
	b.WriteString("\n") // the summary: enter creates the project
	return b.String()
}

// allAnswers enumerates every way through the form, or a fixed random
// sample of them when there are more than limit.
func allAnswers(reg *generator.Registry, screens []formScreen, limit int) []formAnswer {
	radix := []int{len(reg.PresetNames())}
	for _, s := range screens {
		if s.multi {
			radix = append(radix, 1<<len(s.options))
		} else {
			radix = append(radix, len(s.options))
		}
	}
	total := 1
	for _, r := range radix {
		total *= r
	}
	decode := func(n int) formAnswer {
		var fa formAnswer
		digits := make([]int, len(radix))
		for i, r := range radix {
			digits[i] = n % r
			n /= r
		}
		fa.preset, fa.pick = digits[0], digits[1:]
		return fa
	}
	var out []formAnswer
	if total <= limit {
		for n := range total {
			out = append(out, decode(n))
		}
		return out
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range limit {
		out = append(out, decode(rng.IntN(total)))
	}
	return out
}

// planArgs parses args with the real new command and returns what planNew
// decides, without rendering or writing anything.
func planArgs(t *testing.T, sys *System, args []string) (*generator.Resolved, string, error) {
	t.Helper()
	var res *generator.Resolved
	var equivalent string
	cmd := newNewCmd(sys, true, func(o *newOptions) error {
		reg, err := sys.registry()
		if err != nil {
			return err
		}
		res, equivalent, err = planNew(sys, reg, o)
		return err
	})
	cmd.SetArgs(args)
	cmd.SetOut(sys.Out)
	cmd.SetErr(sys.Err)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	return res, equivalent, err
}

// TestFormEquivalentCommand is the property of the form's printed command:
// for every way through the real (accessible) form — unticking features
// others require, switching database and auth, on every preset, with and
// without flags given before the form — the command, run headless, gives
// the same resolved spec, names no --without of a feature it keeps, and
// prints no warning.
func TestFormEquivalentCommand(t *testing.T) {
	reg, err := generator.LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	screens := formScreens(reg)
	answers := allAnswers(reg, screens, 400)
	variants := []struct {
		args  []string
		every int // run every n-th answer with these flags
	}{
		{nil, 1},
		{[]string{"--features", "redis"}, 5},
		{[]string{"--without", "ratelimit"}, 5},
		{[]string{"--auth", "clerk"}, 5},
		{[]string{"--database", "postgres", "--features", "users"}, 5},
	}
	sawRequiredUnticked := false
	runs := 0
	for _, v := range variants {
		for i, fa := range answers {
			if i%v.every != 0 {
				continue
			}
			fa.module = []string{"", "github.com/acme/formapp"}[i%2]
			var out, errb bytes.Buffer
			sys := &System{In: strings.NewReader(fa.input(reg, screens, true)), Out: &out, Err: &errb, Terminal: true, Getenv: func(string) string { return "" }}
			res, equivalent, err := planArgs(t, sys, append([]string{"--accessible"}, v.args...))
			if err != nil {
				// A form answer the resolver refuses (a declared conflict) is
				// a usage error before anything is printed.
				if !generator.IsUsage(err) {
					t.Fatalf("%v %+v: %v\n%s", v.args, fa, err, out.String())
				}
				continue
			}
			runs++
			// The form's choices are in the result.
			for si, s := range screens {
				if s.multi {
					continue
				}
				want := s.options[fa.pick[si]]
				got := memberOf(reg, res.Features, s.group.Name)
				if want == "" && pulledIn(reg, res.Features, s.group.Name, got) {
					continue // none picked, and a feature needing one of the group brought its default
				}
				if got != want {
					t.Errorf("%+v: form picked %q in %s, resolved %q", fa, want, s.group.Name, got)
				}
			}
			if !strings.HasPrefix(equivalent, "omnistack new formapp ") || !strings.HasSuffix(equivalent, " --yes") {
				t.Fatalf("equivalent command = %q", equivalent)
			}
			args := strings.Fields(equivalent)[2:]
			for j, a := range args {
				if a == "--without" {
					for _, w := range strings.Split(args[j+1], ",") {
						if slices.Contains(res.Features, w) {
							t.Errorf("%q drops %s, which the project has", equivalent, w)
						}
					}
				}
			}
			var out2, err2 bytes.Buffer
			headless := &System{In: strings.NewReader(""), Out: &out2, Err: &err2, Getenv: func(string) string { return "" }}
			res2, _, err := planArgs(t, headless, args)
			if err != nil {
				t.Fatalf("form %v %+v printed %q, which fails: %v", v.args, fa, equivalent, err)
			}
			if res2.Name != res.Name || res2.Module != res.Module || !slices.Equal(res2.Features, res.Features) {
				t.Errorf("form %v %+v: %q gives %s %s %v, the form gave %s %s %v", v.args, fa, equivalent, res2.Name, res2.Module, res2.Features, res.Name, res.Module, res.Features)
			}
			if err2.Len() > 0 {
				t.Errorf("%q warns: %s", equivalent, err2.String())
			}
			if res.Added["users"] != "" && slices.Contains(reg.Presets[reg.PresetNames()[fa.preset]].Features, "users") {
				sawRequiredUnticked = true
			}
		}
	}
	if runs < 100 {
		t.Errorf("only %d form runs succeeded", runs)
	}
	if !sawRequiredUnticked {
		t.Errorf("no form run unticked a feature another one requires")
	}
}

// pulledIn reports whether member is the default of group that some
// feature in features needs one of (requires_group).
func pulledIn(reg *generator.Registry, features []string, group, member string) bool {
	for _, f := range features {
		if member != "" && reg.Features[f].RequiresGroup[group] == member {
			return true
		}
	}
	return false
}

func memberOf(reg *generator.Registry, features []string, group string) string {
	for _, f := range features {
		if reg.Features[f].Group == group {
			return f
		}
	}
	return ""
}

// TestFormCommandRendersSameProject runs a few form answers end to end:
// the project the form writes and the one its printed command writes are
// byte-identical.
func TestFormCommandRendersSameProject(t *testing.T) {
	reg, err := generator.LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	screens := formScreens(reg)
	api := slices.Index(reg.PresetNames(), "api")
	if api < 0 {
		t.Fatal("no api preset")
	}
	// Option indices by name, so the cases read as what a user does.
	pick := func(preset int, choose map[string]string, toggle ...string) formAnswer {
		fa := formAnswer{preset: preset, pick: make([]int, len(screens))}
		for i, s := range screens {
			if s.multi {
				for _, name := range toggle {
					if o := slices.Index(s.options, name); o >= 0 {
						fa.pick[i] |= 1 << o
					}
				}
				continue
			}
			want := choose[s.group.Name]
			if _, ok := choose[s.group.Name]; !ok {
				// Keep the preset's choice.
				want = memberOf(reg, reg.Presets[reg.PresetNames()[preset]].Features, s.group.Name)
				if want == "" && s.group.Required {
					want = s.group.Default
				}
			}
			o := slices.Index(s.options, want)
			if o < 0 {
				t.Fatalf("no option %q in %s", want, s.group.Name)
			}
			fa.pick[i] = o
		}
		return fa
	}
	cases := []struct {
		name string
		fa   formAnswer
		want string // a part of the printed command
	}{
		{"api, users unticked", pick(api, nil, "users"), "omnistack new formapp --preset api --output "},
		{"api on postgres with clerk, no rate limit", pick(api, map[string]string{"database": "postgres", "auth": "auth-clerk"}, "ratelimit"), "--preset api --database postgres --auth clerk --without ratelimit"},
		{"api without auth", pick(api, map[string]string{"auth": ""}), "--preset api --auth none"},
		{"minimal with supabase and redis", pick(0, map[string]string{"auth": "auth-supabase"}, "redis"), "--preset minimal --auth supabase --features redis"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			dirA := filepath.Join(t.TempDir(), "a")
			sys := &System{In: strings.NewReader(tt.fa.input(reg, screens, true)), Terminal: true}
			r := run(t, sys, "new", "--accessible", "--no-git", "-o", dirA)
			if r.code != 0 {
				t.Fatalf("form: exit %d %s\n%s", r.code, r.stderr, r.stdout)
			}
			_, after, ok := strings.Cut(r.stdout, "The same project without questions:\n  ")
			if !ok {
				t.Fatalf("no equivalent command in:\n%s", r.stdout)
			}
			equivalent, _, _ := strings.Cut(after, "\n")
			if !strings.Contains(equivalent, tt.want) {
				t.Errorf("command %q, want it to contain %q", equivalent, tt.want)
			}
			dirB := filepath.Join(t.TempDir(), "b")
			args := strings.Fields(strings.Replace(equivalent, "--output "+dirA, "--output "+dirB, 1))[1:]
			if r := run(t, nil, args...); r.code != 0 {
				t.Fatalf("%q: exit %d %s", equivalent, r.code, r.stderr)
			}
			a, b := readDir(t, dirA), readDir(t, dirB)
			if len(a) == 0 || len(a) != len(b) {
				t.Fatalf("form wrote %d files, the command %d", len(a), len(b))
			}
			for p, data := range a {
				if !bytes.Equal(data, b[p]) {
					t.Errorf("%s differs between the form's project and the command's", p)
				}
			}
		})
	}
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
