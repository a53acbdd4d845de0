package generator

import (
	"fmt"
	"slices"
	"strings"
)

// UnknownError reports names that are not among the valid ones: every
// unknown name, the closest valid name for each when one is close enough,
// and the valid choices. It is the one "unknown feature" (preset, group
// value) message of omnistack.
type UnknownError struct {
	Kind  string   // "feature", "preset", "--database value"
	Names []string // every unknown name, in the order given
	Valid []string
}

func (e *UnknownError) Error() string {
	var b strings.Builder
	b.WriteString("unknown " + e.Kind)
	if len(e.Names) > 1 {
		b.WriteString("s")
	}
	for i, name := range e.Names {
		switch {
		case i == 0:
			b.WriteString(" ")
		case i == len(e.Names)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", name)
		if s := Suggest(name, e.Valid); len(s) > 0 {
			if len(e.Names) == 1 {
				fmt.Fprintf(&b, ": did you mean %s?", orList(s))
			} else {
				fmt.Fprintf(&b, " (did you mean %s?)", orList(s))
			}
		}
	}
	fmt.Fprintf(&b, " (valid: %s)", strings.Join(e.Valid, ", "))
	return b.String()
}

// Unwrap makes an UnknownError a usage error (exit code 2) for IsUsage.
func (e *UnknownError) Unwrap() error { return &UsageError{Msg: e.Error()} }

// CheckNames returns an *UnknownError naming every one of names that is
// not in valid, or nil when all are valid.
func CheckNames(kind string, names, valid []string) error {
	var unknown []string
	for _, n := range names {
		if !slices.Contains(valid, n) && !slices.Contains(unknown, n) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return &UnknownError{Kind: kind, Names: unknown, Valid: valid}
}

// CheckFeatures reports every name that is not a feature of the registry.
func (r *Registry) CheckFeatures(names []string) error {
	return CheckNames("feature", names, r.FeatureNames())
}

// CheckPreset reports a name that is not a preset of the registry.
func (r *Registry) CheckPreset(name string) error {
	return CheckNames("preset", []string{name}, r.PresetNames())
}

// Suggest returns the valid names a mistyped name most likely meant: one
// that differs only in case; else the nearest by edit distance (adjacent
// transpositions count one) when at most a third of the name is wrong;
// else those with a dash-separated part equal to the name ("clerk" for
// auth-clerk) or, from three letters, starting with it ("mini" for
// minimal). Nil when nothing is close.
func Suggest(name string, valid []string) []string {
	if name == "" {
		return nil
	}
	for _, v := range valid {
		if strings.EqualFold(v, name) {
			return []string{v}
		}
	}
	name = strings.ToLower(name)
	limit := max(1, min(3, len(name)/3))
	best, out := limit+1, []string(nil)
	for _, v := range valid {
		switch d := editDistance(name, v); {
		case d < best:
			best, out = d, []string{v}
		case d == best:
			out = append(out, v)
		}
	}
	if out != nil {
		return out
	}
	for _, v := range valid {
		if slices.Contains(strings.Split(v, "-"), name) || len(name) >= 3 && strings.HasPrefix(v, name) {
			out = append(out, v)
		}
	}
	return out
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of two adjacent bytes
// each cost one.
func editDistance(a, b string) int {
	// Three rows: two back (for swaps), previous, current.
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// orList joins names as "a", "a or b", "a, b or c".
func orList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// CheckChoosable is CheckFeatures for names a user typed: a library
// feature (idp) is refused too, with the features it comes with, since it
// is present exactly while one of them is.
func (r *Registry) CheckChoosable(names []string) error {
	if err := r.CheckFeatures(names); err != nil {
		return err
	}
	for _, name := range names {
		if f := r.Features[name]; f != nil && f.Library {
			var by []string
			for _, other := range r.FeatureNames() {
				if slices.Contains(r.Features[other].Requires, name) {
					by = append(by, other)
				}
			}
			return usageErrorf("%s is a library feature: it comes with %s, so choose one of those instead", name, strings.Join(by, " or "))
		}
	}
	return nil
}

// ChoosableNames returns the names of the features a user may choose (all
// but library features), sorted.
func (r *Registry) ChoosableNames() []string {
	return slices.DeleteFunc(r.FeatureNames(), func(n string) bool { return r.Features[n].Library })
}
