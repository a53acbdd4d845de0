package v1_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"example.com/myapp/internal/admin"
	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/audit"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/users"
)

// syncBuffer is a log sink the handlers may write to concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newAdminAPI serves v1 as the app wires it with the admin feature: the
// users store audited, behind the chain and the audit middleware. It
// returns the API and the service's log.
func newAdminAPI(t *testing.T) (*usersAPI, *syncBuffer) {
	t.Helper()
	db := dbtest.Open(t)
	log := audit.New(db)
	store := users.NewSQLStore(db)
	dash, err := admin.NewDashboard(db, admin.Stat{Name: "users", Collect: admin.UserStats})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a := api.New(mux, "test", "1.0.0")
	v1.Register(a, v1.Deps{
		Items: items.NewSQLStore(db), Users: store.WithRecorder(log), Authenticator: tokenAuth{store},
		Audit: log, Dashboard: dash,
	})
	logs := &syncBuffer{}
	h := httpx.Chain(httpx.Routes(mux), httpx.ChainOptions{
		Log: slog.New(slog.NewJSONHandler(logs, nil)), MaxBodyBytes: 1 << 20, Inner: []httpx.Middleware{log.Middleware},
	})
	return &usersAPI{t: t, h: h, store: store}, logs
}

// SECURITY.md §10: the admin endpoints are for admins; anyone else is
// refused, and a user who tries is logged as authz_fail.
func TestAdminAccess(t *testing.T) {
	a, logs := newAdminAPI(t)
	u := a.user("u@example.com", users.RoleUser)
	adm := a.user("admin@example.com", users.RoleAdmin)
	for _, path := range []string{"/api/v1/admin/dashboard/stats", "/api/v1/admin/audit-logs", "/api/v1/admin/audit-logs/1"} {
		if w := a.do(0, "GET", path, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("anonymous %s: %d; want 401", path, w.Code)
		}
		if w := a.do(u.ID, "GET", path, ""); w.Code != http.StatusForbidden {
			t.Errorf("user %s: %d; want 403", path, w.Code)
		}
	}
	if !strings.Contains(logs.String(), `"event":"authz_fail"`) || !strings.Contains(logs.String(), `"user_id":`+strconv.FormatInt(u.ID, 10)) {
		t.Errorf("no authz_fail line naming the user in the log:\n%s", logs)
	}
	if w := a.do(adm.ID, "GET", "/api/v1/admin/audit-logs", ""); w.Code != http.StatusOK {
		t.Errorf("admin lists the audit log: %d %s", w.Code, w.Body)
	}
}

func TestAdminStats(t *testing.T) {
	a, _ := newAdminAPI(t)
	a.user("u1@example.com", users.RoleUser)
	a.user("u2@example.com", users.RoleUser)
	adm := a.user("admin@example.com", users.RoleAdmin)
	w := a.do(adm.ID, "GET", "/api/v1/admin/dashboard/stats", "")
	if w.Code != http.StatusOK {
		t.Fatalf("stats: %d %s", w.Code, w.Body)
	}
	got := decode[struct {
		Stats struct {
			Users admin.Users `json:"users"`
		} `json:"stats"`
	}](t, w)
	s := got.Stats.Users
	if s.Total != 3 || s.ByRole["user"] != 2 || s.ByRole["admin"] != 1 || s.ByRole["superadmin"] != 0 {
		t.Errorf("users %+v; want 3: 2 users, 1 admin", s)
	}
	if len(s.NewPerDay) != admin.NewUserDays || s.NewPerDay[admin.NewUserDays-1].Count != 3 {
		t.Errorf("new per day %+v; want 30 days, 3 today", s.NewPerDay)
	}
}

