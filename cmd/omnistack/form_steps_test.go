package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/omnistack/omnistack/generator"
)

// accessibleSys returns a System that answers the accessible form from in.
func accessibleSys(in io.Reader) *System {
	return &System{In: in, Terminal: true, Getenv: func(k string) string {
		if k == "ACCESSIBLE" {
			return "1"
		}
		return ""
	}}
}

// screenInput answers the feature screens: for a select the option named
// in pick (absent: enter keeps the default), for a multi-select the
// options named in toggle, then 0.
func screenInput(t *testing.T, reg *generator.Registry, pick map[string]string, toggle ...string) string {
	t.Helper()
	var b strings.Builder
	for _, s := range formScreens(reg) {
		if s.multi {
			for i, o := range s.options {
				for _, name := range toggle {
					if o == name {
						b.WriteString(strconv.Itoa(i+1) + "\n")
					}
				}
			}
			b.WriteString("0\n")
			continue
		}
		want, ok := pick[s.group.Name]
		if !ok {
			b.WriteString("\n")
			continue
		}
		found := false
		for i, o := range s.options {
			if o == want {
				b.WriteString(strconv.Itoa(i+1) + "\n")
				found = true
			}
		}
		if !found {
			t.Fatalf("no option %q in %s", want, s.group.Name)
		}
	}
	return b.String()
}

