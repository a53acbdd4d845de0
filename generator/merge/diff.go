package merge

import "bytes"

// This file holds the line diff that diff3 is built on: Myers' O(ND)
// algorithm in its linear-space form ("An O(ND) Difference Algorithm and
// Its Variations", 1986, section 4b), on lines interned as ints.

// splitLines splits b into lines that keep their terminator; a final line
// without "\n" is kept as it is, so "x" and "x\n" are different lines, as in
// git. CRLF lines are left alone ("\r" is part of the line).
func splitLines(b []byte) [][]byte {
	lines := make([][]byte, 0, bytes.Count(b, []byte("\n"))+1)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n') + 1 // keep the newline
		if i == 0 {
			i = len(b)
		}
		lines = append(lines, b[:i:i])
		b = b[i:]
	}
	if len(lines) == 0 {
		return nil
	}
	return lines
}

// interner maps distinct lines to small ints so the diff compares ints.
type interner map[string]int

func (in interner) ids(lines [][]byte) []int {
	ids := make([]int, len(lines))
	for i, l := range lines {
		id, ok := in[string(l)]
		if !ok {
			id = len(in)
			in[string(l)] = id
		}
		ids[i] = id
	}
	return ids
}

// matchLines returns, for each element of a, the index of the element of b
// it is matched with in a shortest edit script, or -1. Matches are
// increasing: the matched pairs form a common subsequence of a and b.
func matchLines(a, b []int) []int {
	m := make([]int, len(a))
	for i := range m {
		m[i] = -1
	}
	n := len(a) + len(b) + 2
	d := &differ{a: a, b: b, match: m, vf: make([]int, 2*n+1), vb: make([]int, 2*n+1), off: n}
	d.compare(0, len(a), 0, len(b))
	return m
}

type differ struct {
	a, b   []int
	match  []int
	vf, vb []int // furthest-reaching x per diagonal, indexed k+off
	off    int
}

// compare matches a[aLo:aHi] against b[bLo:bHi].
func (d *differ) compare(aLo, aHi, bLo, bHi int) {
	for {
		for aLo < aHi && bLo < bHi && d.a[aLo] == d.b[bLo] {
			d.match[aLo] = bLo
			aLo++
			bLo++
		}
		for aLo < aHi && bLo < bHi && d.a[aHi-1] == d.b[bHi-1] {
			aHi--
			bHi--
			d.match[aHi] = bHi
		}
		if aLo == aHi || bLo == bHi {
			return // only insertions or only deletions are left
		}
		x, y := d.split(aLo, aHi, bLo, bHi)
		if (x == aLo && y == bLo) || (x == aHi && y == bHi) {
			// Cannot happen (both ends differ, so D >= 2 and the split
			// point is inside); if it did, leave the rest unmatched,
			// which is a valid if not minimal diff, rather than loop.
			return
		}
		// Recurse on the smaller half, iterate on the other.
		if (x-aLo)+(y-bLo) < (aHi-x)+(bHi-y) {
			d.compare(aLo, x, bLo, y)
			aLo, bLo = x, y
		} else {
			d.compare(x, aHi, y, bHi)
			aHi, bHi = x, y
		}
	}
}

// split returns a point (x, y) on a shortest edit path from (aLo, bLo) to
// (aHi, bHi): the end of Myers' middle snake.
func (d *differ) split(aLo, aHi, bLo, bHi int) (int, int) {
	n, m := aHi-aLo, bHi-bLo
	delta := n - m
	odd := delta&1 != 0
	maxD := (n + m + 1) / 2
	vf, vb, off := d.vf, d.vb, d.off
	vf[off+1] = 0 // forward diagonal k stores x relative to aLo
	vb[off-1] = n // backward diagonal c = k-delta stores x relative to aLo
	for D := 0; D <= maxD; D++ {
		for k := -D; k <= D; k += 2 {
			var x int
			if k == -D || (k != D && vf[off+k-1] < vf[off+k+1]) {
				x = vf[off+k+1] // down: insertion
			} else {
				x = vf[off+k-1] + 1 // right: deletion
			}
			y := x - k
			for x < n && y < m && d.a[aLo+x] == d.b[bLo+y] {
				x++
				y++
			}
			vf[off+k] = x
			if c := k - delta; odd && c >= -(D-1) && c <= D-1 && x >= vb[off+c] {
				return aLo + x, bLo + y
			}
		}
		for c := -D; c <= D; c += 2 {
			k := c + delta
			var x int
			if c == D || (c != -D && vb[off+c-1] < vb[off+c+1]) {
				x = vb[off+c-1] // up: insertion, seen backwards
			} else {
				x = vb[off+c+1] - 1 // left: deletion, seen backwards
			}
			y := x - k
			for x > 0 && y > 0 && d.a[aLo+x-1] == d.b[bLo+y-1] {
				x--
				y--
			}
			vb[off+c] = x
			if !odd && k >= -D && k <= D && vf[off+k] >= x {
				return aLo + x, bLo + y
			}
		}
	}
	panic("merge: unreachable: no middle snake")
}
