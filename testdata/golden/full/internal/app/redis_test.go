package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

// With Redis gone the service stays ready but says it is degraded.
func TestRedisOutageDegrades(t *testing.T) {
	mr := miniredis.RunT(t)
	addr := startServer(t, map[string]string{"REDIS_URL": "redis://" + mr.Addr() + "/0"})
	ready := func() (int, map[string]any) {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/health/ready")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &body)
		return resp.StatusCode, body
	}
	if code, body := ready(); code != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("with Redis: %d %v, want 200 ok", code, body)
	}

	mr.Close()
	code, body := ready()
	checks, _ := body["checks"].(map[string]any)
	if code != http.StatusOK || body["status"] != "degraded" || checks["redis"] != "degraded" {
		t.Fatalf("with Redis stopped: %d %v, want 200 degraded", code, body)
	}
}
