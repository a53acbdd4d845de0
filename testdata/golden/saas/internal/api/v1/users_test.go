package v1_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/users"
)

// tokenAuth accepts "uid:<id>" tokens, so these tests need no auth feature.
type tokenAuth struct{ store users.Store }

func (a tokenAuth) Authenticate(ctx context.Context, token string) (users.User, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(token, "uid:"), 10, 64)
	if err != nil {
		return users.User{}, apperr.Errorf(apperr.Unauthorized, "bad token")
	}
	u, err := a.store.Get(ctx, id)
	if err != nil {
		return users.User{}, apperr.Errorf(apperr.Unauthorized, "bad token")
	}
	return u, nil
}

type usersAPI struct {
	t     *testing.T
	h     http.Handler
	store *users.SQLStore
}

func newUsersAPI(t *testing.T) *usersAPI {
	t.Helper()
	db := dbtest.Open(t)
	store := users.NewSQLStore(db)
	mux := http.NewServeMux()
	a := api.New(mux, "test", "1.0.0")
	v1.Register(a, v1.Deps{Items: items.NewSQLStore(db), Users: store, Authenticator: tokenAuth{store}})
	return &usersAPI{t: t, h: mux, store: store}
}

func (a *usersAPI) user(email string, role users.Role) users.User {
	a.t.Helper()
	u, err := a.store.Create(context.Background(), users.New{Email: email, Role: role})
	if err != nil {
		a.t.Fatal(err)
	}
	return u
}

// do sends a request as the user with id as (0: anonymous).
func (a *usersAPI) do(as int64, method, path, body string, header ...string) *httptest.ResponseRecorder {
	a.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if as != 0 {
		r.Header.Set("Authorization", "Bearer uid:"+strconv.FormatInt(as, 10))
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, r)
	return w
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", w.Body, err)
	}
	return v
}

func TestUsersAccess(t *testing.T) {
	a := newUsersAPI(t)
	u1 := a.user("u1@example.com", users.RoleUser)
	u2 := a.user("u2@example.com", users.RoleUser)
	adm := a.user("admin@example.com", users.RoleAdmin)
	sup := a.user("root@example.com", users.RoleSuperadmin)
	id := func(u users.User) string { return "/api/v1/users/" + strconv.FormatInt(u.ID, 10) }
	tests := []struct {
		name   string
		as     int64
		method string
		path   string
		body   string
		ifM    string
		want   int
	}{
		{"anonymous list", 0, "GET", "/api/v1/users", "", "", 401},
		{"anonymous me", 0, "GET", "/api/v1/auth/me", "", "", 401},
		{"user list", u1.ID, "GET", "/api/v1/users", "", "", 403},
		{"admin list", adm.ID, "GET", "/api/v1/users", "", "", 200},
		{"me", u1.ID, "GET", "/api/v1/auth/me", "", "", 200},
		{"user reads self", u1.ID, "GET", id(u1), "", "", 200},
		{"user reads other: 404, not 403", u1.ID, "GET", id(u2), "", "", 404},
		{"user edits other", u1.ID, "PATCH", id(u2), `{"name":"x"}`, `"1"`, 404},
		{"user edits self", u1.ID, "PATCH", id(u1), `{"name":"me"}`, `"1"`, 200},
		{"user promotes self", u1.ID, "PATCH", id(u1), `{"role":"admin"}`, `"2"`, 403},
		{"admin edits user", adm.ID, "PATCH", id(u2), `{"name":"by admin"}`, `"1"`, 200},
		{"admin edits superadmin", adm.ID, "PATCH", id(sup), `{"name":"x"}`, `"1"`, 403},
		{"admin makes admin", adm.ID, "PATCH", id(u2), `{"role":"admin"}`, `"2"`, 403},
		{"superadmin makes admin", sup.ID, "PATCH", id(u2), `{"role":"admin"}`, `"2"`, 200},
		{"admin deletes admin", adm.ID, "DELETE", id(u2), "", `"3"`, 403},
		{"superadmin deletes admin", sup.ID, "DELETE", id(u2), "", `"3"`, 204},
		{"deleted is gone", sup.ID, "GET", id(u2), "", "", 404},
	}
	for _, tt := range tests {
		var hdr []string
		if tt.ifM != "" {
			hdr = []string{"If-Match", tt.ifM}
		}
		w := a.do(tt.as, tt.method, tt.path, tt.body, hdr...)
		if w.Code != tt.want {
			t.Fatalf("%s: %s %s = %d %s; want %d", tt.name, tt.method, tt.path, w.Code, w.Body, tt.want)
		}
		if w.Code == 401 && w.Header().Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s: 401 without WWW-Authenticate: Bearer", tt.name)
		}
	}
	// A deleted user's token stops working at once.
	if w := a.do(u2.ID, "GET", "/api/v1/auth/me", ""); w.Code != 401 {
		t.Fatalf("deleted user's token: %d", w.Code)
	}
}

