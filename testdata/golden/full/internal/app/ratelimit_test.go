package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db/dbtest"
)

// The wired service limits API routes, answers 429 with the RateLimit
// fields and Retry-After, and never limits its health probes.
func TestRateLimitWired(t *testing.T) {
	addr := startServer(t, map[string]string{
		"RATE_LIMIT_DEFAULT": "3/minute",
		"RATE_LIMIT_ROUTES":  "POST /api/v1/items=1/minute",
	})
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp
	}
	for i := range 3 {
		if resp := get("/api/v1/items"); resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Policy") != `"default";q=3;w=60` {
			t.Fatalf("request %d: status %d, RateLimit-Policy %q", i+1, resp.StatusCode, resp.Header.Get("RateLimit-Policy"))
		}
	}
	resp := get("/api/v1/items")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.HasPrefix(resp.Header.Get("RateLimit"), `"default";r=0;t=`) || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("request 4: status %d, headers %v", resp.StatusCode, resp.Header)
	}
	for range 5 {
		if resp := get("/health/ready"); resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit") != "" {
			t.Fatalf("/health/ready: status %d, RateLimit %q; want exempt", resp.StatusCode, resp.Header.Get("RateLimit"))
		}
	}
	for i, want := range []int{http.StatusCreated, http.StatusTooManyRequests} {
		resp, err := http.Post("http://"+addr+"/api/v1/items", "application/json", strings.NewReader(`{"name": "x"}`))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("POST %d: status %d, want %d (route limit 1/minute)", i+1, resp.StatusCode, want)
		}
	}
}

// A per-route limit for a route that does not exist is a start-up error.
func TestRateLimitUnknownRoute(t *testing.T) {
	// The schema is made once: a lookup per variable would make one each.
	env := map[string]string{"APP_ENV": "test", "DATABASE_URL": dbtest.URL(t), "RATE_LIMIT_ROUTES": "POST /api/v1/itemz=1/minute"}
	cfg, err := config.Load(func(key string) string { return env[key] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err == nil {
		_ = a.Close()
		t.Fatal("app.New accepted a limit for an unknown route")
	}
	if !strings.Contains(err.Error(), `"POST /api/v1/itemz"`) {
		t.Fatalf("error %q does not name the pattern", err)
	}
}
