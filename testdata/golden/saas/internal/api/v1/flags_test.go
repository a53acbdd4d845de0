package v1_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/flags"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/users"
)

// newFlagsAPI is newUsersAPI with the feature flags.
func newFlagsAPI(t *testing.T) *usersAPI {
	t.Helper()
	db := dbtest.Open(t)
	store := users.NewSQLStore(db)
	svc, err := flags.New(context.Background(), flags.Config{
		Store: flags.NewSQLStore(db), Plans: flags.NewSQLPlans(db),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	mux := http.NewServeMux()
	a := api.New(mux, "test", "1.0.0")
	v1.Register(a, v1.Deps{Items: items.NewSQLStore(db), Users: store, Authenticator: tokenAuth{store}, Flags: svc})
	return &usersAPI{t: t, h: mux, store: store}
}

func TestFlagsAccess(t *testing.T) {
	a := newFlagsAPI(t)
	u := a.user("u@example.com", users.RoleUser)
	adm := a.user("admin@example.com", users.RoleAdmin)
	if w := a.do(adm.ID, "POST", "/api/v1/admin/flags", `{"key":"beta","type":"boolean"}`); w.Code != 201 {
		t.Fatalf("create = %d %s", w.Code, w.Body)
	}
	for _, tt := range []struct {
		as           int64
		method, path string
		body         string
		want         int
	}{
		{0, "GET", "/api/v1/flags", "", 401},
		{u.ID, "GET", "/api/v1/flags", "", 200},
		{0, "GET", "/api/v1/admin/flags", "", 401},
		{u.ID, "GET", "/api/v1/admin/flags", "", 403},
		{u.ID, "POST", "/api/v1/admin/flags", `{"key":"x","type":"boolean"}`, 403},
		{u.ID, "PATCH", "/api/v1/admin/flags/beta", `{"enabled":true}`, 403},
		{u.ID, "POST", "/api/v1/admin/flags/beta/enable", "", 403},
		{u.ID, "PUT", "/api/v1/admin/flags/beta/users/" + strconv.FormatInt(u.ID, 10), "", 403},
		{u.ID, "DELETE", "/api/v1/admin/flags/beta", "", 403},
		{adm.ID, "GET", "/api/v1/admin/flags", "", 200},
		{adm.ID, "GET", "/api/v1/admin/flags/beta", "", 200},
		{adm.ID, "GET", "/api/v1/admin/flags/nope", "", 404},
	} {
		if w := a.do(tt.as, tt.method, tt.path, tt.body); w.Code != tt.want {
			t.Errorf("%s %s as %d = %d %s, want %d", tt.method, tt.path, tt.as, w.Code, w.Body, tt.want)
		}
	}
}

// An admin manages flags; two users each see their own answers.
func TestFlagsLifecycle(t *testing.T) {
	a := newFlagsAPI(t)
	ada := a.user("ada@example.com", users.RoleUser)
	bob := a.user("bob@example.com", users.RoleUser)
	adm := a.user("admin@example.com", users.RoleAdmin)
	ids := func(u users.User) string { return strconv.FormatInt(u.ID, 10) }
	evaluate := func(u users.User) map[string]bool {
		t.Helper()
		w := a.do(u.ID, "GET", "/api/v1/flags", "")
		if w.Code != 200 {
			t.Fatalf("GET /flags = %d %s", w.Code, w.Body)
		}
		return decode[struct{ Flags map[string]bool }](t, w).Flags
	}
	steps := []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/api/v1/admin/flags", `{"key":"early","type":"user_list","enabled":true,"user_ids":[` + ids(ada) + `]}`, 201},
		{"POST", "/api/v1/admin/flags", `{"key":"everyone","type":"boolean","description":"all on"}`, 201},
		{"POST", "/api/v1/admin/flags/everyone/enable", "", 200},
		{"POST", "/api/v1/admin/flags", `{"key":"half","type":"percentage","enabled":true,"percentage":100}`, 201},
	}
	for _, s := range steps {
		if w := a.do(adm.ID, s.method, s.path, s.body); w.Code != s.want {
			t.Fatalf("%s %s = %d %s, want %d", s.method, s.path, w.Code, w.Body, s.want)
		}
	}
	if got := evaluate(ada); !got["early"] || !got["everyone"] || !got["half"] || len(got) != 3 {
		t.Errorf("ada: %v", got)
	}
	if got := evaluate(bob); got["early"] || !got["everyone"] || !got["half"] {
		t.Errorf("bob: %v", got)
	}
	// Bob joins the list, ada leaves it; everyone is switched off.
	w := a.do(adm.ID, "PUT", "/api/v1/admin/flags/early/users/"+ids(bob), "")
	f := decode[v1.Flag](t, w)
	if w.Code != 200 || len(f.UserIDs) != 2 || f.UpdatedBy != adm.ID {
		t.Fatalf("add user = %d %s", w.Code, w.Body)
	}
	a.do(adm.ID, "DELETE", "/api/v1/admin/flags/early/users/"+ids(ada), "")
	a.do(adm.ID, "POST", "/api/v1/admin/flags/everyone/disable", "")
	if got := evaluate(ada); got["early"] || got["everyone"] {
		t.Errorf("ada after the changes: %v", got)
	}
	if got := evaluate(bob); !got["early"] || got["everyone"] {
		t.Errorf("bob after the changes: %v", got)
	}
	w = a.do(adm.ID, "PATCH", "/api/v1/admin/flags/half", `{"percentage":0,"description":"none"}`)
	if f := decode[v1.Flag](t, w); w.Code != 200 || f.Percentage != 0 || f.Description != "none" || f.Type != "percentage" {
		t.Fatalf("patch = %d %s", w.Code, w.Body)
	}
	if got := evaluate(ada); got["half"] {
		t.Errorf("0 %% flag is on for ada")
	}
	if w := a.do(adm.ID, "DELETE", "/api/v1/admin/flags/half", ""); w.Code != 204 {
		t.Fatalf("delete = %d %s", w.Code, w.Body)
	}
	if got := evaluate(ada); len(got) != 2 {
		t.Errorf("after delete: %v", got)
	}
}

// Bad input is a problem+json naming the field; conflicts and unknown
// targets have their own statuses.
func TestFlagsBadInput(t *testing.T) {
	a := newFlagsAPI(t)
	adm := a.user("admin@example.com", users.RoleAdmin)
	a.do(adm.ID, "POST", "/api/v1/admin/flags", `{"key":"beta","type":"boolean"}`)
	for _, tt := range []struct {
		method, path, body string
		want               int
		names              string
	}{
		{"POST", "/api/v1/admin/flags", `{"key":"Bad Key","type":"boolean"}`, 422, "body.key"},
		{"POST", "/api/v1/admin/flags", `{"key":"k","type":"sometimes"}`, 422, "body.type"},
		{"POST", "/api/v1/admin/flags", `{"key":"k","type":"percentage","percentage":101}`, 422, "body.percentage"},
		{"POST", "/api/v1/admin/flags", `{"key":"k","type":"plan_based","plans":["Pro!"]}`, 422, "body.plans"},
		{"POST", "/api/v1/admin/flags", `{"key":"k","type":"user_list","user_ids":[999]}`, 422, "no user with id 999"},
		{"POST", "/api/v1/admin/flags", `{"key":"beta","type":"boolean"}`, 409, `already exists`},
		{"PATCH", "/api/v1/admin/flags/nope", `{"enabled":true}`, 404, `no flag with key`},
		{"PUT", "/api/v1/admin/flags/beta/users/999", "", 404, "no user with id 999"},
		{"PUT", "/api/v1/admin/flags/nope/users/1", "", 404, `no flag with key`},
		{"POST", "/api/v1/admin/flags/BAD/enable", "", 422, "path.key"},
	} {
		w := a.do(adm.ID, tt.method, tt.path, tt.body)
		if w.Code != tt.want || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") || !strings.Contains(w.Body.String(), tt.names) {
			t.Errorf("%s %s %s = %d %s; want %d problem naming %s", tt.method, tt.path, tt.body, w.Code, w.Body, tt.want, tt.names)
		}
	}
}
