package merge

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func FuzzMerge(f *testing.F) {
	for _, tt := range mergeTests {
		f.Add([]byte(tt.base), []byte(tt.ours), []byte(tt.theirs))
	}
	f.Add([]byte("a\nb\n"), []byte("a\x00\nb"), []byte("\r\n\r\n"))
	f.Fuzz(func(t *testing.T, base, ours, theirs []byte) {
		out, n := Merge(base, ours, theirs, Labels{})
		if got, _ := Merge(base, base, theirs, Labels{}); !bytes.Equal(got, theirs) {
			t.Fatalf("Merge(base, base, theirs) = %q, want %q", got, theirs)
		}
		// The same identities without the shortcuts.
		if got, n := mergeLines(base, base, theirs, Labels{}); n != 0 || !bytes.Equal(got, theirs) {
			t.Fatalf("mergeLines(base, base, theirs) = %q, %d; want %q", got, n, theirs)
		}
		if got, n := mergeLines(base, ours, base, Labels{}); n != 0 || !bytes.Equal(got, ours) {
			t.Fatalf("mergeLines(base, ours, base) = %q, %d; want %q", got, n, ours)
		}
		if got, n := mergeLines(base, ours, ours, Labels{}); n != 0 || !bytes.Equal(got, ours) {
			t.Fatalf("mergeLines(base, ours, ours) = %q, %d; want %q", got, n, ours)
		}
		if !bytes.Contains(base, []byte("<<<<<<<")) && !bytes.Contains(ours, []byte("<<<<<<<")) &&
			!bytes.Contains(theirs, []byte("<<<<<<<")) {
			if m := bytes.Count(out, []byte("<<<<<<< yours")); m != n {
				t.Fatalf("%d conflicts reported, %d blocks in %q", n, m, out)
			}
		}
		// Every line of ours and theirs absent from base is in the result.
		inBase := map[string]bool{}
		for _, l := range splitLines(base) {
			inBase[strings.TrimSuffix(string(l), "\n")] = true
		}
		inOut := map[string]bool{}
		for _, l := range splitLines(out) {
			inOut[strings.TrimSuffix(string(l), "\n")] = true
		}
		for _, side := range [][]byte{ours, theirs} {
			for _, l := range splitLines(side) {
				if s := strings.TrimSuffix(string(l), "\n"); !inBase[s] && !inOut[s] {
					t.Fatalf("line %q lost: result %q", s, out)
				}
			}
		}
		// The file-level and go.mod/go.sum merges never panic either.
		File("f", Present(base), Present(ours), Present(theirs))
		File("go.mod", Present(base), Present(ours), Present(theirs))
		File("go.sum", Version{}, Present(ours), Present(theirs))
	})
}

// BenchmarkMerge merges a 2,000-line file with 40 scattered user edits and
// 40 scattered changes in the new render.
func BenchmarkMerge(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	base := make([]string, 2000)
	for i := range base {
		if i%7 == 0 {
			base[i] = "}"
		} else {
			base[i] = fmt.Sprintf("\tstatement%d()", i)
		}
	}
	ours, theirs := map[int]edit{}, map[int]edit{}
	counter := 0
	for range 40 {
		ours[r.IntN(len(base))] = randomEdit(r, "user", 0, len(base), &counter)
		theirs[r.IntN(len(base))] = randomEdit(r, "omnistack", 0, len(base), &counter)
	}
	bb, o, t := join(base, true), join(apply(base, ours), true), join(apply(base, theirs), true)
	_, n := Merge(bb, o, t, Labels{})
	b.Logf("%d conflicts", n)
	b.SetBytes(int64(len(bb)))
	for b.Loop() {
		Merge(bb, o, t, Labels{})
	}
}
