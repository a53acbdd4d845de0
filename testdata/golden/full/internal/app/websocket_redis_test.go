package app_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

// With Redis gone, readiness reports the WebSocket fan-out as degraded
// (200: the instance still serves its own clients), and ok once it is back.
func TestWebSocketReadinessWithRedisOutage(t *testing.T) {
	mr := miniredis.RunT(t)
	addr := startServer(t, map[string]string{"REDIS_URL": "redis://" + mr.Addr() + "/0"})
	ready := func() (int, string, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/health/ready")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Status, body.Checks["websocket"]
	}
	if code, status, ws := ready(); code != http.StatusOK || status != "ok" || ws != "ok" {
		t.Fatalf("with Redis: %d %s websocket=%s", code, status, ws)
	}
	redisAddr := mr.Addr()
	mr.Close()
	if code, status, ws := ready(); code != http.StatusOK || status != "degraded" || ws != "degraded" {
		t.Fatalf("without Redis: %d %s websocket=%s, want 200 degraded", code, status, ws)
	}
	if err := mr.StartAddr(redisAddr); err != nil {
		t.Fatal(err)
	}
	if code, status, ws := ready(); code != http.StatusOK || status != "ok" || ws != "ok" {
		t.Fatalf("Redis back: %d %s websocket=%s, want ok again", code, status, ws)
	}
}
