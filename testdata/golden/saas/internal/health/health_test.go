package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"example.com/myapp/internal/health"
)

func TestReady(t *testing.T) {
	up := health.Check{Name: "database", Ping: func(context.Context) error { return nil }}
	down := health.Check{Name: "cache", Ping: func(context.Context) error { return errors.New("dial tcp: refused") }}
	optionalDown := health.Check{Name: "redis", Optional: true, Ping: down.Ping}
	tests := []struct {
		name       string
		checks     []health.Check
		wantStatus int
		wantType   string
		wantState  string // the "status" of a 200 answer
	}{
		{"no checks", nil, http.StatusOK, "application/json", "ok"},
		{"all up", []health.Check{up}, http.StatusOK, "application/json", "ok"},
		{"one down", []health.Check{up, down}, http.StatusServiceUnavailable, "application/problem+json", ""},
		{"optional down: degraded, still ready", []health.Check{up, optionalDown}, http.StatusOK, "application/json", "degraded"},
		{"required and optional down", []health.Check{down, optionalDown}, http.StatusServiceUnavailable, "application/problem+json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			health.Ready(tt.checks...)(rec, httptest.NewRequest(http.MethodGet, "/health/ready", nil))
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if tt.wantStatus != http.StatusOK && body["detail"] != "Unavailable: cache." {
				t.Errorf("detail = %v, want the failed check named and no cause", body["detail"])
			}
			if tt.wantStatus == http.StatusOK && body["status"] != tt.wantState {
				t.Errorf("status field = %v, want %q", body["status"], tt.wantState)
			}
		})
	}
}

func TestLive(t *testing.T) {
	rec := httptest.NewRecorder()
	health.Live(rec, httptest.NewRequest(http.MethodGet, "/health/live", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("status = %d, want 200", rec.Code)
	}
}

// A check's Details appear under details.<name> when it passes; a Details
// error fails the check.
func TestReadyDetails(t *testing.T) {
	ping := func(context.Context) error { return nil }
	depth := health.Check{Name: "jobs", Ping: ping, Details: func(context.Context) (any, error) {
		return map[string]int{"available": 3}, nil
	}}
	rec := httptest.NewRecorder()
	health.Ready(depth)(rec, httptest.NewRequest(http.MethodGet, "/health/ready", nil))
	var body struct {
		Details map[string]map[string]int `json:"details"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
	}
	if body.Details["jobs"]["available"] != 3 {
		t.Fatalf("details = %v, want jobs.available 3", body.Details)
	}

	broken := health.Check{Name: "jobs", Ping: ping, Details: func(context.Context) (any, error) { return nil, errors.New("no table") }}
	rec = httptest.NewRecorder()
	health.Ready(broken)(rec, httptest.NewRequest(http.MethodGet, "/health/ready", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("failing Details: status %d, want 503", rec.Code)
	}
}

// Run reports each check's state and how long it took, and the overall
// state: a failed optional check degrades, a failed required one makes the
// service unavailable.
func TestRun(t *testing.T) {
	slow := health.Check{Name: "database", Ping: func(context.Context) error { time.Sleep(20 * time.Millisecond); return nil }}
	down := health.Check{Name: "redis", Optional: true, Ping: func(context.Context) error { return errors.New("refused") }}
	rep := health.Run(context.Background(), slow, down)
	if rep.Status != health.StatusDegraded || len(rep.Results) != 2 {
		t.Fatalf("report %+v, want degraded with 2 results", rep)
	}
	if r := rep.Results[0]; r.Name != "database" || r.Status != health.StatusOK || r.Latency < 20*time.Millisecond {
		t.Errorf("database result %+v, want ok with latency >= 20ms", r)
	}
	if r := rep.Results[1]; r.Status != health.StatusDegraded || !r.Optional {
		t.Errorf("redis result %+v, want degraded and optional", r)
	}
	if failed := rep.Failed(); len(failed) != 0 {
		t.Errorf("Failed() = %v, want none (only an optional check failed)", failed)
	}
	required := health.Check{Name: "cache", Ping: down.Ping}
	if rep := health.Run(context.Background(), slow, required); rep.Status != health.StatusUnavailable || len(rep.Failed()) != 1 {
		t.Errorf("report %+v, want unavailable naming cache", rep)
	}
}
