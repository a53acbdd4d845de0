package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// BenchmarkAdd measures `omnistack add` (plan + three-way merge + apply +
// pristine commit, no network) on the largest preset with up to 200
// user-edited files. Target: under 300 ms.
func BenchmarkAdd(b *testing.B) {
	reg, err := LoadRegistry()
	if err != nil {
		b.Fatal(err)
	}
	names := reg.PresetNames()
	preset := names[len(names)-1] // presets are sorted by size
	from := reg.Presets[preset].Features
	var add string
	for _, x := range reg.FeatureNames() {
		if want, err := reg.WithAdded(from, []string{x}); err == nil && !slices.Contains(from, x) && len(want) > len(from)-1 {
			add = x
			break
		}
	}
	if add == "" {
		b.Skip("no feature can be added to preset " + preset)
	}
	want, _ := reg.WithAdded(from, []string{add})
	b.Run(fmt.Sprintf("%s+%s", preset, add), func(b *testing.B) {
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
