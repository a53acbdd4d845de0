package audit_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/audit"
	"example.com/myapp/internal/db"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/users"
)

func newLog(t *testing.T) (*audit.Log, *sql.DB) {
	t.Helper()
	sqlDB := dbtest.Open(t)
	return audit.New(sqlDB), sqlDB
}

// serve runs h behind the service's chain and the audit middleware, as the
// app wires them, and returns the response.
func serve(log *audit.Log, h http.HandlerFunc, r *http.Request, inner ...httpx.Middleware) *httptest.ResponseRecorder {
	chain := httpx.Chain(h, httpx.ChainOptions{
		Log:          slog.New(slog.NewJSONHandler(io.Discard, nil)),
		MaxBodyBytes: 1 << 20,
		Inner:        append(inner, log.Middleware),
	})
	w := httptest.NewRecorder()
	chain.ServeHTTP(w, r)
	return w
}

func only(t *testing.T, log *audit.Log, q audit.Query) audit.Row {
	t.Helper()
	q.Limit = 10
	page, err := log.List(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) != 1 {
		t.Fatalf("want 1 row, got %d: %+v", len(page.Rows), page.Rows)
	}
	return page.Rows[0]
}

// A row names the actor, the client address, the user agent and the
// request id of the request that made it, in UTC.
func TestRecordTakesWhoAndWhereFromTheRequest(t *testing.T) {
	log, sqlDB := newLog(t)
	admin := users.User{ID: 7, Role: users.RoleAdmin}
	r := httptest.NewRequest("PATCH", "/api/v1/users/3", nil)
	r.RemoteAddr = "203.0.113.9:4711"
	r.Header.Set("User-Agent", "curl/8.5")
	r.Header.Set("X-Request-ID", "req-42")
	w := serve(log, func(w http.ResponseWriter, r *http.Request) {
		ctx := users.WithUser(r.Context(), admin)
		err := log.Record(ctx, sqlDB, audit.Entry{Action: audit.ActionAuthzChange, TargetType: "user", TargetID: "3",
			Before: map[string]any{"role": "user"}, After: map[string]any{"role": "admin"}})
		if err != nil {
			t.Error(err)
		}
	}, r)
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	row := only(t, log, audit.Query{})
	if row.ActorID == nil || *row.ActorID != 7 || row.SubjectID != nil || row.AuthMethod != audit.MethodBearer {
		t.Errorf("actor %v subject %v method %q; want 7, nil, bearer", row.ActorID, row.SubjectID, row.AuthMethod)
	}
	if row.ClientIP != "203.0.113.9" || row.UserAgent != "curl/8.5" || row.RequestID != "req-42" {
		t.Errorf("where: ip %q ua %q request %q", row.ClientIP, row.UserAgent, row.RequestID)
	}
	if string(row.Before) != `{"role":"user"}` || string(row.After) != `{"role":"admin"}` {
		t.Errorf("before %s after %s", row.Before, row.After)
	}
	if row.Time.Location() != time.UTC || time.Since(row.Time) > time.Minute {
		t.Errorf("time %v: want a recent UTC time", row.Time)
	}
	got, err := log.Get(context.Background(), row.ID)
	if err != nil || got.Action != audit.ActionAuthzChange {
		t.Errorf("Get(%d) = %+v, %v", row.ID, got, err)
	}
	if _, err := log.Get(context.Background(), row.ID+1); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("Get of a missing row: %v; want not found", err)
	}
}

// SECURITY.md §10: the table is append-only, for the service's own
// database role too.
func TestAppendOnly(t *testing.T) {
	log, sqlDB := newLog(t)
	ctx := context.Background()
	if err := log.Record(ctx, sqlDB, audit.Entry{Action: audit.ActionAuthzAdmin}); err != nil {
		t.Fatal(err)
	}
	stmts := []string{
		`UPDATE audit_logs SET action = 'nothing'`,
		`UPDATE audit_logs SET actor_id = 1 WHERE id = 1`,
		`DELETE FROM audit_logs`,
	}
	if db.Dialect == "postgres" {
		stmts = append(stmts, `TRUNCATE audit_logs`)
	}
	for _, stmt := range stmts {
		_, err := sqlDB.ExecContext(ctx, stmt)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err %v; want the append-only refusal", stmt, err)
		}
	}
	row := only(t, log, audit.Query{})
	if row.Action != audit.ActionAuthzAdmin || row.ActorID != nil || row.AuthMethod != audit.MethodSystem {
		t.Errorf("row changed: %+v", row)
	}
}

