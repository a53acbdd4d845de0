package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// BenchmarkAdd measures `omnistack add` (plan + three-way merge + apply +
// pristine commit, no network) on the largest project omnistack can
// generate today (the largest pairwise-cover set, bigger than any preset
// until a `full` preset lands) with up to 200 user-edited files. Target:
// under 300 ms.
func BenchmarkAdd(b *testing.B) {
	reg, err := LoadRegistry()
	if err != nil {
		b.Fatal(err)
	}
	// The largest cover set; then drop one feature that nothing requires,
	// to add it back.
	var want []string
	for _, set := range reg.PairwiseCover() {
		if len(set) > len(want) {
			want = set
		}
	}
	var from []string
	add := ""
	for _, x := range want {
		rest, err := reg.Without(want, []string{x})
		if err != nil || reg.Group(reg.Features[x].Group).Required {
			continue
		}
		if resolved, _, err := reg.ResolveFeatures(rest); err == nil && !slices.Contains(resolved, x) {
			from, add = resolved, x
			break
		}
	}
	if add == "" {
		b.Skip("no removable feature in the largest set")
	}
	b.Run(fmt.Sprintf("%d-features+%s", len(from), add), func(b *testing.B) {
		edited := 0
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			dir := filepath.Join(b.TempDir(), fmt.Sprint(i))
			p := newRealProject(b, reg, dir, from)
			pristine, _ := ReadPristine(dir)
			edited = 0
			for _, path := range pristine.Paths() {
				if edited == 200 || path == ManifestName || path == "go.mod" || path == "go.sum" {
					continue
				}
				full := filepath.Join(dir, filepath.FromSlash(path))
				data, _ := os.ReadFile(full)
				os.WriteFile(full, append([]byte("# edited by the owner\n"), data...), 0o644)
				edited++
			}
			b.StartTimer()
			u, err := reg.PlanUpdate(p, want)
			if err != nil {
				b.Fatal(err)
			}
			if err := u.Apply(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(edited), "edited-files")
	})
}
