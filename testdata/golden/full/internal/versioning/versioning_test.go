package versioning_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dunglas/httpsfv"

	"example.com/myapp/internal/versioning"
)

var (
	deprecated = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	sunset     = time.Date(2027, 1, 1, 12, 30, 0, 0, time.FixedZone("CET", 3600))
	link       = versioning.Link("https://example.com/docs/v1-deprecation")
)

// route runs a request through a router for v1 (deprecated) and v2, and
// returns the answer and the path the handler saw ("" if none ran).
func route(t *testing.T, rt *versioning.Router, path string, header ...string) (*httptest.ResponseRecorder, string) {
	t.Helper()
	var saw string
	h := rt.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw = r.URL.EscapedPath()
		w.Header().Add("Link", `</api/v1/items?cursor=x>; rel="next"`) // a handler's own Link survives
	}))
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w, saw
}

func newRouter(t *testing.T) *versioning.Router {
	t.Helper()
	rt, err := versioning.New(1,
		versioning.Version{Number: 1, Deprecated: deprecated, Sunset: sunset, Link: link},
		versioning.Version{Number: 2},
	)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// The version comes from the path, then Accept-Version, then
// X-API-Version, then the default; an unversioned path reaches the
// chosen version's route.
func TestRouting(t *testing.T) {
	rt := newRouter(t)
	for _, tc := range []struct {
		name, path string
		header     []string
		version    string // X-API-Version of the answer
		saw        string // the path the handler saw
	}{
		{"v1 path", "/api/v1/items", nil, "v1", "/api/v1/items"},
		{"v2 path", "/api/v2/health", nil, "v2", "/api/v2/health"},
		{"path beats header", "/api/v2/items", []string{"Accept-Version", "1"}, "v2", "/api/v2/items"},
		{"unversioned: default", "/api/items", nil, "v1", "/api/v1/items"},
		{"Accept-Version 2", "/api/items/7", []string{"Accept-Version", "2"}, "v2", "/api/v2/items/7"},
		{"Accept-Version v2", "/api/items", []string{"Accept-Version", "v2"}, "v2", "/api/v2/items"},
		{"X-API-Version V2", "/api/items", []string{"X-API-Version", "V2"}, "v2", "/api/v2/items"},
		{"Accept-Version beats X-API-Version", "/api/items", []string{"Accept-Version", "1", "X-API-Version", "2"}, "v1", "/api/v1/items"},
		{"escaped path kept", "/api/items/a%2Fb", []string{"Accept-Version", "2"}, "v2", "/api/v2/items/a%2Fb"},
		{"bare /api", "/api", nil, "v1", "/api/v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, saw := route(t, rt, tc.path, tc.header...)
			if saw != tc.saw {
				t.Errorf("handler saw %q, want %q", saw, tc.saw)
			}
			if got := w.Header().Get(versioning.VersionHeader); got != tc.version {
				t.Errorf("X-API-Version = %q, want %q", got, tc.version)
			}
			if got := w.Header().Get(versioning.LatestHeader); got != "v2" {
				t.Errorf("X-API-Latest-Version = %q, want v2", got)
			}
			unversioned := !strings.HasPrefix(tc.path, "/api/v")
			if vary := strings.Join(w.Header().Values("Vary"), ","); unversioned != strings.Contains(vary, "Accept-Version") {
				t.Errorf("Vary = %q; an unversioned answer varies on Accept-Version, a versioned one does not", vary)
			}
		})
	}
}

// Paths outside the API pass untouched and unlabelled.
func TestOtherPathsUntouched(t *testing.T) {
	rt := newRouter(t)
	for _, path := range []string{"/health/ready", "/openapi.json", "/v2/docs", "/apis/x"} {
		w, saw := route(t, rt, path, "Accept-Version", "9")
		if saw != path || w.Header().Get(versioning.VersionHeader) != "" || w.Header().Get("Deprecation") != "" {
			t.Errorf("%s: handler saw %q, headers %v; want it untouched", path, saw, w.Header())
		}
	}
}

