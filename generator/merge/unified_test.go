package merge

import "testing"

func TestUnified(t *testing.T) {
	a := []byte(L("1", "2", "3", "4", "5", "6", "7", "8", "9"))
	b := []byte(L("1", "2", "3", "4", "five", "6", "7", "8", "9"))
	want := `diff a/x.go b/x.go
--- a/x.go
+++ b/x.go
@@ -2,7 +2,7 @@
 2
 3
 4
-5
+five
 6
 7
 8
`
	if got := Unified("x.go", a, b); got != want {
		t.Errorf("Unified =\n%s\nwant\n%s", got, want)
	}
	if got := Unified("x.go", a, a); got != "" {
		t.Errorf("Unified of equal files = %q, want empty", got)
	}
	if got, want := Unified("n", []byte("a"), []byte("b")), "diff a/n b/n\n--- a/n\n+++ b/n\n@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n"; got != want {
		t.Errorf("Unified without final newline = %q, want %q", got, want)
	}
}