func TestUsersConcurrency(t *testing.T) {
	a := newUsersAPI(t)
	adm := a.user("admin@example.com", users.RoleAdmin)
	u := a.user("u@example.com", users.RoleUser)
	path := "/api/v1/users/" + strconv.FormatInt(u.ID, 10)

	w := a.do(adm.ID, "GET", path, "")
	tag := w.Header().Get("ETag")
	if w.Code != 200 || tag != `"1"` {
		t.Fatalf("GET = %d, ETag %q", w.Code, tag)
	}
	if w := a.do(adm.ID, "PATCH", path, `{"name":"a"}`); w.Code != http.StatusPreconditionRequired {
		t.Fatalf("PATCH without If-Match = %d, want 428", w.Code)
	}
	// Two admins read version 1; the first write wins, the second gets 412.
	if w := a.do(adm.ID, "PATCH", path, `{"name":"first"}`, "If-Match", tag); w.Code != 200 || w.Header().Get("ETag") != `"2"` {
		t.Fatalf("first PATCH = %d %s", w.Code, w.Body)
	}
	if w := a.do(adm.ID, "PATCH", path, `{"name":"second"}`, "If-Match", tag); w.Code != http.StatusPreconditionFailed {
		t.Fatalf("second PATCH = %d, want 412", w.Code)
	}
	if w := a.do(adm.ID, "DELETE", path, "", "If-Match", tag); w.Code != http.StatusPreconditionFailed {
		t.Fatalf("stale DELETE = %d, want 412", w.Code)
	}
	got := decode[v1.User](t, a.do(adm.ID, "GET", path, ""))
	if got.Name != "first" {
		t.Fatalf("name = %q; the second write overwrote the first", got.Name)
	}
}

// TestUsersIfMatchWildcard: "If-Match: *" matches any current version
// (RFC 9110 §13.1.1), so it updates whatever is stored; a missing user is
// still 404, no If-Match still 428, a stale ETag still 412.
func TestUsersIfMatchWildcard(t *testing.T) {
	a := newUsersAPI(t)
	adm := a.user("admin@example.com", users.RoleAdmin)
	u := a.user("u@example.com", users.RoleUser)
	path := "/api/v1/users/" + strconv.FormatInt(u.ID, 10)

	if w := a.do(adm.ID, "PATCH", path, `{"name":"first"}`, "If-Match", `"1"`); w.Code != 200 {
		t.Fatalf("PATCH = %d %s", w.Code, w.Body)
	}
	w := a.do(adm.ID, "PATCH", path, `{"name":"any"}`, "If-Match", "*")
	if w.Code != 200 || w.Header().Get("ETag") != `"3"` {
		t.Fatalf("PATCH If-Match: * = %d ETag %q %s, want 200 \"3\"", w.Code, w.Header().Get("ETag"), w.Body)
	}
	if got := decode[v1.User](t, a.do(adm.ID, "GET", path, "")); got.Name != "any" {
		t.Fatalf("name = %q after If-Match: *, want any", got.Name)
	}
	if w := a.do(adm.ID, "PATCH", path, `{"name":"x"}`, "If-Match", `"1"`); w.Code != http.StatusPreconditionFailed {
		t.Fatalf("stale PATCH = %d, want 412", w.Code)
	}
	if w := a.do(adm.ID, "PATCH", path, `{"name":"x"}`); w.Code != http.StatusPreconditionRequired {
		t.Fatalf("PATCH without If-Match = %d, want 428", w.Code)
	}
	if w := a.do(adm.ID, "PATCH", "/api/v1/users/999999", `{"name":"x"}`, "If-Match", "*"); w.Code != http.StatusNotFound {
		t.Fatalf("PATCH If-Match: * of a missing user = %d, want 404", w.Code)
	}
	if w := a.do(adm.ID, "DELETE", path, "", "If-Match", "*"); w.Code != http.StatusNoContent {
		t.Fatalf("DELETE If-Match: * = %d %s, want 204", w.Code, w.Body)
	}
	if w := a.do(adm.ID, "DELETE", path, "", "If-Match", "*"); w.Code != http.StatusNotFound {
		t.Fatalf("DELETE If-Match: * of a deleted user = %d, want 404", w.Code)
	}
}

