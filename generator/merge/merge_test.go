package merge

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// L joins lines, each ended by "\n".
func L(lines ...string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

var mergeTests = []struct {
	name               string
	base, ours, theirs string
	want               string
	conflicts          int
}{
	{
		name:   "edits in separate regions combine",
		base:   L("a", "b", "c", "d", "e", "f", "g"),
		ours:   L("a", "B", "c", "d", "e", "f", "g"),
		theirs: L("a", "b", "c", "d", "e", "F", "g"),
		want:   L("a", "B", "c", "d", "e", "F", "g"),
	},
	{
		name:   "user edit in untouched region survives theirs insertion",
		base:   L("package x", "", "func A() {}", "", "func B() {}"),
		ours:   L("package x", "", "// A is mine.", "func A() { println() }", "", "func B() {}"),
		theirs: L("package x", "", "func A() {}", "", "func B() {}", "", "func C() {}"),
		want:   L("package x", "", "// A is mine.", "func A() { println() }", "", "func B() {}", "", "func C() {}"),
	},
	{
		name:   "same edit on both sides taken once",
		base:   L("a", "b", "c"),
		ours:   L("a", "X", "c"),
		theirs: L("a", "X", "c"),
		want:   L("a", "X", "c"),
	},
	{
		name:   "same edit on both sides plus a separate edit",
		base:   L("a", "b", "c", "d", "e", "f", "g"),
		ours:   L("a", "X", "c", "d", "e", "f", "g"),
		theirs: L("a", "X", "c", "d", "e", "f", "G"),
		want:   L("a", "X", "c", "d", "e", "f", "G"),
	},
	{
		name:      "adjacent edits conflict as in git",
		base:      L("a", "b", "c", "d"),
		ours:      L("a", "B", "c", "d"),
		theirs:    L("a", "b", "C", "d"),
		want:      L("a", "<<<<<<< yours", "B", "c", "=======", "b", "C", ">>>>>>> omnistack", "d"),
		conflicts: 1,
	},
	{
		name:      "overlapping edits conflict with exact markers",
		base:      L("a", "b", "c"),
		ours:      L("a", "mine", "c"),
		theirs:    L("a", "theirs", "c"),
		want:      L("a", "<<<<<<< yours", "mine", "=======", "theirs", ">>>>>>> omnistack", "c"),
		conflicts: 1,
	},
	{
		name:      "conflict refined: common lines at the edges leave the block",
		base:      L("a", "b", "z"),
		ours:      L("a", "x", "mine", "y", "z"),
		theirs:    L("a", "x", "theirs", "y", "z"),
		want:      L("a", "x", "<<<<<<< yours", "mine", "=======", "theirs", ">>>>>>> omnistack", "y", "z"),
		conflicts: 1,
	},
	{
		name:      "two conflicts far apart stay two",
		base:      L("1", "2", "3", "4", "5", "6", "7", "8"),
		ours:      L("1", "o2", "3", "4", "5", "6", "o7", "8"),
		theirs:    L("1", "t2", "3", "4", "5", "6", "t7", "8"),
		want:      L("1", "<<<<<<< yours", "o2", "=======", "t2", ">>>>>>> omnistack", "3", "4", "5", "6", "<<<<<<< yours", "o7", "=======", "t7", ">>>>>>> omnistack", "8"),
		conflicts: 2,
	},
	{
		name:      "two conflicts three lines apart join",
		base:      L("1", "2", "3", "4", "5", "6", "7"),
		ours:      L("1", "o2", "3", "4", "5", "o6", "7"),
		theirs:    L("1", "t2", "3", "4", "5", "t6", "7"),
		want:      L("1", "<<<<<<< yours", "o2", "3", "4", "5", "o6", "=======", "t2", "3", "4", "5", "t6", ">>>>>>> omnistack", "7"),
		conflicts: 1,
	},
	{
		name:      "conflicts separated by braces only join",
		base:      L("a", "b", "}", "}", "}", "}", "c", "d"),
		ours:      L("a", "o", "}", "}", "}", "}", "O", "d"),
		theirs:    L("a", "t", "}", "}", "}", "}", "T", "d"),
		want:      L("a", "<<<<<<< yours", "o", "}", "}", "}", "}", "O", "=======", "t", "}", "}", "}", "}", "T", ">>>>>>> omnistack", "d"),
		conflicts: 1,
	},
	{
		name:      "an identical change between two conflicts does not keep them apart",
		base:      L("a", "b", "c", "d", "e", "f"),
		ours:      L("a", "B1", "c", "e", "F1"),
		theirs:    L("a", "B2", "c", "e", "F2"),
		want:      L("a", "<<<<<<< yours", "B1", "c", "e", "F1", "=======", "B2", "c", "e", "F2", ">>>>>>> omnistack"),
		conflicts: 1,
	},
	{
		name:   "insert at start and at end",
		base:   L("a", "b", "c"),
		ours:   L("start", "a", "b", "c"),
		theirs: L("a", "b", "c", "end"),
		want:   L("start", "a", "b", "c", "end"),
	},
	{
		name:      "both insert at end differently",
		base:      L("a"),
		ours:      L("a", "mine"),
		theirs:    L("a", "theirs"),
		want:      L("a", "<<<<<<< yours", "mine", "=======", "theirs", ">>>>>>> omnistack"),
		conflicts: 1,
	},
	{
		name:   "deletion by ours and edit elsewhere by theirs",
		base:   L("a", "b", "c", "d", "e"),
		ours:   L("a", "c", "d", "e"),
		theirs: L("a", "b", "c", "d", "E"),
		want:   L("a", "c", "d", "E"),
	},
	{
		name:      "deletion by ours vs edit of the same line by theirs",
		base:      L("a", "b", "c"),
		ours:      L("a", "c"),
		theirs:    L("a", "B", "c"),
		want:      L("a", "<<<<<<< yours", "=======", "B", ">>>>>>> omnistack", "c"),
		conflicts: 1,
	},
	{
		name:      "edit by ours vs deletion of the same line by theirs",
		base:      L("a", "b", "c"),
		ours:      L("a", "B", "c"),
		theirs:    L("a", "c"),
		want:      L("a", "<<<<<<< yours", "B", "=======", ">>>>>>> omnistack", "c"),
		conflicts: 1,
	},
	{
		name:   "both delete the same line",
		base:   L("a", "b", "c"),
		ours:   L("a", "c", "x"),
		theirs: L("a", "c"),
		want:   L("a", "c", "x"),
	},
	{
		name:   "no trailing newline, edit elsewhere",
		base:   "a\nb\nc",
		ours:   "A\nb\nc",
		theirs: "a\nb\nC",
		want:   "A\nb\nC",
	},
	{
		name:   "theirs adds the missing trailing newline",
		base:   "a\nb\nc\nd",
		ours:   "A\nb\nc\nd",
		theirs: "a\nb\nc\nd\n",
		want:   "A\nb\nc\nd\n",
	},
	{
		name:      "conflict on a last line without newline",
		base:      "a\nb",
		ours:      "a\nmine",
		theirs:    "a\ntheirs",
		want:      L("a", "<<<<<<< yours", "mine", "=======", "theirs", ">>>>>>> omnistack"),
		conflicts: 1,
	},
	{
		name:      "empty base, both create differently",
		base:      "",
		ours:      L("x", "mine"),
		theirs:    L("x", "theirs"),
		want:      L("x", "<<<<<<< yours", "mine", "=======", "theirs", ">>>>>>> omnistack"),
		conflicts: 1,
	},
	{
		name:   "ours empties the file, theirs unchanged",
		base:   L("a", "b"),
		ours:   "",
		theirs: L("a", "b"),
		want:   "",
	},
	{
		name:      "ours empties the file, theirs changed it",
		base:      L("a", "b"),
		ours:      "",
		theirs:    L("a", "B"),
		want:      L("<<<<<<< yours", "=======", "a", "B", ">>>>>>> omnistack"),
		conflicts: 1,
	},
	{
		name:   "CRLF lines left as they are",
		base:   "a\r\nb\r\nc\r\nd\r\ne\r\n",
		ours:   "A\r\nb\r\nc\r\nd\r\ne\r\n",
		theirs: "a\r\nb\r\nc\r\nd\r\nE\r\n",
		want:   "A\r\nb\r\nc\r\nd\r\nE\r\n",
	},
	{
		name:      "CRLF conflict markers",
		base:      "a\r\nb\r\nc\r\n",
		ours:      "a\r\nmine\r\nc\r\n",
		theirs:    "a\r\ntheirs\r\nc\r\n",
		want:      "a\r\n<<<<<<< yours\r\nmine\r\n=======\r\ntheirs\r\n>>>>>>> omnistack\r\nc\r\n",
		conflicts: 1,
	},
}

func TestMerge(t *testing.T) {
	for _, tt := range mergeTests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := Merge([]byte(tt.base), []byte(tt.ours), []byte(tt.theirs), Labels{})
			if string(got) != tt.want || n != tt.conflicts {
				t.Errorf("Merge = %d conflicts, want %d\n%s", n, tt.conflicts, Unified("merge", []byte(tt.want), got))
			}
		})
	}
}

