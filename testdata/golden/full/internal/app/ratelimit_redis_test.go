package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

// With Redis gone, rate limits keep working from memory (200 or 429, never
// 500) and readiness reports the limiter as degraded.
func TestRateLimitRedisOutage(t *testing.T) {
	mr := miniredis.RunT(t)
	addr := startServer(t, map[string]string{"REDIS_URL": "redis://" + mr.Addr() + "/0", "RATE_LIMIT_DEFAULT": "5/minute"})
	mr.Close()
	codes := map[int]int{}
	for range 10 {
		resp, err := http.Get("http://" + addr + "/api/v1/items")
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		codes[resp.StatusCode]++
	}
	if codes[http.StatusOK] != 5 || codes[http.StatusTooManyRequests] != 5 {
		t.Fatalf("with Redis stopped: status counts %v, want 5 × 200 and 5 × 429 (memory fallback)", codes)
	}
	resp, err := http.Get("http://" + addr + "/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &body)
	checks, _ := body["checks"].(map[string]any)
	if resp.StatusCode != http.StatusOK || body["status"] != "degraded" || checks["ratelimit"] != "degraded" {
		t.Fatalf("with Redis stopped: %d %v, want 200 degraded with ratelimit degraded", resp.StatusCode, body)
	}
}