// SECURITY.md §10: a forged user agent cannot start a new line or a JSON
// field in the row or in a log made from it.
func TestUserAgentIsEscaped(t *testing.T) {
	log, sqlDB := newLog(t)
	r := httptest.NewRequest("POST", "/x", nil)
	forged := "x\n{\"forged\":1}\r\x00\u202e"
	r.Header["User-Agent"] = []string{forged}
	serve(log, func(w http.ResponseWriter, r *http.Request) {
		if err := log.Record(r.Context(), sqlDB, audit.Entry{Action: audit.ActionAuthzAdmin}); err != nil {
			t.Error(err)
		}
	}, r)
	row := only(t, log, audit.Query{})
	if want := `x\n{\"forged\":1}\r\x00\u202e`; row.UserAgent != want {
		t.Errorf("user agent stored as %q; want %q", row.UserAgent, want)
	}
	if strings.ContainsAny(row.UserAgent, "\n\r\x00") {
		t.Errorf("user agent %q keeps a control character", row.UserAgent)
	}
	long := strings.Repeat("é", 1000)
	r = httptest.NewRequest("POST", "/x", nil)
	r.Header.Set("User-Agent", long)
	serve(log, func(w http.ResponseWriter, r *http.Request) {
		if err := log.Record(r.Context(), sqlDB, audit.Entry{Action: "long"}); err != nil {
			t.Error(err)
		}
	}, r)
	row = only(t, log, audit.Query{Action: "long"})
	if len(row.UserAgent) > 512*4 {
		t.Errorf("user agent of %d bytes stored; want it capped", len(row.UserAgent))
	}
}

// A field named like a credential is refused, and nothing is written.
func TestSecretsAreRefused(t *testing.T) {
	log, sqlDB := newLog(t)
	for _, field := range []string{"password", "new_password", "refresh_token", "client_secret", "api_key", "PasswordHash"} {
		err := log.Record(context.Background(), sqlDB, audit.Entry{Action: audit.ActionUserUpdated, After: map[string]any{field: "hunter2"}})
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("field %s: err %v; want a refusal that does not repeat the value", field, err)
		}
	}
	page, err := log.List(context.Background(), audit.Query{Limit: 10})
	if err != nil || len(page.Rows) != 0 {
		t.Fatalf("rows %d, %v; want none", len(page.Rows), err)
	}
}

