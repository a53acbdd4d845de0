package merge

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// genFile returns n lines that look like generated Go: unique statements
// mixed with the braces, blank lines and returns that repeat in real code.
func genFile(r *rand.Rand, n int, unique bool) []string {
	common := []string{"}", "", "\treturn nil", "\t}", "\tif err != nil {", ")"}
	lines := make([]string, n)
	for i := range lines {
		if !unique && r.IntN(3) == 0 {
			lines[i] = common[r.IntN(len(common))]
		} else {
			lines[i] = fmt.Sprintf("\tgen%d()", i)
		}
	}
	return lines
}

// An edit applies to one slot of a base file: slot i is "before line i,
// and line i"; slot len(base) is the end of the file.
type edit struct {
	insert []string // lines inserted before line i
	op     byte     // 0 keep line i, 'd' delete it, 'm' replace it with repl
	repl   string
}

func randomEdit(r *rand.Rand, tag string, slot, n int, counter *int) edit {
	var e edit
	newLine := func() string { *counter++; return fmt.Sprintf("%s line %d", tag, *counter) }
	if r.IntN(2) == 0 {
		for range 1 + r.IntN(3) {
			e.insert = append(e.insert, newLine())
		}
	}
	if slot < n {
		switch r.IntN(3) {
		case 0:
			e.op = 'd'
		case 1:
			e.op, e.repl = 'm', newLine()
		}
	}
	if len(e.insert) == 0 && e.op == 0 {
		e.insert = []string{newLine()}
	}
	return e
}

// apply applies edits (by slot; nil = untouched) to base.
func apply(base []string, edits map[int]edit) []string {
	var out []string
	for i := 0; i <= len(base); i++ {
		e := edits[i]
		out = append(out, e.insert...)
		if i == len(base) {
			break
		}
		switch e.op {
		case 0:
			out = append(out, base[i])
		case 'm':
			out = append(out, e.repl)
		}
	}
	return out
}

func join(lines []string, finalNewline bool) []byte {
	s := strings.Join(lines, "\n")
	if finalNewline && len(lines) > 0 {
		s += "\n"
	}
	return []byte(s)
}

// parseMerged splits a merge result into the lines outside conflict
// blocks and inside them, and checks the markers are well formed.
func parseMerged(t *testing.T, out []byte) (outside, inside []string, blocks int) {
	t.Helper()
	state := 0 // 0 outside, 1 ours side, 2 theirs side
	for l := range strings.Lines(string(out)) {
		l = strings.TrimSuffix(l, "\n")
		switch {
		case l == "<<<<<<< yours" && state == 0:
			state = 1
			blocks++
		case l == "=======" && state == 1:
			state = 2
		case l == ">>>>>>> omnistack" && state == 2:
			state = 0
		case strings.HasPrefix(l, "<<<<<<<"), l == "=======", strings.HasPrefix(l, ">>>>>>>"):
			t.Fatalf("misplaced marker %q in\n%s", l, out)
		case state == 0:
			outside = append(outside, l)
		default:
			inside = append(inside, l)
		}
	}
	if state != 0 {
		t.Fatalf("unterminated conflict block in\n%s", out)
	}
	return outside, inside, blocks
}

