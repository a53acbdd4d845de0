package generator

import (
	"slices"
	"strings"
	"testing"
)

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"redis", "redis", 0},
		{"ratelimt", "ratelimit", 1},  // deletion
		{"postgress", "postgres", 1},  // insertion
		{"sqlitr", "sqlite", 1},       // substitution
		{"ratelmiit", "ratelimit", 1}, // adjacent swap
		{"supabse", "supabase", 1},
		{"kitten", "sitting", 3},
		{"ca", "abc", 3}, // optimal string alignment, not full Damerau (2)
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	features := []string{"auth-builtin", "auth-clerk", "auth-supabase", "postgres", "ratelimit", "redis", "sqlite", "users"}
	tests := []struct {
		name string
		want []string
	}{
		{"ratelimt", []string{"ratelimit"}},
		{"rate-limit", []string{"ratelimit"}},
		{"ratelmiit", []string{"ratelimit"}},
		{"postgress", []string{"postgres"}},
		{"postgresql", []string{"postgres"}},
		{"Redis", []string{"redis"}},
		{"SQLITE", []string{"sqlite"}},
		{"user", []string{"users"}},
		{"reds", []string{"redis"}},
		{"auth-clrek", []string{"auth-clerk"}},
		{"clerk", []string{"auth-clerk"}},
		{"auth", []string{"auth-builtin", "auth-clerk", "auth-supabase"}},
		{"rate", []string{"ratelimit"}},
		{"post", []string{"postgres"}},
		// Too far to suggest anything.
		{"kubernetes", nil},
		{"mysql", nil},
		{"x", nil},
		{"po", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := Suggest(tt.name, features); !slices.Equal(got, tt.want) {
			t.Errorf("Suggest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	// Short group values.
	if got := Suggest("supabse", []string{"builtin", "clerk", "supabase", "none"}); !slices.Equal(got, []string{"supabase"}) {
		t.Errorf("Suggest(supabse) = %q", got)
	}
}

func TestUnknownMessage(t *testing.T) {
	valid := []string{"postgres", "ratelimit", "redis", "sqlite"}
	tests := []struct {
		kind  string
		names []string
		want  string
	}{
		{"feature", []string{"redis"}, ""},
		{"feature", nil, ""},
		{"feature", []string{"ratelimt"}, `unknown feature "ratelimt": did you mean ratelimit? (valid: postgres, ratelimit, redis, sqlite)`},
		{"feature", []string{"kubernetes"}, `unknown feature "kubernetes" (valid: postgres, ratelimit, redis, sqlite)`},
		{"feature", []string{"redis", "ratelimt", "kubernetes", "ratelimt"}, `unknown features "ratelimt" (did you mean ratelimit?) and "kubernetes" (valid: postgres, ratelimit, redis, sqlite)`},
		{"feature", []string{"a", "postgress", "b"}, `unknown features "a", "postgress" (did you mean postgres?) and "b" (valid: `},
		{"preset", []string{"mini"}, `unknown preset "mini" (valid: `},
		{"--database value", []string{"postgress"}, `unknown --database value "postgress": did you mean postgres? (valid: `},
	}
	for _, tt := range tests {
		err := CheckNames(tt.kind, tt.names, valid)
		if tt.want == "" {
			if err != nil {
				t.Errorf("CheckNames(%q) = %v, want nil", tt.names, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("CheckNames(%q) = %v, want %q", tt.names, err, tt.want)
			continue
		}
		if !IsUsage(err) {
			t.Errorf("CheckNames(%q): not a usage error", tt.names)
		}
	}
}

// TestUnknownEverywhere: every way of naming features reports every
// unknown name with the one message.
func TestUnknownEverywhere(t *testing.T) {
	reg := testRegistry(t)
	want := `unknown features "redsi" (did you mean redis?) and "nope" (valid: ai, auth-a, auth-b, lonely, postgres, redis, sqlite, users)`
	names := []string{"redsi", "sqlite", "nope"}
	_, _, err1 := reg.ResolveFeatures(names)
	_, err2 := reg.Without([]string{"sqlite"}, names)
	_, err3 := reg.WithAdded([]string{"sqlite"}, names)
	_, err4 := reg.Compose([]string{"sqlite"}, names, nil)
	_, err5 := reg.Compose([]string{"sqlite"}, nil, names)
	for i, err := range []error{err1, err2, err3, err4, err5} {
		if err == nil || err.Error() != want {
			t.Errorf("case %d: err = %v, want %q", i+1, err, want)
		}
	}
}

func TestCheckChoosableRefusesLibraries(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	err = reg.CheckChoosable([]string{"ratelimit", "idp"})
	if err == nil || !IsUsage(err) || !strings.Contains(err.Error(), "idp is a library feature: it comes with auth-clerk or auth-supabase") {
		t.Fatalf("CheckChoosable(idp) = %v", err)
	}
	if err := reg.CheckChoosable([]string{"auth-clerk"}); err != nil {
		t.Fatalf("CheckChoosable(auth-clerk) = %v", err)
	}
}
