package ratelimit

import (
	"strings"
	"testing"
	"time"
)

func TestParseSpec(t *testing.T) {
	for in, want := range map[string]Spec{
		"60/minute":      {60, time.Minute},
		"1/second":       {1, time.Second},
		"5000/hour":      {5000, time.Hour},
		"1000000/day":    {1000000, 24 * time.Hour},
		"1000000000/day": {1000000000, 24 * time.Hour},
	} {
		got, err := ParseSpec(in)
		if err != nil || got != want {
			t.Errorf("ParseSpec(%q) = %v, %v; want %v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), in)
		}
	}
}

// Malformed specs are start-up errors that quote the value.
func TestParseSpecErrors(t *testing.T) {
	for _, in := range []string{
		"60/fortnight", "0/minute", "-1/s", "-1/second", "60", "/minute", "60/", "abc/minute",
		"60/Minute", " 60/minute", "1e3/minute", "1.5/second", "1000000001/day", "60/minute/extra", "",
	} {
		_, err := ParseSpec(in)
		if err == nil {
			t.Errorf("ParseSpec(%q) succeeded, want an error", in)
			continue
		}
		if !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseSpec(%q) error %q does not quote the value", in, err)
		}
	}
}

func TestParseRoutes(t *testing.T) {
	got, err := ParseRoutes(" POST /api/v1/items=10/minute , GET /api/v1/items/{id}=300/hour,/metrics-like/=1/second")
	if err != nil {
		t.Fatal(err)
	}
	want := Routes{
		{"POST /api/v1/items", Spec{10, time.Minute}},
		{"GET /api/v1/items/{id}", Spec{300, time.Hour}},
		{"/metrics-like/", Spec{1, time.Second}},
	}
	if len(got) != len(want) {
		t.Fatalf("ParseRoutes = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("route %d = %v, want %v", i, got[i], want[i])
		}
	}
	if r, err := ParseRoutes(""); err != nil || r != nil {
		t.Errorf("ParseRoutes(\"\") = %v, %v", r, err)
	}
	for _, in := range []string{
		"POST /api/v1/items",              // no spec
		"POST /api/v1/items=60/fortnight", // bad spec
		"post /api/v1/items=1/second",     // lower-case method
		"api/v1/items=1/second",           // no leading slash
		"GET  /x=1/second",                // two spaces
		`GET /"x"=1/second`,               // quote
		"GET /x=1/second,GET /x=2/second", // duplicate
		"GET /ü=1/second",                 // non-ASCII
	} {
		if _, err := ParseRoutes(in); err == nil {
			t.Errorf("ParseRoutes(%q) succeeded, want an error", in)
		}
	}
}

// FuzzParseRateSpec checks that ParseSpec never panics and that whatever
// it accepts is a positive limit over a known window that round-trips.
func FuzzParseRateSpec(f *testing.F) {
	for _, s := range []string{"60/minute", "0/minute", "-1/s", "60/fortnight", "+5/day", "007/hour", "", "/", "9999999999999999999/second"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseSpec(s)
		if err != nil {
			return
		}
		if spec.Limit < 1 || spec.Limit > maxLimit {
			t.Fatalf("ParseSpec(%q) accepted limit %d", s, spec.Limit)
		}
		if again, err := ParseSpec(spec.String()); err != nil || again != spec {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}
