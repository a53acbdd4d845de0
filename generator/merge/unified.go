package merge

import "github.com/rogpeppe/go-internal/diff"

// Unified returns the unified diff from a to b of the file at path, with
// three lines of context, headed "diff a/path b/path", "--- a/path",
// "+++ b/path", or "" when a and b are equal. A missing final newline is
// marked "\ No newline at end of file". A created or deleted file is a
// diff from or to empty content.
func Unified(path string, a, b []byte) string {
	return string(diff.Diff("a/"+path, a, "b/"+path, b))
}
