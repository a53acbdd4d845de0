package generator

import "slices"

// PairwiseCover returns a small list of valid feature sets in which every
// compatible pair of features appears together at least once. Features are
// taken from the registry, so new features are covered automatically.
// Library features are covered through the features that require them.
// Exclusive groups, conflicts and requirements are respected: each set is
// the resolved form of what was chosen. The result is deterministic.
func (r *Registry) PairwiseCover() [][]string { return r.PairwiseCoverAfter(nil) }

// PairwiseCoverAfter is PairwiseCover for a caller that tests the given
// sets anyway (the presets, say): the pairs and single features they hold
// count as covered, so it returns only the sets needed for the rest, and
// none when the given sets cover every pair. The given sets are not
// returned.
func (r *Registry) PairwiseCoverAfter(given [][]string) [][]string {
	// Library features come with the features that require them.
	names := r.ChoosableNames()
	type pair struct{ a, b string }
	uncovered := map[pair]bool{}
	for i, a := range names {
		for _, b := range names[i+1:] {
			if _, _, err := r.ResolveFeatures([]string{a, b}); err == nil {
				uncovered[pair{a, b}] = true
			}
		}
	}
	// Single features that pair with nothing still deserve one set.
	alone := map[string]bool{}
	for _, n := range names {
		alone[n] = true
	}
	markCovered := func(set []string) {
		for _, n := range set {
			delete(alone, n)
		}
		for i, a := range set {
			for _, b := range set[i+1:] {
				delete(uncovered, pair{a, b})
			}
		}
	}
	for _, set := range given {
		markCovered(set)
	}
	var out [][]string
	for len(uncovered) > 0 {
		// Seed with the first uncovered pair in sorted order.
		var seed pair
		for i, a := range names {
			found := false
			for _, b := range names[i+1:] {
				if uncovered[pair{a, b}] {
					seed, found = pair{a, b}, true
					break
				}
			}
			if found {
				break
			}
		}
		chosen := []string{seed.a, seed.b}
		current, _, _ := r.ResolveFeatures(chosen)
		for {
			best, bestGain := "", 0
			var bestSet []string
			for _, n := range names {
				if slices.Contains(current, n) {
					continue
				}
				set, _, err := r.ResolveFeatures(append(append([]string{}, chosen...), n))
				if err != nil {
					continue
				}
				gain := 0
				for i, a := range set {
					for _, b := range set[i+1:] {
						if uncovered[pair{a, b}] && !(slices.Contains(current, a) && slices.Contains(current, b)) {
							gain++
						}
					}
				}
				if gain > bestGain {
					best, bestGain, bestSet = n, gain, set
				}
			}
			if best == "" {
				break
			}
			chosen = append(chosen, best)
			current = bestSet
		}
		markCovered(current)
		out = append(out, current)
	}
	for _, n := range names {
		if alone[n] {
			set, _, err := r.ResolveFeatures([]string{n})
			if err == nil {
				out = append(out, set)
				markCovered(set)
			}
		}
	}
	return out
}
