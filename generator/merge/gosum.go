package merge

import (
	"bytes"
	"cmp"
	"slices"
	"strings"

	"golang.org/x/mod/semver"
)

// GoSum merges go.sum files as sets of lines: the result holds every line of
// theirs and every line the user added to ours (absent from base), sorted
// the way the go command writes go.sum. So lines theirs added are added,
// lines theirs removed are removed unless ours added them, and the user's
// own lines are kept. A base line the user removed but theirs still lists
// comes back: go.sum is a list of checksums, an extra line is harmless
// (go mod tidy drops it) while a missing one breaks the build. When ours
// equals base the result is theirs, byte for byte. Lines that are not
// "module version hash" are kept after the others, in their order.
func GoSum(base, ours, theirs []byte) []byte {
	if bytes.Equal(base, ours) {
		return slices.Clone(theirs)
	}
	inBase := map[string]bool{}
	for _, l := range sumLines(base) {
		inBase[l] = true
	}
	seen := map[string]bool{}
	var lines []string
	add := func(l string) {
		if !seen[l] {
			seen[l] = true
			lines = append(lines, l)
		}
	}
	for _, l := range sumLines(theirs) {
		add(l)
	}
	for _, l := range sumLines(ours) {
		if !inBase[l] {
			add(l)
		}
	}
	slices.SortStableFunc(lines, compareSumLines)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// sumLines returns the non-blank lines of a go.sum, trimmed of space.
func sumLines(b []byte) []string {
	var lines []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// compareSumLines orders go.sum lines like cmd/go's WriteGoSum: by module
// path, then version by semver (module.Sort), the module's zip hash before
// its "/go.mod" hash, then hash. Malformed lines go last, in their order.
func compareSumLines(a, b string) int {
	fa, fb := strings.Fields(a), strings.Fields(b)
	okA, okB := len(fa) == 3, len(fb) == 3
	switch {
	case !okA || !okB:
		return cmp.Compare(boolInt(!okA), boolInt(!okB))
	case fa[0] != fb[0]:
		return strings.Compare(fa[0], fb[0])
	}
	va, fileA, _ := strings.Cut(fa[1], "/")
	vb, fileB, _ := strings.Cut(fb[1], "/")
	if va != vb {
		if c := semver.Compare(va, vb); c != 0 {
			return c
		}
		return strings.Compare(va, vb)
	}
	if fileA != fileB {
		return strings.Compare(fileA, fileB)
	}
	return strings.Compare(fa[2], fb[2])
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