func TestUsersValidation(t *testing.T) {
	a := newUsersAPI(t)
	adm := a.user("admin@example.com", users.RoleAdmin)
	a.user("taken@example.com", users.RoleUser)
	path := "/api/v1/users/" + strconv.FormatInt(adm.ID, 10)

	w := a.do(adm.ID, "PATCH", path, `{"email":"nope","name":"`+strings.Repeat("x", 201)+`","role":"root"}`, "If-Match", `"1"`)
	if w.Code != 422 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
		t.Fatalf("invalid PATCH = %d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	type problem struct {
		Errors []struct {
			Location string `json:"location"`
		} `json:"errors"`
	}
	p := decode[problem](t, w)
	locs := map[string]bool{}
	for _, e := range p.Errors {
		locs[e.Location] = true
	}
	if !locs["body.name"] || !locs["body.role"] {
		t.Fatalf("errors = %+v; want one per invalid field", p.Errors)
	}
	// Semantic checks (the email format) name their field the same way.
	w = a.do(adm.ID, "PATCH", path, `{"email":"nope"}`, "If-Match", `"1"`)
	if w.Code != 422 || !strings.Contains(w.Body.String(), `"location":"body.email"`) {
		t.Fatalf("bad email = %d %s", w.Code, w.Body)
	}
	if w := a.do(adm.ID, "PATCH", path, `{"email":"taken@example.com"}`, "If-Match", `"1"`); w.Code != 409 {
		t.Fatalf("taken email = %d %s", w.Code, w.Body)
	}
	w = a.do(adm.ID, "PATCH", path, `{"email":"New@Example.com"}`, "If-Match", `"1"`)
	if u := decode[v1.User](t, w); w.Code != 200 || u.Email != "new@example.com" || u.EmailVerified {
		t.Fatalf("email change = %d %s", w.Code, w.Body)
	}
}

func TestUsersList(t *testing.T) {
	a := newUsersAPI(t)
	adm := a.user("admin@example.com", users.RoleAdmin)
	for i := range 5 {
		a.user("user"+strconv.Itoa(i)+"@example.com", users.RoleUser)
	}
	type page struct {
		Users      []v1.User `json:"users"`
		NextCursor string    `json:"next_cursor"`
		Total      *int64    `json:"total"`
	}
	w := a.do(adm.ID, "GET", "/api/v1/users?limit=2&sort=-email&role=user&include_total=true", "")
	p := decode[page](t, w)
	if w.Code != 200 || len(p.Users) != 2 || p.Total == nil || *p.Total != 5 || p.Users[0].Email != "user4@example.com" || p.NextCursor == "" {
		t.Fatalf("list = %d %s", w.Code, w.Body)
	}
	w = a.do(adm.ID, "GET", "/api/v1/users?limit=2&sort=-email&role=user&cursor="+p.NextCursor, "")
	if p2 := decode[page](t, w); len(p2.Users) != 2 || p2.Users[0].Email != "user2@example.com" || p2.Total != nil {
		t.Fatalf("page 2 = %s", w.Body)
	}
	// Sort keys and filters outside the allow-list are rejected, not run.
	for _, q := range []string{
		"sort=email%3B+DROP+TABLE+users--",
		"sort=password_hash",
		"sort=1",
		"role=admin'+OR+'1'%3D'1",
		"created_from=yesterday",
		"limit=1000",
		"cursor=%27+OR+1%3D1--",
	} {
		if w := a.do(adm.ID, "GET", "/api/v1/users?"+q, ""); w.Code != 422 {
			t.Errorf("?%s = %d %s; want 422", q, w.Code, w.Body)
		}
	}
	w = a.do(adm.ID, "GET", "/api/v1/users?email=%27+OR+%271%27%3D%271&include_total=true", "")
	if p := decode[page](t, w); w.Code != 200 || len(p.Users) != 0 {
		t.Fatalf("injection in email filter = %d %s", w.Code, w.Body)
	}
	w = a.do(adm.ID, "GET", "/api/v1/users?include_total=true", "")
	if p := decode[page](t, w); *p.Total != 6 {
		t.Fatalf("total = %d after the injection attempts; want 6", *p.Total)
	}
	_ = io.Discard
}

