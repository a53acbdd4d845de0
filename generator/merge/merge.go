// Package merge merges the files of a generated project three ways: base is
// the pristine render the user started from, ours is the user's working
// tree, theirs is the new render. It is pure: it reads and writes no files
// and runs no commands.
//
// Merge is a line-level diff3 that behaves like git merge-file; GoMod and
// GoSum merge go.mod and go.sum by meaning; File decides, per path, what
// happens to one file; Unified renders a diff for --dry-run.
package merge

import (
	"bytes"
	"slices"
)

// Labels name the two sides in conflict markers.
type Labels struct {
	Ours   string // after "<<<<<<< "; "yours" when empty
	Theirs string // after ">>>>>>> "; "omnistack" when empty
}

// DefaultLabels are the labels omnistack writes.
var DefaultLabels = Labels{Ours: "yours", Theirs: "omnistack"}

// chunk kinds, in output order of a merge.
const (
	kindEqual    = iota // all sides equal (or ours and theirs equal inside a refined conflict)
	kindOurs            // only ours changed base
	kindTheirs          // only theirs changed base
	kindBoth            // both changed base the same way
	kindConflict        // both changed base differently
)

// A chunk is a run of lines: ours[o0:o1], theirs[t0:t1] (and base[b0:b1]
// before refinement).
type chunk struct {
	kind           int
	b0, b1, o0, o1 int
	t0, t1         int
}

// Merge merges the changes from base to theirs into ours, line by line,
// like git merge-file: changes to different regions combine, identical
// changes are taken once, and changes that overlap or touch (as in git,
// edits of adjacent lines are a conflict) become conflict blocks
//
//	<<<<<<< yours
//	our lines
//	=======
//	their lines
//	>>>>>>> omnistack
//
// Conflicts are refined and coalesced as git's default ("zealous alnum")
// level does: lines common to both sides at the edges or middle of a
// conflict are moved out of it, and conflicts separated by at most three
// lines, or by lines without letters or digits, are joined. It returns the
// result and the number of conflict blocks in it.
//
// Nothing is lost silently: a line that ours or theirs added or kept is in
// the result, outside or inside a conflict block, unless the other side
// deleted it from base while this side left it as it was.
func Merge(base, ours, theirs []byte, labels Labels) (out []byte, conflicts int) {
	// Fast paths that also guarantee the identities byte for byte.
	switch {
	case bytes.Equal(ours, theirs), bytes.Equal(base, theirs):
		return slices.Clone(ours), 0
	case bytes.Equal(base, ours):
		return slices.Clone(theirs), 0
	}
	return mergeLines(base, ours, theirs, labels)
}

// mergeLines is Merge without its shortcuts (tests check that it satisfies
// the same identities).
func mergeLines(base, ours, theirs []byte, labels Labels) ([]byte, int) {
	bl, ol, tl := splitLines(base), splitLines(ours), splitLines(theirs)
	in := interner{}
	b, o, t := in.ids(bl), in.ids(ol), in.ids(tl)
	chunks := diff3(b, o, t)
	chunks = refine(chunks, o, t)
	chunks = coalesce(chunks, ol)
	return render(chunks, ol, tl, labels)
}

// diff3 splits the three texts into stable chunks (a base run matched in
// both ours and theirs) and unstable chunks between them, the algorithm of
// GNU diff3 as formalised by Khanna, Kuber and Pierce ("A Formal
// Investigation of Diff3", 2007).
func diff3(b, o, t []int) []chunk {
	mo, mt := matchLines(b, o), matchLines(b, t)
	var chunks []chunk
	lo, la, lb := 0, 0, 0
	for lo < len(b) || la < len(o) || lb < len(t) {
		i := 0
		for lo+i < len(b) && mo[lo+i] == la+i && mt[lo+i] == lb+i {
			i++
		}
		if i > 0 {
			chunks = append(chunks, chunk{kind: kindEqual, b0: lo, b1: lo + i, o0: la, o1: la + i, t0: lb, t1: lb + i})
			lo, la, lb = lo+i, la+i, lb+i
			continue
		}
		j := lo
		for j < len(b) && (mo[j] < 0 || mt[j] < 0) {
			j++
		}
		c := chunk{b0: lo, b1: j, o0: la, o1: len(o), t0: lb, t1: len(t)}
		if j < len(b) {
			c.o1, c.t1 = mo[j], mt[j]
		}
		base, ours, theirs := b[c.b0:c.b1], o[c.o0:c.o1], t[c.t0:c.t1]
		switch {
		case slices.Equal(ours, base):
			c.kind = kindTheirs
		case slices.Equal(theirs, base):
			c.kind = kindOurs
		case slices.Equal(ours, theirs):
			c.kind = kindBoth
		default:
			c.kind = kindConflict
		}
		chunks = append(chunks, c)
		lo, la, lb = c.b1, c.o1, c.t1
	}
	return chunks
}

