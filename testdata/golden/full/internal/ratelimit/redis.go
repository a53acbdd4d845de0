package ratelimit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/myapp/internal/resilience"
)

// slidingLog is one atomic decision over a sorted set of request times:
// drop entries older than the window, count, add this request if it fits,
// refresh the key's expiry. The clock is Redis's own (TIME), so instances
// with skewed clocks agree. Returns {allowed, remaining, µs until the
// oldest entry leaves the window}.
var slidingLog = redis.NewScript(`
local key, limit, window, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local n = redis.call('ZCARD', key)
local allowed = 0
if n < limit then
  redis.call('ZADD', key, now, member)
  n = n + 1
  allowed = 1
end
redis.call('PEXPIRE', key, math.ceil(window / 1000))
local reset = 0
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
return {allowed, limit - n, reset}
`)

// Redis is a Store shared by every instance: a sliding log per key in a
// sorted set, updated by one Lua script per decision. Use it through
// Fallback, which keeps limits enforced when Redis is unreachable.
type Redis struct {
	client redis.Scripter
	prefix string
	seq    atomic.Uint64
	id     string // distinguishes this instance's members from others'
}

// NewRedis returns a Redis store whose keys start with prefix (e.g.
// "myapp:rl:").
func NewRedis(client redis.Scripter, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix, id: rand.Text()[:13]}
}

// Allow records one request for key under spec in Redis.
func (s *Redis) Allow(ctx context.Context, key Key, spec Spec) (Decision, error) {
	member := s.id + "-" + strconv.FormatUint(s.seq.Add(1), 36)
	res, err := slidingLog.Run(ctx, s.client,
		[]string{s.prefix + key.Policy + ":" + key.Client.String()},
		spec.Limit, spec.Window.Microseconds(), member).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit redis: %w", err)
	}
	if len(res) != 3 {
		return Decision{}, errors.New("ratelimit redis: unexpected script result")
	}
	return Decision{
		Allowed:   res[0] == 1,
		Limit:     spec.Limit,
		Remaining: int(res[1]),
		Reset:     time.Duration(res[2]) * time.Microsecond,
	}, nil
}

// Fallback uses a primary store (Redis) and, while it fails, a Memory
// store: limits stay enforced (per instance) and no request gets a 500.
// Each switch is logged once, and Check reports the degraded state to the
// readiness probe. A circuit breaker stops waiting on a dead Redis for
// every request; it retries Redis every few seconds.
type Fallback struct {
	primary  Store
	memory   *Memory
	log      *slog.Logger
	breakers *resilience.Breakers
	timeout  time.Duration
	degraded atomic.Bool
}

// ErrDegraded is what Check returns while limits come from memory.
var ErrDegraded = errors.New("rate limits are per instance: shared store unreachable, using in-memory fallback")

// NewFallback returns a store that prefers primary and falls back to memory.
func NewFallback(primary Store, memory *Memory, log *slog.Logger) *Fallback {
	return &Fallback{
		primary:  primary,
		memory:   memory,
		log:      log,
		breakers: resilience.NewBreakers(resilience.BreakerSettings{Failures: 3, OpenFor: 5 * time.Second}),
		timeout:  250 * time.Millisecond,
	}
}

// Allow asks the primary store and, if it fails, the memory store.
func (f *Fallback) Allow(ctx context.Context, key Key, spec Spec) (Decision, error) {
	d, err := resilience.Execute(f.breakers, "ratelimit", func() (Decision, error) {
		ctx, cancel := context.WithTimeout(ctx, f.timeout)
		defer cancel()
		return f.primary.Allow(ctx, key, spec)
	})
	if err == nil {
		if f.degraded.CompareAndSwap(true, false) {
			f.log.Info("rate limit store reachable again; limits are shared")
		}
		return d, nil
	}
	if f.degraded.CompareAndSwap(false, true) {
		f.log.Error("rate limit store unreachable; enforcing per-instance in-memory limits until it returns", "error", err.Error())
	}
	return f.memory.Allow(ctx, key, spec)
}

// Degraded reports whether limits currently come from memory.
func (f *Fallback) Degraded() bool { return f.degraded.Load() }

// Check is the readiness check: ErrDegraded while falling back.
func (f *Fallback) Check(context.Context) error {
	if f.degraded.Load() {
		return ErrDegraded
	}
	return nil
}
