package v2_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"strconv"

	"example.com/myapp/internal/api"
	v2 "example.com/myapp/internal/api/v2"
	"example.com/myapp/internal/health"
	"example.com/myapp/internal/httpx"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/users"
)

// newV2 serves v2 alone, with request ids as the service's chain gives
// them.
func newV2(t *testing.T, d v2.Deps) http.Handler {
	t.Helper()
	mux := http.NewServeMux()
	v2.Register(api.NewAt(mux, "/v2", "test", v2.Version), d)
	return httpx.RequestID(mux)
}

func get(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// envelope is the shape every v2 success answer must have.
type envelope[T any] struct {
	Data *T
	Meta *struct {
		RequestID string `json:"request_id"`
		Timestamp time.Time
		Version   string
		Page      *struct {
			NextCursor string `json:"next_cursor"`
			Total      *int64
		}
	}
}

// open decodes w as an envelope and checks its metadata.
func open[T any](t *testing.T, w *httptest.ResponseRecorder) envelope[T] {
	t.Helper()
	var e envelope[T]
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("body %s: %v", w.Body, err)
	}
	if e.Data == nil || e.Meta == nil {
		t.Fatalf("body %s: want data and meta", w.Body)
	}
	if e.Meta.Version != "v2" || e.Meta.RequestID == "" || e.Meta.RequestID != w.Header().Get(httpx.RequestIDHeader) {
		t.Errorf("meta %+v: want version v2 and the request id of X-Request-ID %q", *e.Meta, w.Header().Get(httpx.RequestIDHeader))
	}
	if d := time.Since(e.Meta.Timestamp); d < 0 || d > time.Minute || e.Meta.Timestamp.Location() != time.UTC {
		t.Errorf("meta timestamp %v: want now, in UTC", e.Meta.Timestamp)
	}
	return e
}

type healthData struct {
	Status        string
	StartedAt     time.Time `json:"started_at"`
	UptimeSeconds float64   `json:"uptime_seconds"`
	Dependencies  []struct {
		Name      string
		Status    string
		Optional  bool
		LatencyMS float64 `json:"latency_ms"`
	}
}

// Health reports uptime and each dependency's state and latency; a
// required dependency down makes it 503, an optional one only degraded.
// Checks added after Register count.
func TestHealth(t *testing.T) {
	started := time.Now().Add(-time.Hour)
	slow := health.Check{Name: "database", Ping: func(context.Context) error { time.Sleep(5 * time.Millisecond); return nil }}
	checks := []health.Check{slow}
	h := newV2(t, v2.Deps{Checks: func() []health.Check { return checks }, Started: started})
	checks = append(checks, health.Check{Name: "redis", Optional: true, Ping: func(context.Context) error { return errors.New("refused 10.0.0.7:6379") }})

	w := get(t, h, "/api/v2/health")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	e := open[healthData](t, w)
	if d := e.Data; d.Status != "degraded" || d.UptimeSeconds < 3600 || !d.StartedAt.Equal(started) || len(d.Dependencies) != 2 {
		t.Fatalf("health %+v: want degraded, uptime >= 1h, started_at, 2 dependencies", d)
	}
	if db := e.Data.Dependencies[0]; db.Name != "database" || db.Status != "ok" || db.Optional || db.LatencyMS < 5 {
		t.Errorf("database %+v: want ok, required, latency >= 5 ms", db)
	}
	if r := e.Data.Dependencies[1]; r.Name != "redis" || r.Status != "degraded" || !r.Optional {
		t.Errorf("redis %+v: want degraded, optional", r)
	}
	if strings.Contains(w.Body.String(), "10.0.0.7") {
		t.Error("a failure's cause is shown")
	}

	checks = append(checks, health.Check{Name: "queue", Ping: func(context.Context) error { return errors.New("down") }})
	w = get(t, h, "/api/v2/health")
	if e := open[healthData](t, w); w.Code != http.StatusServiceUnavailable || e.Data.Status != "unavailable" {
		t.Fatalf("required check down: %d %s, want 503 unavailable", w.Code, w.Body)
	}
}