// refine replaces each conflict whose sides are both non-empty by the diff
// of its two sides: common lines become equal chunks, the rest smaller
// conflicts (git's xdl_refine_conflicts).
func refine(chunks []chunk, o, t []int) []chunk {
	var out []chunk
	for _, c := range chunks {
		if c.kind != kindConflict || c.o0 == c.o1 || c.t0 == c.t1 {
			out = append(out, c)
			continue
		}
		m := matchLines(o[c.o0:c.o1], t[c.t0:c.t1])
		i, j := c.o0, c.t0
		flush := func(oi, tj int) { // conflict o[i:oi] vs t[j:tj], if any
			if oi > i || tj > j {
				out = append(out, chunk{kind: kindConflict, b0: c.b0, b1: c.b1, o0: i, o1: oi, t0: j, t1: tj})
			}
		}
		for k, mk := range m {
			if mk < 0 {
				continue
			}
			oi, tj := c.o0+k, c.t0+mk
			flush(oi, tj)
			if n := len(out); n > 0 && out[n-1].kind == kindEqual && out[n-1].o1 == oi && out[n-1].t1 == tj && out[n-1].b0 < 0 {
				out[n-1].o1++
				out[n-1].t1++
			} else {
				out = append(out, chunk{kind: kindEqual, b0: -1, b1: -1, o0: oi, o1: oi + 1, t0: tj, t1: tj + 1})
			}
			i, j = oi+1, tj+1
		}
		flush(c.o1, c.t1)
	}
	return out
}

// coalesce joins two conflicts separated only by equal lines (in ours and
// theirs) when there are
// at most three of them or none contains a letter or digit, so the user
// resolves one block instead of a checkerboard (git's
// xdl_simplify_non_conflicts at the zealous-alnum level).
func coalesce(chunks []chunk, ol [][]byte) []chunk {
	var out []chunk
	for i := 0; i < len(chunks); i++ {
		c := chunks[i]
		if c.kind == kindConflict && len(out) > 0 {
			// Look back over equal chunks to the previous conflict.
			// Identical changes count as equal, as in git, where they
			// are not hunks at all.
			k := len(out) - 1
			gap := 0
			for k >= 0 && (out[k].kind == kindEqual || out[k].kind == kindBoth) {
				gap += out[k].o1 - out[k].o0
				k--
			}
			if k >= 0 && out[k].kind == kindConflict &&
				(gap <= 3 || !hasAlnum(ol[out[k].o1:c.o0])) {
				out[k].o1, out[k].t1 = c.o1, c.t1
				out = out[:k+1]
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

func hasAlnum(lines [][]byte) bool {
	for _, l := range lines {
		for _, r := range l {
			if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
				return true
			}
		}
	}
	return false
}

func render(chunks []chunk, ol, tl [][]byte, labels Labels) ([]byte, int) {
	if labels.Ours == "" {
		labels.Ours = DefaultLabels.Ours
	}
	if labels.Theirs == "" {
		labels.Theirs = DefaultLabels.Theirs
	}
	var buf bytes.Buffer
	conflicts := 0
	for _, c := range chunks {
		switch c.kind {
		case kindEqual, kindOurs, kindBoth:
			writeLines(&buf, ol[c.o0:c.o1], false)
		case kindTheirs:
			writeLines(&buf, tl[c.t0:c.t1], false)
		case kindConflict:
			conflicts++
			eol := "\n"
			if crlf(ol, c.o0) && crlf(tl, c.t0) {
				eol = "\r\n"
			}
			buf.WriteString("<<<<<<< " + labels.Ours + eol)
			writeLines(&buf, ol[c.o0:c.o1], true)
			buf.WriteString("=======" + eol)
			writeLines(&buf, tl[c.t0:c.t1], true)
			buf.WriteString(">>>>>>> " + labels.Theirs + eol)
		}
	}
	return buf.Bytes(), conflicts
}

// writeLines writes lines; inside a conflict (nl) a last line without a
// newline gets one, so the marker after it starts a line.
func writeLines(buf *bytes.Buffer, lines [][]byte, nl bool) {
	for _, l := range lines {
		buf.Write(l)
	}
	if nl && len(lines) > 0 {
		if l := lines[len(lines)-1]; l[len(l)-1] != '\n' {
			buf.WriteByte('\n')
		}
	}
}

// crlf reports whether conflict markers next to line i should end in CRLF:
// the line before i (or the first line) does, like git's is_cr_needed. A
// side with no lines does not vote.
func crlf(lines [][]byte, i int) bool {
	if i > 0 {
		i--
	}
	if i >= len(lines) {
		return len(lines) == 0
	}
	return bytes.HasSuffix(lines[i], []byte("\r\n"))
}
