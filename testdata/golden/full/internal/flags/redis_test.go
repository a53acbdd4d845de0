package flags_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/flags"
)

// redisClients returns a client of miniredis and, when REDIS_URL is set
// (CI), one of that server.
func redisClients(t *testing.T) map[string]*redis.Client {
	t.Helper()
	mr := miniredis.RunT(t)
	clients := map[string]*redis.Client{"miniredis": redis.NewClient(&redis.Options{Addr: mr.Addr()})}
	if url := os.Getenv("REDIS_URL"); url != "" {
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatalf("REDIS_URL: %v", err)
		}
		clients["redis"] = redis.NewClient(opt)
	}
	for _, c := range clients {
		t.Cleanup(func() { _ = c.Close() })
	}
	return clients
}

// A change on one instance reaches another through Redis at once: the
// second instance has no periodic refresh, so only the bus can tell it.
func TestInvalidationReachesAnotherInstance(t *testing.T) {
	for name, client := range redisClients(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			sqlDB := dbtest.Open(t)
			channel := "test:" + t.Name() + ":" + time.Now().Format("150405.000000000")
			a := open(t, sqlDB, flags.Config{Bus: flags.NewRedisBus(client, channel)})
			b := open(t, sqlDB, flags.Config{Bus: flags.NewRedisBus(client, channel)})
			if _, err := a.Create(ctx, flags.Flag{Key: "beta", Type: flags.Boolean, Enabled: true}, 0); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 2*time.Second, func() bool { return b.Evaluate(ctx, "beta", flags.Subject{}).Enabled })
			if _, err := a.Update(ctx, "beta", flags.Patch{Enabled: new(false)}, 0); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 2*time.Second, func() bool { return !b.Evaluate(ctx, "beta", flags.Subject{}).Enabled })
		})
	}
}

// With Redis down, changes still apply on the instance that made them,
// and the service starts and evaluates from its snapshot.
func TestRedisDown(t *testing.T) {
	ctx := context.Background()
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = client.Close() })
	mr.Close()
	s := open(t, dbtest.Open(t), flags.Config{Bus: flags.NewRedisBus(client, "test:down")})
	if _, err := s.Create(ctx, flags.Flag{Key: "beta", Type: flags.Boolean, Enabled: true}, 0); err != nil {
		t.Fatalf("create with Redis down: %v", err)
	}
	if !s.Evaluate(ctx, "beta", flags.Subject{}).Enabled {
		t.Error("the change did not apply on this instance with Redis down")
	}
}
