package v1_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/db"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/jobs"
	"example.com/myapp/internal/users"
)

// newJobsAPI serves v1 with a job system holding two queued example jobs
// (nothing works them), and returns the handler, the users and the jobs.
func newJobsAPI(t *testing.T) (h http.Handler, user, admin users.User, ids []int64) {
	t.Helper()
	ctx := context.Background()
	url := dbtest.URL(t)
	sqlDB, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := db.Migrate(ctx, sqlDB, quiet); err != nil {
		t.Fatal(err)
	}
	svc := jobs.New(sqlDB, url, quiet)
	jobs.AddWorker(svc, &jobs.ItemCreatedWorker{Log: quiet})
	if err := svc.Build(jobs.Config{Queues: jobs.Queues{river.QueueDefault: 1}, MaxAttempts: 3}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	for i := range 2 {
		res, err := svc.Insert(ctx, jobs.ItemCreatedArgs{ItemID: int64(i + 1)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Job.ID)
	}

	store := users.NewSQLStore(sqlDB)
	mux := http.NewServeMux()
	v1.Register(api.New(mux, "test", "1.0.0"), v1.Deps{Items: items.NewSQLStore(sqlDB), Users: store, Authenticator: tokenAuth{store}, Jobs: svc})
	if user, err = store.Create(ctx, users.New{Email: "user@example.com", Role: users.RoleUser}); err != nil {
		t.Fatal(err)
	}
	if admin, err = store.Create(ctx, users.New{Email: "admin@example.com", Role: users.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	return mux, user, admin, ids
}

func TestAdminJobs(t *testing.T) {
	h, user, admin, ids := newJobsAPI(t)
	do := func(as *users.User, method, path string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(method, path, nil)
		if as != nil {
			r.Header.Set("Authorization", "Bearer uid:"+strconv.FormatInt(as.ID, 10))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	job := func(id int64) string { return "/api/v1/admin/jobs/" + strconv.FormatInt(id, 10) }

	for _, tt := range []struct {
		name   string
		as     *users.User
		method string
		path   string
		want   int
	}{
		{"anonymous list", nil, http.MethodGet, "/api/v1/admin/jobs", http.StatusUnauthorized},
		{"user list", &user, http.MethodGet, "/api/v1/admin/jobs", http.StatusForbidden},
		{"user retry", &user, http.MethodPost, job(ids[0]) + "/retry", http.StatusForbidden},
		{"user cancel", &user, http.MethodPost, job(ids[0]) + "/cancel", http.StatusForbidden},
		{"unknown state", &admin, http.MethodGet, "/api/v1/admin/jobs?state=lost", http.StatusUnprocessableEntity},
		{"limit too large", &admin, http.MethodGet, "/api/v1/admin/jobs?limit=1000", http.StatusUnprocessableEntity},
		{"bad cursor", &admin, http.MethodGet, "/api/v1/admin/jobs?cursor=zz", http.StatusUnprocessableEntity},
		{"bad id", &admin, http.MethodPost, "/api/v1/admin/jobs/0/retry", http.StatusUnprocessableEntity},
		{"missing job", &admin, http.MethodPost, "/api/v1/admin/jobs/999999/cancel", http.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := do(tt.as, tt.method, tt.path)
			if w.Code != tt.want {
				t.Fatalf("%s %s: %d %s, want %d", tt.method, tt.path, w.Code, w.Body, tt.want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q, want problem+json", ct)
			}
		})
	}

	// The admin pages through the queued jobs, cancels one, retries it.
	type page struct {
		Jobs       []v1.Job `json:"jobs"`
		NextCursor string   `json:"next_cursor"`
	}
	w := do(&admin, http.MethodGet, "/api/v1/admin/jobs?state=available&limit=1")
	p := decode[page](t, w)
	if w.Code != http.StatusOK || len(p.Jobs) != 1 || p.Jobs[0].ID != ids[0] || p.Jobs[0].Kind != "item_created" || p.NextCursor == "" {
		t.Fatalf("first page: %d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "item_id") {
		t.Fatalf("the list shows job arguments: %s", w.Body)
	}
	p = decode[page](t, do(&admin, http.MethodGet, "/api/v1/admin/jobs?state=available&limit=1&cursor="+p.NextCursor))
	if len(p.Jobs) != 1 || p.Jobs[0].ID != ids[1] || p.NextCursor != "" {
		t.Fatalf("second page: %+v", p)
	}

	w = do(&admin, http.MethodPost, job(ids[0])+"/cancel")
	if got := decode[v1.Job](t, w); w.Code != http.StatusOK || got.State != "cancelled" || got.FinalizedAt == nil {
		t.Fatalf("cancel: %d %s", w.Code, w.Body)
	}
	if p = decode[page](t, do(&admin, http.MethodGet, "/api/v1/admin/jobs?state=cancelled")); len(p.Jobs) != 1 || p.Jobs[0].ID != ids[0] {
		t.Fatalf("cancelled jobs: %+v", p)
	}
	w = do(&admin, http.MethodPost, job(ids[0])+"/retry")
	if got := decode[v1.Job](t, w); w.Code != http.StatusOK || got.State != "available" {
		t.Fatalf("retry: %d %s", w.Code, w.Body)
	}
}
