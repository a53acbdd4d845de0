package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

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