// TestMergeNoSilentLoss: random user edits and random new renders over
// files with repeated lines; every line either side added is in the result,
// outside or inside a conflict block, and the markers are well formed and
// counted.
func TestMergeNoSilentLoss(t *testing.T) {
	const seed = 20240601
	r := rand.New(rand.NewPCG(seed, 1))
	total, conflicted := 0, 0
	for it := range 500 {
		base := genFile(r, 5+r.IntN(60), false)
		counter := 0
		ours, theirs := map[int]edit{}, map[int]edit{}
		for slot := 0; slot <= len(base); slot++ {
			if r.IntN(10) == 0 {
				ours[slot] = randomEdit(r, "user", slot, len(base), &counter)
			}
			if r.IntN(10) == 0 {
				theirs[slot] = randomEdit(r, "omnistack", slot, len(base), &counter)
			}
		}
		nl := r.IntN(8) != 0
		b, o, th := join(base, nl), join(apply(base, ours), nl), join(apply(base, theirs), nl)
		for _, m := range []struct {
			name  string
			merge func(b, o, t []byte, l Labels) ([]byte, int)
		}{{"Merge", Merge}, {"mergeLines", mergeLines}} {
			out, n := m.merge(b, o, th, Labels{})
			outside, inside, blocks := parseMerged(t, out)
			if blocks != n {
				t.Fatalf("seed %d iteration %d: %s reports %d conflicts, output has %d blocks", seed, it, m.name, n, blocks)
			}
			all := map[string]bool{}
			for _, l := range append(outside, inside...) {
				all[l] = true
			}
			for _, edits := range []map[int]edit{ours, theirs} {
				for _, e := range edits {
					added := e.insert
					if e.op == 'm' {
						added = append(added, e.repl)
					}
					for _, l := range added {
						if !all[l] {
							t.Fatalf("seed %d iteration %d: %s lost %q\nbase:\n%s\nours:\n%s\ntheirs:\n%s\nresult:\n%s", seed, it, m.name, l, b, o, th, out)
						}
					}
				}
			}
			if n == 0 {
				// Without conflicts the result does not depend on which
				// side is which.
				swapped, sn := m.merge(b, th, o, Labels{})
				if sn != 0 || !bytes.Equal(swapped, out) {
					t.Fatalf("seed %d iteration %d: %s not symmetric:\n%s", seed, it, m.name, Unified("merge", out, swapped))
				}
			}
		}
		// The identities hold without Merge's shortcuts too.
		for _, c := range []struct {
			name          string
			b, o, t, want []byte
		}{{"(base, base, theirs)", b, b, th, th}, {"(base, ours, base)", b, o, b, o}, {"(x, x, x)", o, o, o, o}, {"(base, x, x)", b, o, o, o}} {
			if got, n := mergeLines(c.b, c.o, c.t, Labels{}); n != 0 || !bytes.Equal(got, c.want) {
				t.Fatalf("seed %d iteration %d: mergeLines%s = %d conflicts\n%s", seed, it, c.name, n, Unified("merge", c.want, got))
			}
		}
		total++
		if _, n := Merge(b, o, th, Labels{}); n > 0 {
			conflicted++
		}
	}
	t.Logf("%d merges, %d with conflicts", total, conflicted)
	if conflicted == 0 || conflicted == total {
		t.Errorf("generator is degenerate: %d of %d merges conflict", conflicted, total)
	}
}

// TestMergeDisjointEdits: when user edits and new-render edits touch slots
// at least one untouched line apart, the merge has no conflict and equals
// both edits applied to base.
func TestMergeDisjointEdits(t *testing.T) {
	const seed = 99
	r := rand.New(rand.NewPCG(seed, 2))
	for it := range 500 {
		base := genFile(r, 3+r.IntN(60), true)
		counter := 0
		ours, theirs := map[int]edit{}, map[int]edit{}
		owner := 0 // owner of the previous slot: 0 none, 1 ours, 2 theirs
		for slot := 0; slot <= len(base); slot++ {
			o := r.IntN(5) // 0,1 ours; 2,3 theirs; 4 none
			switch {
			case o < 2 && owner != 2:
				ours[slot] = randomEdit(r, "user", slot, len(base), &counter)
				owner = 1
			case o >= 2 && o < 4 && owner != 1:
				theirs[slot] = randomEdit(r, "omnistack", slot, len(base), &counter)
				owner = 2
			default:
				owner = 0
			}
		}
		both := map[int]edit{}
		for k, v := range ours {
			both[k] = v
		}
		for k, v := range theirs {
			both[k] = v
		}
		b, o, th := join(base, true), join(apply(base, ours), true), join(apply(base, theirs), true)
		want := join(apply(base, both), true)
		got, n := Merge(b, o, th, Labels{})
		if n != 0 || !bytes.Equal(got, want) {
			t.Fatalf("seed %d iteration %d: %d conflicts\nbase:\n%s\nours:\n%s\ntheirs:\n%s\ndiff:\n%s", seed, it, n, b, o, th, Unified("merge", want, got))
		}
	}
}
