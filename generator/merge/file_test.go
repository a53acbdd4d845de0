package merge

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

func TestFile(t *testing.T) {
	p := Present
	var absent Version
	a, b, c := []byte(L("a", "b", "c")), []byte(L("a", "B", "c")), []byte(L("a", "b", "C"))
	bin, bin2, bin3 := []byte("\x00one"), []byte("\x00two"), []byte("\x00three")
	tests := []struct {
		name               string
		path               string
		base, ours, theirs Version
		status             Status
		content            []byte
		conflicts          int
		delete             bool
		sidecar            string
	}{
		{"all absent", "x", absent, absent, absent, StatusUnchanged, nil, 0, false, ""},
		{"new file", "x", absent, absent, p(a), StatusNew, a, 0, false, ""},
		{"user's own file", "x", absent, p(a), absent, StatusUnchanged, a, 0, false, ""},
		{"user created the same file", "x", absent, p(a), p(a), StatusUnchanged, a, 0, false, ""},
		{"user created a different file at the same path", "x", absent, p(b), p(c), StatusConflict,
			[]byte(L("a", "<<<<<<< yours", "B", "c", "=======", "b", "C", ">>>>>>> omnistack")), 1, false, ""},
		{"untouched, unchanged", "x", p(a), p(a), p(a), StatusUnchanged, a, 0, false, ""},
		{"untouched, theirs changed", "x", p(a), p(a), p(b), StatusUpdated, b, 0, false, ""},
		{"edited, theirs unchanged", "x", p(a), p(b), p(a), StatusUnchanged, b, 0, false, ""},
		{"both made the same change", "x", p(a), p(b), p(b), StatusUnchanged, b, 0, false, ""},
		{"both changed, conflict", "x", p(a), p(b), p([]byte(L("a", "X", "c"))), StatusConflict,
			[]byte(L("a", "<<<<<<< yours", "B", "=======", "X", ">>>>>>> omnistack", "c")), 1, false, ""},
		{"user deleted, theirs unchanged", "x", p(a), absent, p(a), StatusKeptDeleted, nil, 0, false, ""},
		{"user deleted, theirs changed", "x", p(a), absent, p(b), StatusKeptDeleted, nil, 0, false, ""},
		{"both deleted", "x", p(a), absent, absent, StatusUnchanged, nil, 0, false, ""},
		{"theirs dropped untouched file", "x", p(a), p(a), absent, StatusDeleted, nil, 0, true, ""},
		{"theirs dropped edited file", "x", p(a), p(b), absent, StatusKeptEdited, b, 0, false, ""},
		{"binary, theirs changed", "x.png", p(bin), p(bin), p(bin2), StatusUpdated, bin2, 0, false, ""},
		{"binary, both changed", "img/x.png", p(bin), p(bin2), p(bin3), StatusConflict, bin2, 1, false, "img/x.png.omnistack"},
		{"text became binary on one side", "x", p(a), p(b), p(bin), StatusConflict, b, 1, false, "x.omnistack"},
		{"empty file exists", "x", p(nil), p(nil), p(nil), StatusUnchanged, nil, 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := File(tt.path, tt.base, tt.ours, tt.theirs)
			if r.Status != tt.status || !bytes.Equal(r.Content, tt.content) || r.Conflicts != tt.conflicts ||
				r.Delete != tt.delete || r.SidecarPath != tt.sidecar {
				t.Errorf("File = %+v\nwant status %s, content %q, %d conflicts, delete %v, sidecar %q",
					r, tt.status, tt.content, tt.conflicts, tt.delete, tt.sidecar)
			}
			if tt.sidecar != "" && !bytes.Equal(r.Sidecar, tt.theirs.Data) {
				t.Errorf("sidecar content %q, want theirs %q", r.Sidecar, tt.theirs.Data)
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite the want file of testdata/*.txtar cases with the current result")

// TestFileCases runs the txtar cases in testdata: a comment with
// "path: P", "status: S" and optionally "conflicts: N", and files base,
// ours, theirs (each may be absent) and want (absent: no file afterwards).
// Run with -update to rewrite want; review the diff before committing.
func TestFileCases(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.txtar cases (%v)", err)
	}
	for _, name := range files {
		t.Run(strings.TrimSuffix(filepath.Base(name), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(name)
			if err != nil {
				t.Fatal(err)
			}
			meta := map[string]string{}
			for l := range strings.Lines(string(ar.Comment)) {
				if k, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok {
					meta[k] = strings.TrimSpace(v)
				}
			}
			side := map[string]Version{}
			for _, f := range ar.Files {
				side[f.Name] = Present(f.Data)
			}
			r := File(meta["path"], side["base"], side["ours"], side["theirs"])
			wantConflicts, _ := strconv.Atoi(meta["conflicts"])
			if string(r.Status) != meta["status"] || r.Conflicts != wantConflicts {
				t.Errorf("status %s with %d conflicts, want %s with %d", r.Status, r.Conflicts, meta["status"], wantConflicts)
			}
			want, hasWant := side["want"]
			exists := side["ours"].Exists && !r.Delete || r.Status == StatusNew
			if *update {
				var kept []txtar.File
				for _, f := range ar.Files {
					if f.Name != "want" {
						kept = append(kept, f)
					}
				}
				if exists {
					kept = append(kept, txtar.File{Name: "want", Data: r.Content})
				}
				ar.Files = kept
				if err := os.WriteFile(name, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			switch {
			case hasWant != exists:
				t.Errorf("file exists afterwards: %v, want %v (status %s)", exists, hasWant, r.Status)
			case hasWant && !bytes.Equal(r.Content, want.Data):
				t.Errorf("content: want → got (go test -run FileCases -update rewrites want)\n%s",
					Unified(meta["path"], want.Data, r.Content))
			}
			if r.Status == StatusConflict {
				if n := bytes.Count(r.Content, []byte("<<<<<<< yours\n")); n != r.Conflicts {
					t.Errorf("%d conflict blocks in content, Conflicts = %d", n, r.Conflicts)
				}
			}
		})
	}
}
