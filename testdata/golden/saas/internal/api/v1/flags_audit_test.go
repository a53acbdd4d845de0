package v1_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"testing"

	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/audit"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/flags"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/users"
)

// TestFlagChangesAreAudited: with the admin feature every flag change made
// through the API is one audit row naming the admin, the flag and the
// fields that changed.
func TestFlagChangesAreAudited(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	store := users.NewSQLStore(db)
	log := audit.New(db)
	svc, err := flags.New(ctx, flags.Config{
		Store: flags.NewSQLStore(db).WithRecorder(flags.AuditLog(log)), Plans: flags.NewSQLPlans(db),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	mux := http.NewServeMux()
	v1.Register(api.New(mux, "test", "1.0.0"), v1.Deps{Items: items.NewSQLStore(db), Users: store, Authenticator: tokenAuth{store}, Flags: svc})
	a := &usersAPI{t: t, h: mux, store: store}
	adm := a.user("admin@example.com", users.RoleAdmin)
	u := a.user("u@example.com", users.RoleUser)

	for _, step := range []struct{ method, path, body string }{
		{"POST", "/api/v1/admin/flags", `{"key":"beta","type":"percentage","percentage":10}`},
		{"PATCH", "/api/v1/admin/flags/beta", `{"percentage":30}`},
		{"POST", "/api/v1/admin/flags/beta/enable", ""},
		{"PUT", "/api/v1/admin/flags/beta/users/" + strconv.FormatInt(u.ID, 10), ""},
		{"DELETE", "/api/v1/admin/flags/beta", ""},
	} {
		if w := a.do(adm.ID, step.method, step.path, step.body); w.Code >= 300 {
			t.Fatalf("%s %s = %d %s", step.method, step.path, w.Code, w.Body)
		}
	}
	// A refused change writes nothing.
	if w := a.do(u.ID, "POST", "/api/v1/admin/flags", `{"key":"x","type":"boolean"}`); w.Code != 403 {
		t.Fatalf("user create = %d", w.Code)
	}

	page, err := log.List(ctx, audit.Query{TargetType: "feature_flag", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{flags.ActionDeleted, flags.ActionUserAdded, flags.ActionUpdated, flags.ActionUpdated, flags.ActionCreated} // newest first
	if len(page.Rows) != len(want) {
		t.Fatalf("%d audit rows, want %d: %+v", len(page.Rows), len(want), page.Rows)
	}
	for i, r := range page.Rows {
		if r.Action != want[i] || r.TargetID != "beta" || r.ActorID == nil || *r.ActorID != adm.ID {
			t.Errorf("row %d: %s %s by %v, want %s beta by admin %d", i, r.Action, r.TargetID, r.ActorID, want[i], adm.ID)
		}
	}
	var before, after map[string]any
	patch := page.Rows[3] // the PATCH
	if err := json.Unmarshal(patch.Before, &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(patch.After, &after); err != nil {
		t.Fatal(err)
	}
	if len(after) != 1 || after["percentage"] != float64(30) || before["percentage"] != float64(10) {
		t.Errorf("patch row: before %v after %v, want only percentage 10 -> 30", before, after)
	}
	var added map[string]any
	if err := json.Unmarshal(page.Rows[1].After, &added); err != nil || added["user_id"] != float64(u.ID) {
		t.Errorf("user added row: %s (%v), want user_id %d", page.Rows[1].After, err, u.ID)
	}
}