// Every admin change to a user writes one audit row in its transaction,
// readable (and filterable) through the audit-log endpoints.
func TestAdminChangesAreAudited(t *testing.T) {
	a, _ := newAdminAPI(t)
	u := a.user("u@example.com", users.RoleUser)
	sup := a.user("root@example.com", users.RoleSuperadmin)
	path := "/api/v1/users/" + strconv.FormatInt(u.ID, 10)
	steps := []struct {
		method, body, ifMatch string
		want                  int
	}{
		{"PATCH", `{"role":"admin"}`, `"1"`, 200},
		{"PATCH", `{"name":"Ada"}`, `"2"`, 200},
		{"PATCH", `{}`, `"3"`, 200}, // changes nothing: no row
		{"DELETE", "", `"3"`, 204},
	}
	for _, s := range steps {
		w := a.do(sup.ID, s.method, path, s.body, "If-Match", s.ifMatch, "User-Agent", "admin-cli/1.0", "X-Request-ID", "req-"+s.ifMatch[1:2])
		if w.Code != s.want {
			t.Fatalf("%s %s: %d %s", s.method, s.body, w.Code, w.Body)
		}
	}
	type page struct {
		AuditLogs  []v1.AuditLog `json:"audit_logs"`
		NextCursor string        `json:"next_cursor"`
	}
	list := func(query string) page {
		t.Helper()
		w := a.do(sup.ID, "GET", "/api/v1/admin/audit-logs"+query, "")
		if w.Code != http.StatusOK {
			t.Fatalf("list %s: %d %s", query, w.Code, w.Body)
		}
		return decode[page](t, w)
	}
	all := list("")
	var actions []string
	for _, r := range all.AuditLogs {
		actions = append(actions, r.Action)
		if r.ActorID == nil || *r.ActorID != sup.ID || r.SubjectID != nil || r.AuthMethod != "bearer" {
			t.Errorf("row %d: actor %v subject %v method %s; want the superadmin, nobody, bearer", r.ID, r.ActorID, r.SubjectID, r.AuthMethod)
		}
		if r.TargetType != "user" || r.TargetID != strconv.FormatInt(u.ID, 10) || r.UserAgent != "admin-cli/1.0" || r.ClientIP == "" || !strings.HasPrefix(r.RequestID, "req-") {
			t.Errorf("row %d: %+v", r.ID, r)
		}
	}
	if want := "user_deleted,user_updated,authz_change"; strings.Join(actions, ",") != want {
		t.Errorf("actions newest first: %v; want %s", actions, want)
	}
	if r := all.AuditLogs[2]; string(r.Before) != `{"role":"user"}` || string(r.After) != `{"role":"admin"}` {
		t.Errorf("role change before %s after %s", r.Before, r.After)
	}

	if got := list("?action=authz_change"); len(got.AuditLogs) != 1 {
		t.Errorf("filter by action: %d rows", len(got.AuditLogs))
	}
	if got := list("?actor=" + strconv.FormatInt(u.ID, 10)); len(got.AuditLogs) != 0 {
		t.Errorf("filter by another actor: %d rows", len(got.AuditLogs))
	}
	if got := list("?target_type=user&target_id=" + strconv.FormatInt(u.ID, 10) + "&from=2000-01-01T00:00:00Z"); len(got.AuditLogs) != 3 {
		t.Errorf("filter by target and time: %d rows", len(got.AuditLogs))
	}
	first := list("?limit=2")
	if len(first.AuditLogs) != 2 || first.NextCursor == "" {
		t.Fatalf("first page: %+v", first)
	}
	if rest := list("?limit=2&cursor=" + first.NextCursor); len(rest.AuditLogs) != 1 || rest.NextCursor != "" || rest.AuditLogs[0].Action != "authz_change" {
		t.Errorf("second page: %+v", rest)
	}

	id := strconv.FormatInt(all.AuditLogs[0].ID, 10)
	if w := a.do(sup.ID, "GET", "/api/v1/admin/audit-logs/"+id, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"user_deleted"`) {
		t.Errorf("get %s: %d %s", id, w.Code, w.Body)
	}
	for _, bad := range []struct {
		path, want string
		status     int
	}{
		{"/api/v1/admin/audit-logs/99999", "not found", 404},
		{"/api/v1/admin/audit-logs?cursor=xyz", "cursor", 422},
		{"/api/v1/admin/audit-logs?limit=1000", "limit", 422},
		{"/api/v1/admin/audit-logs?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to", 422},
	} {
		w := a.do(sup.ID, "GET", bad.path, "")
		if w.Code != bad.status || !strings.Contains(w.Body.String(), bad.want) || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s; want a %d problem naming %s", bad.path, w.Code, w.Body, bad.status, bad.want)
		}
	}
}
