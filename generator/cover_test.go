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
			checkCover(t, reg, sets, sets)
			var lines []string
			for _, s := range sets {
				lines = append(lines, strings.Join(s, ","))
			}
			t.Logf("%d sets: %s", len(sets), strings.Join(lines, " | "))
		})
	}
}

// checkCover fails t unless every set in sets is valid and resolved, and
// every compatible pair and every choosable feature is in one of all.
func checkCover(t *testing.T, reg *Registry, sets, all [][]string) {
	t.Helper()
	for _, s := range sets {
		got, _, err := reg.ResolveFeatures(s)
		if err != nil {
			t.Errorf("cover set %v is not valid: %v", s, err)
		}
		if !slices.Equal(got, s) {
			t.Errorf("cover set %v is not resolved (resolves to %v)", s, got)
		}
	}
	in := func(names ...string) bool {
		for _, s := range all {
			if !slices.ContainsFunc(names, func(n string) bool { return !slices.Contains(s, n) }) {
				return true
			}
		}
		return false
	}
	names := reg.ChoosableNames()
	for i, a := range names {
		if !in(a) {
			t.Errorf("feature %s is in no cover set", a)
		}
		for _, b := range names[i+1:] {
			if _, _, err := reg.ResolveFeatures([]string{a, b}); err == nil && !in(a, b) {
				t.Errorf("compatible pair %s+%s is in no cover set", a, b)
			}
		}
	}
}

// TestPairwiseCoverAfter: with the presets given (as e2e tests them), the
// cover adds only what they miss, and nothing when they already cover all.
func TestPairwiseCoverAfter(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	var given [][]string
	for _, name := range reg.PresetNames() {
		set, _, err := reg.ResolveFeatures(reg.Presets[name].Features)
		if err != nil {
			t.Fatal(err)
		}
		given = append(given, set)
	}
	plain := reg.PairwiseCover()
	after := reg.PairwiseCoverAfter(given)
	checkCover(t, reg, after, append(slices.Clone(given), after...))
	if len(after) >= len(plain) {
		t.Errorf("with the %d presets given, the cover has %d sets, as many as without them (%d)", len(given), len(after), len(plain))
	}
	for _, s := range after {
		for _, g := range given {
			if slices.Equal(s, g) {
				t.Errorf("the cover repeats the given set %v", g)
			}
		}
	}
	if again := reg.PairwiseCoverAfter(plain); len(again) != 0 {
		t.Errorf("given a complete cover, PairwiseCoverAfter returns %v, want nothing", again)
	}
}
