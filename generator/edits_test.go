package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestEditedProjects runs the txtar cases in testdata/edits. Each case
// names a preset ("from:") and features to add ("add:") in its comment,
// then edits the generated project before `add`:
//
//	append:PATH, prepend:PATH   add text at the end / start of a file
//	replace:PATH                "old\n===\nnew": replace one occurrence
//	create:PATH, delete:PATH    a file of the owner's, or a deleted one
//
// and checks the result:
//
//	want-contains:PATH          each line occurs in the file
//	want-status:PATH            the plan's status for the file
//	want-absent:PATH            the file does not exist
func TestEditedProjects(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	cases, _ := filepath.Glob("testdata/edits/*.txtar")
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, file := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			t.Parallel()
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var from, add []string
			for _, line := range strings.Split(string(ar.Comment), "\n") {
				if v, ok := strings.CutPrefix(line, "from: "); ok {
					from = reg.Presets[strings.TrimSpace(v)].Features
				}
				if v, ok := strings.CutPrefix(line, "add: "); ok {
					add = strings.Fields(v)
				}
			}
			for _, a := range add {
				if _, ok := reg.Features[a]; !ok {
					t.Fatalf("%s names feature %s, which does not exist (renamed?)", file, a)
				}
			}
			p := newRealProject(t, reg, filepath.Join(t.TempDir(), "p"), from)
			for _, f := range ar.Files {
				op, path, _ := strings.Cut(f.Name, ":")
				full := filepath.Join(p.Dir, filepath.FromSlash(path))
				data, _ := os.ReadFile(full)
				switch op {
				case "append":
					data = append(data, f.Data...)
				case "prepend":
					data = append(append([]byte{}, f.Data...), data...)
				case "replace":
					old, repl, ok := strings.Cut(string(f.Data), "===\n")
					if !ok || !strings.Contains(string(data), old) {
						t.Fatalf("replace:%s: old text not found", path)
					}
					data = []byte(strings.Replace(string(data), old, repl, 1))
				case "create":
					os.MkdirAll(filepath.Dir(full), 0o755)
					data = f.Data
				case "delete":
					if err := os.Remove(full); err != nil {
						t.Fatal(err)
					}
					continue
				default:
					continue
				}
				if err := os.WriteFile(full, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := reg.WithAdded(p.Manifest.Features, add)
			if err != nil {
				t.Fatal(err)
			}
			u := planApply(t, reg, p, want)
			status := map[string]string{}
			for _, c := range u.Changes {
				status[c.Path] = string(c.Status)
			}
			for _, f := range ar.Files {
				op, path, _ := strings.Cut(f.Name, ":")
				full := filepath.Join(p.Dir, filepath.FromSlash(path))
				switch op {
				case "want-contains":
					data, err := os.ReadFile(full)
					if err != nil {
						t.Errorf("%s: %v", path, err)
						continue
					}
					for _, line := range strings.Split(strings.TrimRight(string(f.Data), "\n"), "\n") {
						if !strings.Contains(string(data), line) {
							t.Errorf("%s lacks %q:\n%s", path, line, data)
						}
					}
				case "want-status":
					if got, want := status[path], strings.TrimSpace(string(f.Data)); got != want {
						t.Errorf("%s: status %q, want %q", path, got, want)
					}
				case "want-absent":
					if _, err := os.Stat(full); !os.IsNotExist(err) {
						t.Errorf("%s exists", path)
					}
				}
			}
		})
	}
}