// TestFormSummary: the summary before writing names the project, module,
// directory, every feature (requirements marked), and the services; "no"
// returns to the questions, and the second answers are the ones written.
func TestFormSummary(t *testing.T) {
	reg, err := generator.LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	// minimal + auth-builtin pre-ticks users; untick it: the summary says
	// it is added back. Answer no, then choose postgres and accept.
	first := "sumapp\n\n1\n" + screenInput(t, reg, map[string]string{"auth": "auth-builtin"}, "users") + "n\n"
	second := "\n\n\n" + screenInput(t, reg, map[string]string{"database": "postgres"}) + "\n"
	dir := filepath.Join(t.TempDir(), "out")
	r := run(t, accessibleSys(strings.NewReader(first+second)), "new", "--no-git", "-o", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	summaries := strings.Split(r.stdout, "Summary of what will be generated:\n")
	if len(summaries) != 3 {
		t.Fatalf("want 2 summaries, got %d:\n%s", len(summaries)-1, r.stdout)
	}
	for _, want := range []string{"Name:       sumapp\n", "Module:     example.com/sumapp\n", "Directory:  " + dir + "\n",
		"Features:   auth-builtin, sqlite, users (required by auth-builtin)\n", "Services:   none"} {
		if !strings.Contains(summaries[1], want) {
			t.Errorf("first summary lacks %q:\n%s", want, summaries[1])
		}
	}
	if !strings.Contains(summaries[0], "Ticked now: users") {
		t.Errorf("choosing auth-builtin did not tick users:\n%s", summaries[0])
	}
	if !strings.Contains(r.stdout, "Editing the answers again") {
		t.Errorf("no did not go back to the questions:\n%s", r.stdout)
	}
	// users stays unticked: a choice ticks its requirements once.
	for _, want := range []string{"Features:   auth-builtin, postgres, users (required by auth-builtin)\n", "Services:   postgres\n"} {
		if !strings.Contains(summaries[2], want) {
			t.Errorf("second summary lacks %q:\n%s", want, summaries[2])
		}
	}
	if strings.Contains(r.stdout, "idp") {
		t.Errorf("the form shows the library feature idp:\n%s", r.stdout)
	}
	data, err := os.ReadFile(filepath.Join(dir, "omnistack.yaml"))
	if err != nil || !strings.Contains(string(data), "postgres") {
		t.Errorf("the second answers were not written: %v\n%s", err, data)
	}
}

// eofOnce reads like r but reports end of input once first, as Ctrl-D on
// an empty line of a terminal does.
type eofOnce struct {
	r    io.Reader
	done bool
}

func (e *eofOnce) Read(p []byte) (int, error) {
	if !e.done {
		e.done = true
		return 0, io.EOF
	}
	return e.r.Read(p)
}

// TestFormEndOfInput: Ctrl-D on the project name asks again (it used to
// give an empty name and `invalid module path "example.com/"`); input that
// stays closed cancels without writing.
func TestFormEndOfInput(t *testing.T) {
	reg, err := generator.LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "eofapp")
	in := &eofOnce{r: strings.NewReader("eofapp\n\n\n" + keepScreens(reg) + "\n")}
	r := run(t, accessibleSys(in), "new", "--no-git", "-o", dir)
	if r.code != 0 || strings.Contains(r.stderr, "invalid module path") {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	if strings.Count(r.stdout, "Project name") != 2 || !strings.Contains(r.stdout, "asking again") {
		t.Errorf("the name was not asked again:\n%s", r.stdout)
	}

	dir = filepath.Join(t.TempDir(), "closed")
	r = run(t, accessibleSys(strings.NewReader("")), "new", "--no-git", "-o", dir)
	if r.code != exitFailure || !strings.Contains(r.stderr, "nothing was written") || strings.Contains(r.stderr, "invalid") {
		t.Errorf("closed input: exit %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("closed input wrote %s", dir)
	}
}

// TestFormInterrupt: Ctrl-C (SIGINT) in the accessible form prints
// "cancelled; nothing was written" and exits 130.
func TestFormInterrupt(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	sig := make(chan os.Signal, 1)
	sys := accessibleSys(pr)
	sys.Interrupt = sig
	go func() {
		_, _ = pw.Write([]byte("intapp\n")) // the name; then wait at the module
		sig <- os.Interrupt
	}()
	dir := filepath.Join(t.TempDir(), "intapp")
	r := run(t, sys, "new", "--no-git", "-o", dir)
	if r.code != exitInterrupted || r.stderr != "omnistack: cancelled; nothing was written\n" {
		t.Errorf("exit %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("interrupted form wrote %s", dir)
	}
}

// TestFormDescriptionsAndDefaults: each accessible question says what it
// is for and what enter keeps.
func TestFormDescriptionsAndDefaults(t *testing.T) {
	reg, err := generator.LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, accessibleSys(strings.NewReader("descapp\n\n\n"+keepScreens(reg)+"\n")), "new", "--no-git", "--dry-run")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"lower-case letters, digits and '-'. Required.",
		"Default: example.com/descapp (enter keeps it)",
		"Default: minimal (enter keeps it)",
		"SQLite needs nothing installed. Default: sqlite (enter keeps it)",
		"Default: none (enter keeps it)",
		"Ticked now: none.",
		"(adds users)",
		"Create the project? [Y/n]",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("form lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestFormFitsTerminal: in the full-screen form every option is one line
// of the terminal, so huh sizes each select to its options; a select
// taller than the terminal gets the terminal's height.
func TestFormFitsTerminal(t *testing.T) {
	reg, err := generator.LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}, {40, 12}} {
		lay := layout{width: size[0] - 10, height: size[1]}
		st := newFormState(reg, &answers{})
		for _, g := range reg.Groups {
			feats := st.groupFeatures(g.Name)
			if len(feats) == 0 {
				continue
			}
			for _, f := range feats {
				label := fitLine(f.Name+"  "+f.Summary, lay.width)
				if n := utf8.RuneCountInString(label); n > lay.width {
					t.Errorf("%dx%d: option %q is %d wide", size[0], size[1], label, n)
				}
			}
			h := fieldHeight(g.Summary, len(feats)+1, lay)
			if size[1] >= 24 && h != 0 {
				t.Errorf("%dx%d: %s gets height %d, want its options' (0)", size[0], size[1], g.Name, h)
			}
			if h > size[1] {
				t.Errorf("%dx%d: %s is %d tall", size[0], size[1], g.Name, h)
			}
		}
	}
	if got := fieldHeight("desc", 30, layout{width: 70, height: 24}); got != 20 {
		t.Errorf("30 options at 80x24: height %d, want 20", got)
	}
}