// v2 has a document of its own, naming only v2 operations, and docs
// that read it.
func TestDocument(t *testing.T) {
	h := newV2(t, v2.Deps{Checks: func() []health.Check { return nil }, Started: time.Now()})
	w := get(t, h, "/v2/openapi.json")
	var doc struct {
		OpenAPI string
		Info    struct{ Version string }
		Paths   map[string]any
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != http.StatusOK {
		t.Fatalf("/v2/openapi.json: %d %v", w.Code, err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") || doc.Info.Version != v2.Version || doc.Paths["/api/v2/health"] == nil {
		t.Fatalf("document: openapi %q, version %q, paths %v", doc.OpenAPI, doc.Info.Version, doc.Paths)
	}
	for p := range doc.Paths {
		if !strings.HasPrefix(p, v2.Prefix+"/") {
			t.Errorf("path %s is not under %s", p, v2.Prefix)
		}
	}
	if w := get(t, h, "/v2/docs"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "/v2/openapi") {
		t.Errorf("/v2/docs: %d, want a page reading /v2/openapi", w.Code)
	}
}

// tokens authenticates "t-<email>" tokens as the user with that email.
type tokens map[string]users.User

func (tk tokens) Authenticate(_ context.Context, token string) (users.User, error) {
	if u, ok := tk[token]; ok {
		return u, nil
	}
	return users.User{}, apperr.Errorf(apperr.Unauthorized, "unknown token")
}

type userData struct {
	ID              int64
	Email           string
	Role            string
	EmailVerifiedAt *time.Time `json:"email_verified_at"`
}

// v2's users endpoints follow v1's rules on the same store: a token is
// needed, users see themselves, admins list everyone.
func TestUsers(t *testing.T) {
	store := users.NewSQLStore(dbtest.Open(t))
	tk := tokens{}
	for _, n := range []users.New{
		{Email: "ada@example.com", Role: users.RoleUser},
		{Email: "bob@example.com", Role: users.RoleUser},
		{Email: "root@example.com", Role: users.RoleAdmin},
	} {
		u, err := store.Create(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		tk["t-"+u.Email] = u
	}
	ada, bob := tk["t-ada@example.com"], tk["t-bob@example.com"]
	h := newV2(t, v2.Deps{Checks: func() []health.Check { return nil }, Started: time.Now(), Users: store, Authenticator: tk})
	as := func(token string) []string { return []string{"Authorization", "Bearer " + token} }

	for _, path := range []string{"/api/v2/users/me", "/api/v2/users", "/api/v2/users/1"} {
		for _, header := range [][]string{nil, as("forged")} {
			if w := get(t, h, path, header...); w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("%s with %v: %d, want 401 with WWW-Authenticate", path, header, w.Code)
			}
		}
	}

	w := get(t, h, "/api/v2/users/me", as("t-ada@example.com")...)
	if me := open[userData](t, w); w.Code != http.StatusOK || me.Data.ID != ada.ID || me.Data.Email != ada.Email || me.Data.EmailVerifiedAt != nil {
		t.Fatalf("me: %d %s", w.Code, w.Body)
	}
	if w := get(t, h, "/api/v2/users/"+itoa(bob.ID), as("t-ada@example.com")...); w.Code != http.StatusNotFound {
		t.Errorf("ada reads bob: %d, want 404", w.Code)
	}
	if w := get(t, h, "/api/v2/users", as("t-ada@example.com")...); w.Code != http.StatusForbidden {
		t.Errorf("ada lists users: %d, want 403", w.Code)
	}
	w = get(t, h, "/api/v2/users/"+itoa(bob.ID), as("t-root@example.com")...)
	if got := open[userData](t, w); w.Code != http.StatusOK || got.Data.Email != bob.Email {
		t.Errorf("admin reads bob: %d %s", w.Code, w.Body)
	}

	w = get(t, h, "/api/v2/users?limit=2&include_total=true", as("t-root@example.com")...)
	page := open[[]userData](t, w)
	if w.Code != http.StatusOK || len(*page.Data) != 2 || page.Meta.Page == nil || page.Meta.Page.NextCursor == "" ||
		page.Meta.Page.Total == nil || *page.Meta.Page.Total != 3 {
		t.Fatalf("list page 1: %d %s; want 2 users, a next cursor and total 3", w.Code, w.Body)
	}
	w = get(t, h, "/api/v2/users?limit=2&cursor="+page.Meta.Page.NextCursor, as("t-root@example.com")...)
	if last := open[[]userData](t, w); w.Code != http.StatusOK || len(*last.Data) != 1 || last.Meta.Page.NextCursor != "" {
		t.Fatalf("list page 2: %d %s; want the last user and no cursor", w.Code, w.Body)
	}
	if w := get(t, h, "/api/v2/users?limit=1000", as("t-root@example.com")...); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), "query.limit") {
		t.Errorf("limit=1000: %d %s, want 422 naming query.limit", w.Code, w.Body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