func TestListFiltersAndPages(t *testing.T) {
	log, sqlDB := newLog(t)
	ctx := context.Background()
	for i, actor := range []int64{1, 2, 1, 1, 2} {
		e := audit.Entry{Action: audit.ActionUserUpdated, TargetType: "user", TargetID: "10"}
		if i == 4 {
			e.Action, e.TargetID = audit.ActionUserDeleted, "11"
		}
		if err := log.Record(users.WithUser(ctx, users.User{ID: actor}), sqlDB, e); err != nil {
			t.Fatal(err)
		}
	}
	id := func(v int64) *int64 { return &v }
	tests := []struct {
		name string
		q    audit.Query
		want int
	}{
		{"all", audit.Query{}, 5},
		{"actor", audit.Query{ActorID: id(1)}, 3},
		{"action", audit.Query{Action: audit.ActionUserDeleted}, 1},
		{"target", audit.Query{TargetType: "user", TargetID: "10"}, 4},
		{"subject", audit.Query{SubjectID: id(1)}, 0},
		{"from the future", audit.Query{From: time.Now().Add(time.Hour)}, 0},
		{"to the future", audit.Query{To: time.Now().Add(time.Hour)}, 5},
	}
	for _, tt := range tests {
		tt.q.Limit = 100
		page, err := log.List(ctx, tt.q)
		if err != nil || len(page.Rows) != tt.want {
			t.Errorf("%s: %d rows, %v; want %d", tt.name, len(page.Rows), err, tt.want)
		}
	}

	// Pages of two, newest first, cover every row once.
	var seen []int64
	q := audit.Query{Limit: 2}
	for range 5 {
		page, err := log.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rows {
			seen = append(seen, r.ID)
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if len(seen) != 5 || seen[0] < seen[4] {
		t.Errorf("pages gave ids %v; want 5, newest first", seen)
	}
	for _, bad := range []audit.Query{{Limit: 0}, {Limit: 101}, {Limit: 10, Cursor: "abc"}, {Limit: 10, Cursor: "-1"}} {
		if _, err := log.List(ctx, bad); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("List(%+v): %v; want invalid", bad, err)
		}
	}
}

// failing is a Recorder that always fails.
type failing struct{}

func (failing) RecordUserChange(context.Context, users.DB, users.Change) error {
	return errors.New("disk full")
}

// Changes through the users store are recorded in their own transaction:
// only the changed fields, the role change as authz_change; a failed record
// undoes the change.
func TestUserChangesAreRecordedInTheirTransaction(t *testing.T) {
	log, sqlDB := newLog(t)
	ctx := users.WithUser(context.Background(), users.User{ID: 99, Role: users.RoleSuperadmin})
	plain := users.NewSQLStore(sqlDB)
	u, err := plain.Create(ctx, users.New{Email: "ada@example.com", Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	store := plain.WithRecorder(log)
	role, name := users.RoleAdmin, "Ada L."
	u, err = store.Update(ctx, u.ID, u.Version, users.Patch{Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	row := only(t, log, audit.Query{Action: audit.ActionAuthzChange})
	if string(row.Before) != `{"role":"user"}` || string(row.After) != `{"role":"admin"}` || row.TargetID != strconv.FormatInt(u.ID, 10) || *row.ActorID != 99 {
		t.Errorf("role change row: %+v (before %s, after %s)", row, row.Before, row.After)
	}
	u, err = store.Update(ctx, u.ID, u.Version, users.Patch{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	row = only(t, log, audit.Query{Action: audit.ActionUserUpdated})
	var after map[string]any
	if err := json.Unmarshal(row.After, &after); err != nil || len(after) != 1 || after["name"] != name {
		t.Errorf("name change after = %s; want only the name", row.After)
	}
	// A stale version writes neither the change nor a row.
	if _, err := store.Update(ctx, u.ID, u.Version-1, users.Patch{Name: &name}); !errors.Is(err, users.ErrStale) {
		t.Errorf("stale update: %v", err)
	}

	broken := plain.WithRecorder(failing{})
	other := "Mallory"
	if _, err := broken.Update(ctx, u.ID, u.Version, users.Patch{Name: &other}); err == nil {
		t.Fatal("update with a failing recorder succeeded")
	}
	if err := broken.Delete(ctx, u.ID, u.Version); err == nil {
		t.Fatal("delete with a failing recorder succeeded")
	}
	if got, err := plain.Get(ctx, u.ID); err != nil || got.Name != name || got.Version != u.Version {
		t.Errorf("after failed records: %+v, %v; want the user unchanged", got, err)
	}

	if err := store.Delete(ctx, u.ID, u.Version); err != nil {
		t.Fatal(err)
	}
	row = only(t, log, audit.Query{Action: audit.ActionUserDeleted})
	if row.After != nil || !strings.Contains(string(row.Before), `"email":"ada@example.com"`) {
		t.Errorf("delete row before %s after %s", row.Before, row.After)
	}
	page, _ := log.List(ctx, audit.Query{Limit: 100})
	if len(page.Rows) != 3 {
		t.Errorf("%d rows; want 3 (role, name, delete)", len(page.Rows))
	}
}

// Every request made while impersonating writes exactly one row: its own
// record when the handler made one, else one naming the route.
func TestImpersonatedRequestsWriteOneRow(t *testing.T) {
	log, sqlDB := newLog(t)
	imp := users.Impersonation{ActorID: 1, SubjectID: 5, SessionID: "s1"}
	mark := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(users.WithImpersonation(r.Context(), imp)))
		})
	}
	serve(log, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) },
		httptest.NewRequest("GET", "/api/v1/items/3", nil), mark)
	row := only(t, log, audit.Query{Action: audit.ActionImpersonatedRequest})
	if *row.ActorID != 1 || row.SubjectID == nil || *row.SubjectID != 5 || row.AuthMethod != audit.MethodImpersonation {
		t.Errorf("actor %v subject %v method %s; want 1, 5, impersonation", row.ActorID, row.SubjectID, row.AuthMethod)
	}
	if row.TargetID != "GET /api/v1/items/3" || !strings.Contains(string(row.After), `"status":418`) {
		t.Errorf("target %q after %s", row.TargetID, row.After)
	}

	serve(log, func(w http.ResponseWriter, r *http.Request) {
		if err := log.Record(r.Context(), sqlDB, audit.Entry{Action: audit.ActionUserUpdated}); err != nil {
			t.Error(err)
		}
	}, httptest.NewRequest("PATCH", "/api/v1/users/5", nil), mark)
	page, err := log.List(context.Background(), audit.Query{SubjectID: &imp.SubjectID, Limit: 10})
	if err != nil || len(page.Rows) != 2 {
		t.Fatalf("%d rows, %v; want 2 (one per request)", len(page.Rows), err)
	}

	// Requests nobody impersonates write nothing by themselves.
	serve(log, func(w http.ResponseWriter, r *http.Request) {}, httptest.NewRequest("GET", "/api/v1/items", nil))
	if page, _ := log.List(context.Background(), audit.Query{Limit: 10}); len(page.Rows) != 2 {
		t.Errorf("%d rows after a plain request; want still 2", len(page.Rows))
	}
}
