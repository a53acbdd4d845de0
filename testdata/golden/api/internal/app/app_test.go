package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db/dbtest"
)

// newServer starts the fully wired service on a fresh database.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	// The schema is made once: a lookup per variable would make one each.
	env := map[string]string{"APP_ENV": "test", "DATABASE_URL": dbtest.URL(t)}
	cfg, err := config.Load(func(key string) string { return env[key] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// call sends a request and decodes a JSON response body into a map.
func call(t *testing.T, srv *httptest.Server, method, path, body string) (*http.Response, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if len(bytes.TrimSpace(data)) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(data, &decoded); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, data, err)
		}
	}
	return resp, decoded
}

func TestRoutes(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		method, path, body string
		wantStatus         int
		wantType           string
	}{
		{"GET", "/health/live", "", 200, "application/json"},
		{"GET", "/health/ready", "", 200, "application/json"},
		{"GET", "/openapi.json", "", 200, "application/openapi+json"},
		{"GET", "/docs", "", 200, "text/html"},
		{"GET", "/api/v1/items", "", 200, "application/json"},
		{"GET", "/api/v1/items/999", "", 404, "application/problem+json"},
		{"GET", "/api/v1/items/abc", "", 422, "application/problem+json"},
		{"GET", "/api/v1/items?limit=1000", "", 422, "application/problem+json"},
		{"GET", "/api/v1/items?cursor=zzz", "", 422, "application/problem+json"},
		{"POST", "/api/v1/items", `{"name": ""}`, 422, "application/problem+json"},
		{"POST", "/api/v1/items", `{"description": "no name"}`, 422, "application/problem+json"},
		{"POST", "/api/v1/items", `{"name": `, 400, "application/problem+json"},
		{"GET", "/no/such/route", "", 404, "application/problem+json"},
		{"DELETE", "/health/live", "", 405, "application/problem+json"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := call(t, srv, tt.method, tt.path, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %v)", resp.StatusCode, tt.wantStatus, body)
			}
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, tt.wantType) {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if resp.Header.Get("X-Request-ID") == "" {
				t.Error("no X-Request-ID header")
			}
			if tt.wantType == "application/problem+json" {
				// One shape for the router's errors and the API's.
				for _, field := range []string{"type", "title", "status", "detail", "instance"} {
					if body[field] == nil {
						t.Errorf("problem has no %q: %v", field, body)
					}
				}
				if int(body["status"].(float64)) != tt.wantStatus {
					t.Errorf("problem status = %v, want %d", body["status"], tt.wantStatus)
				}
			}
		})
	}
}

func TestValidationListsFields(t *testing.T) {
	srv := newServer(t)
	_, body := call(t, srv, "POST", "/api/v1/items", `{"name": "", "description": 7}`)
	errs, _ := body["errors"].([]any)
	var locations []string
	for _, e := range errs {
		locations = append(locations, e.(map[string]any)["location"].(string))
	}
	got := strings.Join(locations, ",")
	for _, want := range []string{"body.name", "body.description"} {
		if !strings.Contains(got, want) {
			t.Errorf("error locations %q do not name %s", got, want)
		}
	}
}