// Query errors found by the store are located like huma's (query.<name>),
// and a time that does not parse is explained in RFC 3339 terms, not Go's
// layout.
func TestUsersListErrorsSayWhere(t *testing.T) {
	a := newUsersAPI(t)
	adm := a.user("admin@example.com", users.RoleAdmin)
	w := a.do(adm.ID, "GET", "/api/v1/users?cursor=bm90LWEtY3Vyc29y", "")
	if w.Code != 422 || !strings.Contains(w.Body.String(), `"location":"query.cursor"`) {
		t.Fatalf("bad cursor = %d %s; want 422 at query.cursor", w.Code, w.Body)
	}
	w = a.do(adm.ID, "GET", "/api/v1/users?created_from=yesterday", "")
	if body := w.Body.String(); w.Code != 422 || !strings.Contains(body, "RFC 3339, e.g. 2026-01-31T12:00:00Z") || strings.Contains(body, "2006-01-02") {
		t.Fatalf("bad time = %d %s; want RFC 3339 with an example, no Go layout", w.Code, body)
	}
}

// PATCH with an empty body changes nothing: same version, same updated_at.
func TestUsersEmptyPatchChangesNothing(t *testing.T) {
	a := newUsersAPI(t)
	u := a.user("ada@example.com", users.RoleUser)
	path := "/api/v1/users/" + strconv.FormatInt(u.ID, 10)
	w := a.do(u.ID, "PATCH", path, `{}`, "If-Match", `"1"`)
	got := decode[v1.User](t, w)
	if w.Code != 200 || got.Version != u.Version || !got.UpdatedAt.Equal(u.UpdatedAt) || w.Header().Get("ETag") != `"1"` {
		t.Fatalf("PATCH {} = %d %s (ETag %s); want version %d and updated_at %s unchanged", w.Code, w.Body, w.Header().Get("ETag"), u.Version, u.UpdatedAt)
	}
	// A stale If-Match is still refused.
	if w := a.do(u.ID, "PATCH", path, `{}`, "If-Match", `"7"`); w.Code != 412 {
		t.Fatalf("PATCH {} with a stale If-Match = %d %s; want 412", w.Code, w.Body)
	}
}

// null for a user field is refused with the field named, not silently
// ignored; the user is unchanged (same version).
func TestUsersPatchNullRefused(t *testing.T) {
	a := newUsersAPI(t)
	adm := a.user("admin@example.com", users.RoleAdmin)
	u := a.user("u@example.com", users.RoleUser)
	path := "/api/v1/users/" + strconv.FormatInt(u.ID, 10)
	for _, field := range []string{"name", "email", "role"} {
		w := a.do(adm.ID, "PATCH", path, `{"`+field+`":null}`, "If-Match", `"1"`)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "body."+field) || !strings.Contains(w.Body.String(), "must not be null") {
			t.Errorf("PATCH {%q: null} = %d %s, want 422 naming body.%s", field, w.Code, w.Body, field)
		}
	}
	if w := a.do(adm.ID, "GET", path, ""); w.Header().Get("ETag") != `"1"` {
		t.Fatalf("after refused nulls the ETag is %q, want \"1\"", w.Header().Get("ETag"))
	}
}
