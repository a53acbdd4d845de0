package ratelimit

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"example.com/myapp/internal/resilience"
)

// redisStores returns a Redis store on miniredis and, when REDIS_URL is set
// (CI), one on that server, under a key prefix of its own.
func redisStores(t *testing.T) map[string]*Redis {
	t.Helper()
	mr := miniredis.RunT(t)
	stores := map[string]*Redis{"miniredis": NewRedis(redis.NewClient(&redis.Options{Addr: mr.Addr()}), "test:")}
	if url := os.Getenv("REDIS_URL"); url != "" {
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatalf("REDIS_URL: %v", err)
		}
		c := redis.NewClient(opt)
		t.Cleanup(func() { _ = c.Close() })
		prefix := "test:" + t.Name() + ":" + strings.ToLower(time.Now().Format("150405.000000000")) + ":"
		t.Cleanup(func() {
			keys, _ := c.Keys(context.Background(), prefix+"*").Result()
			if len(keys) > 0 {
				c.Del(context.Background(), keys...)
			}
		})
		stores["redis"] = NewRedis(c, prefix)
	}
	return stores
}

func TestRedisSlidingLog(t *testing.T) {
	for name, s := range redisStores(t) {
		t.Run(name, func(t *testing.T) {
			key := Key{"default", clientA}
			for i := range 60 {
				d, err := s.Allow(context.Background(), key, minute)
				if err != nil || !d.Allowed || d.Remaining != 59-i {
					t.Fatalf("request %d: %+v, %v; want allowed with %d remaining", i+1, d, err, 59-i)
				}
			}
			d, err := s.Allow(context.Background(), key, minute)
			if err != nil || d.Allowed || d.Remaining != 0 || d.Reset <= 0 || d.Reset > time.Minute {
				t.Fatalf("request 61: %+v, %v; want denied, reset within the window", d, err)
			}
			if d, _ := s.Allow(context.Background(), Key{"default", clientB}, minute); !d.Allowed {
				t.Fatal("another client was limited")
			}
		})
	}
}

func TestRedisExactlyNOfConcurrent(t *testing.T) {
	for name, s := range redisStores(t) {
		t.Run(name, func(t *testing.T) {
			var allowed atomic.Int64
			var wg sync.WaitGroup
			for range 200 {
				wg.Go(func() {
					d, err := s.Allow(context.Background(), Key{"default", clientA}, minute)
					if err != nil {
						t.Error(err)
					}
					if d.Allowed {
						allowed.Add(1)
					}
				})
			}
			wg.Wait()
			if allowed.Load() != 60 {
				t.Fatalf("%d of 200 concurrent requests allowed, want exactly 60", allowed.Load())
			}
		})
	}
}

// countingHandler counts log records by level.
type countingHandler struct {
	slog.Handler
	mu     sync.Mutex
	counts map[slog.Level]int
}

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	h.counts[r.Level]++
	h.mu.Unlock()
	return h.Handler.Handle(ctx, r)
}

func TestFallbackWhenRedisStops(t *testing.T) {
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer client.Close()
	var logs bytes.Buffer
	logged := &countingHandler{Handler: slog.NewTextHandler(&logs, nil), counts: map[slog.Level]int{}}
	f := NewFallback(NewRedis(client, "rl:"), NewMemory(0), slog.New(logged))
	f.breakers = resilience.NewBreakers(resilience.BreakerSettings{Failures: 2, OpenFor: 50 * time.Millisecond})
	h := newTestLimiter(t, Config{Default: Spec{Limit: 5, Window: time.Minute}, Store: f})

	for range 3 {
		if w := get(h, "GET", "/api/v1/items", "192.0.2.1:1", ""); w.Code != http.StatusNoContent {
			t.Fatalf("with Redis: status %d", w.Code)
		}
	}
	if f.Degraded() || f.Check(context.Background()) != nil {
		t.Fatal("degraded while Redis is up")
	}

	mr.Close()
	codes := map[int]int{}
	for range 20 {
		codes[get(h, "GET", "/api/v1/items", "192.0.2.1:1", "").Code]++
	}
	// Memory starts from zero: 5 more pass, then the limit holds. Never 500.
	if codes[http.StatusNoContent] != 5 || codes[http.StatusTooManyRequests] != 15 {
		t.Fatalf("with Redis stopped: status counts %v, want 5 × 204 and 15 × 429", codes)
	}
	if !f.Degraded() || f.Check(context.Background()) != ErrDegraded {
		t.Fatal("not reported as degraded with Redis stopped")
	}
	if n := logged.counts[slog.LevelError]; n != 1 {
		t.Fatalf("%d error logs for one outage, want exactly 1:\n%s", n, &logs)
	}

	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.Degraded() && time.Now().Before(deadline) {
		time.Sleep(60 * time.Millisecond)
		get(h, "GET", "/api/v1/items", "192.0.2.99:1", "")
	}
	if f.Degraded() || !strings.Contains(logs.String(), "reachable again") {
		t.Fatalf("not recovered after Redis came back:\n%s", &logs)
	}
}