func TestItemsCRUD(t *testing.T) {
	srv := newServer(t)

	resp, created := call(t, srv, "POST", "/api/v1/items", `{"name": "pen", "description": "blue"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: status %d, body %v", resp.StatusCode, created)
	}
	id := int(created["id"].(float64))
	path := "/api/v1/items/" + itoa(id)
	if created["name"] != "pen" || created["description"] != "blue" || created["created_at"] == nil {
		t.Errorf("create: body %v", created)
	}

	if loc := resp.Header.Get("Location"); loc != path {
		t.Errorf("create: Location %q, want %q", loc, path)
	}
	if resp, got := call(t, srv, "GET", path, ""); resp.StatusCode != 200 || got["name"] != "pen" {
		t.Errorf("get: status %d, body %v", resp.StatusCode, got)
	}
	if resp, got := call(t, srv, "PATCH", path, `{"name": "pencil"}`); resp.StatusCode != 200 || got["name"] != "pencil" || got["description"] != "blue" {
		t.Errorf("patch: status %d, body %v", resp.StatusCode, got)
	}
	if resp, got := call(t, srv, "GET", "/api/v1/items?limit=10", ""); resp.StatusCode != 200 || len(got["items"].([]any)) != 1 {
		t.Errorf("list: status %d, body %v", resp.StatusCode, got)
	}
	if resp, _ := call(t, srv, "DELETE", path, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete: status %d", resp.StatusCode)
	}
	if resp, got := call(t, srv, "GET", path, ""); resp.StatusCode != 404 || got["detail"] != "item "+itoa(id)+" not found" {
		t.Errorf("get after delete: status %d, body %v", resp.StatusCode, got)
	}
}

// PATCH changes only what the body names: {} changes nothing (not even
// updated_at), null clears the description and is refused for the name.
func TestItemsPatchSemantics(t *testing.T) {
	srv := newServer(t)
	_, created := call(t, srv, "POST", "/api/v1/items", `{"name": "pen", "description": "blue"}`)
	path := "/api/v1/items/" + itoa(int(created["id"].(float64)))

	if resp, got := call(t, srv, "PATCH", path, `{}`); resp.StatusCode != 200 || got["updated_at"] != created["updated_at"] || got["description"] != "blue" {
		t.Errorf("PATCH {}: status %d, body %v; want the item unchanged, updated_at %v", resp.StatusCode, got, created["updated_at"])
	}
	if resp, got := call(t, srv, "PATCH", path, `{"description": null}`); resp.StatusCode != 200 || got["description"] != "" || got["name"] != "pen" {
		t.Errorf(`PATCH {"description": null}: status %d, body %v; want the description cleared`, resp.StatusCode, got)
	}
	resp, got := call(t, srv, "PATCH", path, `{"name": null}`)
	if errs, _ := got["errors"].([]any); resp.StatusCode != 422 || len(errs) != 1 || errs[0].(map[string]any)["location"] != "body.name" {
		t.Errorf(`PATCH {"name": null}: status %d, body %v; want 422 at body.name`, resp.StatusCode, got)
	}
	if _, got := call(t, srv, "GET", path, ""); got["name"] != "pen" {
		t.Errorf("after the refused PATCH: %v; want the name kept", got)
	}
}

// A value too long to store is refused with a short answer: the error
// shows only the start of what was sent.
func TestLongValueGetsShortError(t *testing.T) {
	srv := newServer(t)
	body := `{"name": "pen", "description": "` + strings.Repeat("a", 1000<<10) + `"}`
	resp, got := call(t, srv, "POST", "/api/v1/items", body)
	if resp.StatusCode != 422 || resp.ContentLength > 1024 || resp.ContentLength < 0 {
		t.Fatalf("1 MB description: status %d, %d-byte answer %v; want 422 under 1 KB", resp.StatusCode, resp.ContentLength, got["detail"])
	}
}

// Every request field that holds a secret is marked so in the OpenAPI
// document (format: password or writeOnly), which is what keeps its value
// out of error answers (see internal/api/problems.go).
func TestSecretFieldsAreMarked(t *testing.T) {
	srv := newServer(t)
	resp, err := srv.Client().Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths      map[string]map[string]json.RawMessage
		Components struct{ Schemas map[string]schemaDoc }
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	secretName := regexp.MustCompile(`(?i)password|passphrase|token|secret|api_?key|private_?key|^code$|^state$`)
	check := func(where, name string, s schemaDoc) {
		// A field limited to listed values (enum) cannot carry a secret.
		if secretName.MatchString(name) && !s.WriteOnly && s.Format != "password" && len(s.Enum) == 0 {
			t.Errorf("%s: %q looks secret but is not marked writeOnly or format password", where, name)
		}
	}
	for name, s := range doc.Components.Schemas {
		if strings.HasSuffix(name, "Body") || strings.HasSuffix(name, "Request") {
			for prop, ps := range s.Properties {
				check("schema "+name, prop, ps)
			}
		}
	}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Parameters []struct {
					Name   string
					Schema schemaDoc
				}
			}
			_ = json.Unmarshal(raw, &op)
			for _, p := range op.Parameters {
				check(method+" "+path, p.Name, p.Schema)
			}
		}
	}
}

// schemaDoc is the part of an OpenAPI schema TestSecretFieldsAreMarked reads.
type schemaDoc struct {
	Format     string
	WriteOnly  bool `json:"writeOnly"`
	Enum       []any
	Properties map[string]schemaDoc
}

func TestListPagination(t *testing.T) {
	srv := newServer(t)
	for _, name := range []string{"a", "b", "c"} {
		if resp, body := call(t, srv, "POST", "/api/v1/items", `{"name": "`+name+`"}`); resp.StatusCode != 201 {
			t.Fatalf("create: %d %v", resp.StatusCode, body)
		}
	}
	_, first := call(t, srv, "GET", "/api/v1/items?limit=2", "")
	cursor, _ := first["next_cursor"].(string)
	if len(first["items"].([]any)) != 2 || cursor == "" {
		t.Fatalf("first page: %v", first)
	}
	_, second := call(t, srv, "GET", "/api/v1/items?limit=2&cursor="+cursor, "")
	if len(second["items"].([]any)) != 1 || second["next_cursor"] != nil {
		t.Errorf("second page: %v", second)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