// TestMergeLikeGit checks the table against git merge-file itself, so the
// expectations above are git's behaviour and not only ours.
func TestMergeLikeGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not in PATH")
	}
	for _, tt := range mergeTests {
		t.Run(tt.name, func(t *testing.T) {
			want, n := gitMergeFile(t, []byte(tt.base), []byte(tt.ours), []byte(tt.theirs))
			if string(want) != tt.want || n != tt.conflicts {
				t.Errorf("git merge-file = %d conflicts, table says %d\n%s", n, tt.conflicts, Unified("merge", []byte(tt.want), want))
			}
		})
	}
}

func gitMergeFile(t testing.TB, base, ours, theirs []byte) ([]byte, int) {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	o, b, th := write("ours", ours), write("base", base), write("theirs", theirs)
	out, err := exec.Command("git", "merge-file", "-p", "-L", "yours", "-L", "base", "-L", "omnistack", o, b, th).Output()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() > 0 && exit.ExitCode() < 127:
		return out, exit.ExitCode()
	case err != nil:
		t.Fatalf("git merge-file: %v", err)
	}
	return out, 0
}

func TestMergeLabels(t *testing.T) {
	got, n := Merge([]byte(L("a")), []byte(L("b")), []byte(L("c")), Labels{Ours: "mine", Theirs: "new"})
	want := L("<<<<<<< mine", "b", "=======", "c", ">>>>>>> new")
	if string(got) != want || n != 1 {
		t.Errorf("got %d conflicts\n%s", n, got)
	}
}

func TestMergeIdentities(t *testing.T) {
	inputs := []string{"", "a", "a\n", L("a", "b", "c"), "x\r\ny", "\n\n\n"}
	for _, x := range inputs {
		for _, y := range inputs {
			bx, by := []byte(x), []byte(y)
			if got, n := Merge(bx, bx, by, Labels{}); !bytes.Equal(got, by) || n != 0 {
				t.Errorf("Merge(%q, %q, %q) = %q, %d; want theirs", x, x, y, got, n)
			}
			if got, n := Merge(bx, by, bx, Labels{}); !bytes.Equal(got, by) || n != 0 {
				t.Errorf("Merge(%q, %q, %q) = %q, %d; want ours", x, y, x, got, n)
			}
			if got, n := Merge(by, bx, bx, Labels{}); !bytes.Equal(got, bx) || n != 0 {
				t.Errorf("Merge(%q, %q, %q) = %q, %d; want ours", y, x, x, got, n)
			}
		}
	}
}