// An unknown version, in the path or a header, is a 400 problem that
// lists the supported versions, and reaches no handler.
func TestUnknownVersion(t *testing.T) {
	rt := newRouter(t)
	for _, tc := range []struct {
		path     string
		header   []string
		location string
	}{
		{"/api/v3/items", nil, "path"},
		{"/api/v01/items", nil, "path"},
		{"/api/items", []string{"Accept-Version", "3"}, "header.Accept-Version"},
		{"/api/items", []string{"Accept-Version", "latest"}, "header.Accept-Version"},
		{"/api/items", []string{"X-API-Version", "2.0"}, "header.X-API-Version"},
	} {
		t.Run(tc.path+" "+strings.Join(tc.header, ": "), func(t *testing.T) {
			w, saw := route(t, rt, tc.path, tc.header...)
			if w.Code != http.StatusBadRequest || saw != "" {
				t.Fatalf("status %d, handler saw %q; want 400 and no handler", w.Code, saw)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			var p struct {
				Status int
				Detail string
				Errors []struct{ Location string }
			}
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Status != 400 || !strings.Contains(p.Detail, "v1, v2") || len(p.Errors) != 1 || p.Errors[0].Location != tc.location {
				t.Errorf("problem %s: want status 400, the supported versions and location %s", w.Body, tc.location)
			}
			if w.Header().Get("Deprecation") != "" || w.Header().Get(versioning.LatestHeader) != "v2" {
				t.Errorf("headers %v: want X-API-Latest-Version and no deprecation", w.Header())
			}
		})
	}
}

// A deprecated version's answers carry Deprecation as an RFC 9651 Date,
// Sunset as an HTTP date not before it, and the deprecation Link; the
// other version's carry none of them.
func TestDeprecationHeaders(t *testing.T) {
	rt := newRouter(t)
	for _, path := range []string{"/api/v1/items", "/api/items"} {
		w, _ := route(t, rt, path)
		h := w.Header()
		dep := h.Get("Deprecation")
		if !regexp.MustCompile(`^@-?[0-9]{1,15}$`).MatchString(dep) {
			t.Fatalf("%s: Deprecation %q is not an RFC 9745 Date", path, dep)
		}
		item, err := httpsfv.UnmarshalItem(h.Values("Deprecation"))
		if err != nil {
			t.Fatalf("%s: Deprecation %q: %v", path, dep, err)
		}
		at, ok := item.Value.(time.Time)
		if !ok || !at.Equal(deprecated) || len(item.Params.Names()) != 0 {
			t.Fatalf("%s: Deprecation parses as %#v, want the date %s", path, item.Value, deprecated)
		}
		sun, err := http.ParseTime(h.Get("Sunset"))
		if err != nil || !sun.Equal(sunset) || sun.Before(at) {
			t.Fatalf("%s: Sunset %q parses as %v (%v), want %s, not before the deprecation", path, h.Get("Sunset"), sun, err, sunset)
		}
		if !strings.HasSuffix(h.Get("Sunset"), " GMT") {
			t.Errorf("%s: Sunset %q is not an IMF-fixdate", path, h.Get("Sunset"))
		}
		links := h.Values("Link")
		want := `<https://example.com/docs/v1-deprecation>; rel="deprecation"; type="text/html"`
		if len(links) != 2 || links[0] != want {
			t.Errorf("%s: Link %q, want %q and the handler's own", path, links, want)
		}
	}
	w, _ := route(t, rt, "/api/v2/items")
	for _, key := range []string{"Deprecation", "Sunset"} {
		if v := w.Header().Get(key); v != "" {
			t.Errorf("v2 answer has %s: %q", key, v)
		}
	}
	if links := w.Header().Values("Link"); len(links) != 1 || strings.Contains(links[0], "deprecation") {
		t.Errorf("v2 answer has Link %q; want only the handler's", links)
	}
}

// Without deprecation settings a version answers with its version headers
// only.
func TestNotDeprecated(t *testing.T) {
	rt, err := versioning.New(1, versioning.Version{Number: 1}, versioning.Version{Number: 2})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := route(t, rt, "/api/v1/items")
	if w.Header().Get("Deprecation") != "" || w.Header().Get("Sunset") != "" || len(w.Header().Values("Link")) != 1 {
		t.Fatalf("headers %v: want no deprecation", w.Header())
	}
}

// New refuses settings that would make contradictory or broken headers.
func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		versions []versioning.Version
		def      int
		want     string
	}{
		{"sunset before deprecation", []versioning.Version{{Number: 1, Deprecated: deprecated, Sunset: deprecated.Add(-time.Second)}}, 1, "earlier than deprecation"},
		{"link without deprecation", []versioning.Version{{Number: 1, Link: link}}, 1, "needs a deprecation time"},
		{"link not http", []versioning.Version{{Number: 1, Deprecated: deprecated, Link: "javascript:alert(1)"}}, 1, "not an absolute http(s) URL"},
		{"link breaking the header", []versioning.Version{{Number: 1, Deprecated: deprecated, Link: "https://example.com/>; rel=evil"}}, 1, "not an absolute http(s) URL"},
		{"twice", []versioning.Version{{Number: 1}, {Number: 1}}, 1, "listed twice"},
		{"zero", []versioning.Version{{Number: 0}}, 0, "not positive"},
		{"unknown default", []versioning.Version{{Number: 1}}, 2, "default version v2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := versioning.New(tc.def, tc.versions...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// Link accepts absolute http(s) URLs only.
func TestLinkUnmarshalText(t *testing.T) {
	for value, ok := range map[string]bool{
		"https://example.com/docs/v1":    true,
		"http://localhost:8080/v1?x=1":   true,
		"/docs/v1":                       false,
		"ftp://example.com/v1":           false,
		"https://user:pw@example.com/v1": false,
		"https://example.com/a b":        false,
		`https://example.com/"`:          false,
	} {
		var l versioning.Link
		if err := l.UnmarshalText([]byte(value)); (err == nil) != ok {
			t.Errorf("UnmarshalText(%q) error = %v, want ok = %v", value, err, ok)
		}
	}
}

// Any deprecation time round-trips through the header as the same whole
// second, and the header is always a valid RFC 9651 Date.
func FuzzDeprecationHeader(f *testing.F) {
	for _, s := range []int64{0, 1688169599, -1, 253402300799, deprecated.Unix()} {
		f.Add(s, int64(0))
	}
	f.Add(int64(1688169599), int64(999_999_999))
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		// RFC 9651 integers have at most 15 digits; RFC 3339 years 0000-9999.
		if sec < -62135596800 || sec > 253402300799 || nsec < 0 || nsec > 999_999_999 {
			return
		}
		at := time.Unix(sec, nsec)
		rt, err := versioning.New(1, versioning.Version{Number: 1, Deprecated: at})
		if err != nil {
			t.Fatal(err)
		}
		w, _ := route(t, rt, "/api/v1/x")
		item, err := httpsfv.UnmarshalItem(w.Header().Values("Deprecation"))
		if err != nil {
			t.Fatalf("Deprecation %q: %v", w.Header().Get("Deprecation"), err)
		}
		if got, ok := item.Value.(time.Time); !ok || got.Unix() != sec {
			t.Fatalf("Deprecation %q parses as %v, want %d", w.Header().Get("Deprecation"), item.Value, sec)
		}
	})
}
