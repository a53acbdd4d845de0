package merge

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// lcsLen is the textbook O(nm) longest common subsequence length.
func lcsLen(a, b []int) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(cur[j], prev[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// TestMatchLines checks that the diff is a common subsequence (matched
// lines equal, indexes increasing) and a longest one, against a quadratic
// LCS, on random inputs over small alphabets where ties abound.
func TestMatchLines(t *testing.T) {
	const seed = 7
	r := rand.New(rand.NewPCG(seed, seed))
	for it := range 2000 {
		alpha := 1 + r.IntN(6)
		a := make([]int, r.IntN(30))
		b := make([]int, r.IntN(30))
		for i := range a {
			a[i] = r.IntN(alpha)
		}
		for i := range b {
			b[i] = r.IntN(alpha)
		}
		m := matchLines(a, b)
		n, last := 0, -1
		for i, j := range m {
			if j < 0 {
				continue
			}
			if j <= last || a[i] != b[j] {
				t.Fatalf("seed %d iteration %d: a=%v b=%v: bad match %v", seed, it, a, b, m)
			}
			last = j
			n++
		}
		if want := lcsLen(a, b); n != want {
			t.Fatalf("seed %d iteration %d: a=%v b=%v: matched %d lines, LCS is %d (%v)", seed, it, a, b, n, want, m)
		}
	}
}

func TestSplitLines(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a\n", []string{"a\n"}},
		{"a\r\nb", []string{"a\r\n", "b"}},
		{"\n\n", []string{"\n", "\n"}},
	} {
		var got []string
		for _, l := range splitLines([]byte(tt.in)) {
			got = append(got, string(l))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("splitLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
