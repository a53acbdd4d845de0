package generator

import (
	"slices"
	"strings"
	"testing"
)

func TestPairwiseCover(t *testing.T) {
	for _, tc := range []struct {
		name string
		reg  func(testing.TB) *Registry
	}{{"test registry", testRegistry}, {"real registry", func(t testing.TB) *Registry {
		reg, err := LoadRegistry()
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}}} {
		t.Run(tc.name, func(t *testing.T) {
			reg := tc.reg(t)
			sets := reg.PairwiseCover()
			for _, s := range sets {
				got, _, err := reg.ResolveFeatures(s)
				if err != nil {
					t.Errorf("cover set %v is not valid: %v", s, err)
				}
				if !slices.Equal(got, s) {
					t.Errorf("cover set %v is not resolved (resolves to %v)", s, got)
				}
			}
			names := reg.ChoosableNames()
			for i, a := range names {
				for _, b := range names[i+1:] {
					if _, _, err := reg.ResolveFeatures([]string{a, b}); err != nil {
						continue
					}
					found := false
					for _, s := range sets {
						if slices.Contains(s, a) && slices.Contains(s, b) {
							found = true
						}
					}
					if !found {
						t.Errorf("compatible pair %s+%s is in no cover set", a, b)
					}
				}
			}
			for _, n := range names {
				found := false
				for _, s := range sets {
					found = found || slices.Contains(s, n)
				}
				if !found {
					t.Errorf("feature %s is in no cover set", n)
				}
			}
			var lines []string
			for _, s := range sets {
				lines = append(lines, strings.Join(s, ","))
			}
			t.Logf("%d sets: %s", len(sets), strings.Join(lines, " | "))
		})
	}
}
