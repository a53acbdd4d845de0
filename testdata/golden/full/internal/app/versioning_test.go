package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dunglas/httpsfv"
)

// deprecatedV1 are settings that deprecate v1.
var deprecatedV1 = map[string]string{
	"API_V1_DEPRECATED_AT":    "2026-06-30T00:00:00Z",
	"API_V1_SUNSET_AT":        "2027-01-01T00:00:00Z",
	"API_V1_DEPRECATION_LINK": "https://example.com/docs/v1-deprecation",
	"CORS_ALLOWED_ORIGINS":    "https://app.example.com",
}

// fetch sends a request to the server at addr and returns the answer with
// its body read.
func fetch(t *testing.T, addr, method, path, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// Every API answer names its version and the latest; v1's, with the
// deprecation settings, carry Deprecation, Sunset and Link; v2's do not;
// unversioned paths go by Accept-Version; unknown versions are 400.
func TestVersioningWired(t *testing.T) {
	addr := startServer(t, deprecatedV1)
	wantDeprecation := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		method, path, body string
		header             []string
		status             int
		version            string // X-API-Version; "" for none
		deprecated         bool
	}{
		{"GET", "/api/v1/items", "", nil, 200, "v1", true},
		{"GET", "/api/items", "", nil, 200, "v1", true},
		{"POST", "/api/items", `{"name": "pen"}`, nil, 201, "v1", true},
		{"GET", "/api/items", "", []string{"Accept-Version", "1"}, 200, "v1", true},
		{"GET", "/api/v1/no-such-route", "", nil, 404, "v1", true},
		{"GET", "/api/v2/health", "", nil, 200, "v2", false},
		{"GET", "/api/health", "", []string{"Accept-Version", "v2"}, 200, "v2", false},
		{"GET", "/api/health", "", []string{"X-API-Version", "2"}, 200, "v2", false},
		{"GET", "/api/items", "", []string{"Accept-Version", "2"}, 404, "v2", false},
		{"GET", "/api/v9/items", "", nil, 400, "", false},
		{"GET", "/api/items", "", []string{"Accept-Version", "9"}, 400, "", false},
	} {
		t.Run(tc.method+" "+tc.path+" "+strings.Join(tc.header, ": "), func(t *testing.T) {
			resp, body := fetch(t, addr, tc.method, tc.path, tc.body, tc.header...)
			h := resp.Header
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if h.Get("X-API-Version") != tc.version || h.Get("X-API-Latest-Version") != "v2" {
				t.Errorf("X-API-Version %q, X-API-Latest-Version %q; want %q and v2", h.Get("X-API-Version"), h.Get("X-API-Latest-Version"), tc.version)
			}
			if tc.status == 400 && (!strings.Contains(body, "v1, v2") || h.Get("Content-Type") != "application/problem+json") {
				t.Errorf("400 body %s: want a problem listing v1, v2", body)
			}
			if !tc.deprecated {
				for _, key := range []string{"Deprecation", "Sunset", "Link"} {
					if h.Get(key) != "" {
						t.Errorf("%s: %q on an answer that is not v1's", key, h.Get(key))
					}
				}
				return
			}
			item, err := httpsfv.UnmarshalItem(h.Values("Deprecation"))
			if err != nil {
				t.Fatalf("Deprecation %q: %v", h.Get("Deprecation"), err)
			}
			dep, ok := item.Value.(time.Time)
			if !ok || !dep.Equal(wantDeprecation) {
				t.Fatalf("Deprecation %q is %#v, want the date %s", h.Get("Deprecation"), item.Value, wantDeprecation)
			}
			if sunset, err := http.ParseTime(h.Get("Sunset")); err != nil || sunset.Before(dep) || sunset.Year() != 2027 {
				t.Errorf("Sunset %q: %v, %v; want 2027, not before the deprecation", h.Get("Sunset"), sunset, err)
			}
			if got := h.Get("Link"); got != `<https://example.com/docs/v1-deprecation>; rel="deprecation"; type="text/html"` {
				t.Errorf("Link %q", got)
			}
		})
	}
	// Not API answers: the probes and the documents.
	for _, path := range []string{"/health/ready", "/openapi.json", "/v2/openapi.json"} {
		if resp, _ := fetch(t, addr, "GET", path, ""); resp.StatusCode != 200 || resp.Header.Get("X-API-Version") != "" || resp.Header.Get("Deprecation") != "" {
			t.Errorf("%s: %d, headers %v; want 200 without version headers", path, resp.StatusCode, resp.Header)
		}
	}
}

// Browsers on allowed origins may read the version and deprecation
// headers.
func TestVersioningCORS(t *testing.T) {
	addr := startServer(t, deprecatedV1)
	resp, _ := fetch(t, addr, "GET", "/api/v1/items", "", "Origin", "https://app.example.com")
	exposed := strings.ToLower(strings.Join(resp.Header.Values("Access-Control-Expose-Headers"), ","))
	for _, h := range []string{"x-api-version", "x-api-latest-version", "deprecation", "sunset", "link"} {
		if !strings.Contains(exposed, h) {
			t.Errorf("Access-Control-Expose-Headers %q lacks %s", exposed, h)
		}
	}
}

// Without deprecation settings v1 answers carry only the version headers.
func TestVersioningNotDeprecated(t *testing.T) {
	addr := startServer(t, nil)
	resp, _ := fetch(t, addr, "GET", "/api/v1/items", "")
	if resp.Header.Get("X-API-Version") != "v1" || resp.Header.Get("Deprecation") != "" || resp.Header.Get("Sunset") != "" || resp.Header.Get("Link") != "" {
		t.Fatalf("headers %v: want X-API-Version v1 and no deprecation", resp.Header)
	}
}

// Each version has its own document: v1's at /openapi.json, v2's at
// /v2/openapi.json, each naming only its own paths.
func TestVersioningDocuments(t *testing.T) {
	addr := startServer(t, nil)
	for doc, prefix := range map[string]string{"/openapi.json": "/api/v1/", "/v2/openapi.json": "/api/v2/"} {
		resp, body := fetch(t, addr, "GET", doc, "")
		var d struct{ Paths map[string]any }
		if err := json.Unmarshal([]byte(body), &d); err != nil || resp.StatusCode != 200 || len(d.Paths) == 0 {
			t.Fatalf("%s: %d %v", doc, resp.StatusCode, err)
		}
		for p := range d.Paths {
			if !strings.HasPrefix(p, prefix) {
				t.Errorf("%s names %s, outside %s", doc, p, prefix)
			}
		}
	}
	if resp, body := fetch(t, addr, "GET", "/v2/docs", ""); resp.StatusCode != 200 || !strings.Contains(body, "/v2/openapi") {
		t.Errorf("/v2/docs: %d, want the docs of /v2/openapi", resp.StatusCode)
	}
}

// A per-route limit counts the route, whatever path reached it: the
// unversioned alias is no way around it.
func TestVersioningRateLimitThroughAlias(t *testing.T) {
	addr := startServer(t, map[string]string{"RATE_LIMIT_ROUTES": "GET /api/v1/items=2/minute"})
	for i, tc := range []struct {
		path   string
		header []string
		status int
	}{
		{"/api/v1/items", nil, 200},
		{"/api/items", nil, 200},
		{"/api/items", []string{"Accept-Version", "1"}, 429},
	} {
		if resp, _ := fetch(t, addr, "GET", tc.path, "", tc.header...); resp.StatusCode != tc.status {
			t.Fatalf("request %d (%s): %d, want %d", i+1, tc.path, resp.StatusCode, tc.status)
		}
	}
}
