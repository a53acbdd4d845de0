package auth

import (
	"sync"
	"time"
)

// throttle counts failed sign-ins per key (an email, an IP address) in a
// fixed window and refuses further attempts once a key reaches its limit.
// It only slows guessing down: it never locks an account for good, so an
// attacker cannot lock a victim out for longer than the window.
//
// It lives in memory, so with several instances each one counts on its
// own; the general rate limiter still applies in front of it.
type throttle struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	now     func() time.Time
	entries map[string]*throttleEntry
}

type throttleEntry struct {
	failures int
	reset    time.Time
}

// maxThrottleKeys bounds the memory a flood of distinct keys can take.
const maxThrottleKeys = 100_000

func newThrottle(limit int, window time.Duration, now func() time.Time) *throttle {
	return &throttle{limit: limit, window: window, now: now, entries: map[string]*throttleEntry{}}
}

// blocked reports whether key has reached its limit, and for how long.
func (t *throttle) blocked(key string) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[key]
	now := t.now()
	if !ok || !now.Before(e.reset) {
		return 0, false
	}
	if e.failures >= t.limit {
		return e.reset.Sub(now), true
	}
	return 0, false
}

// fail records a failure for key.
func (t *throttle) fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e, ok := t.entries[key]
	if !ok || !now.Before(e.reset) {
		if len(t.entries) >= maxThrottleKeys {
			t.sweep(now)
		}
		e = &throttleEntry{reset: now.Add(t.window)}
		t.entries[key] = e
	}
	e.failures++
}

// clear forgets key's failures (after a successful sign-in).
func (t *throttle) clear(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.entries, key)
}

// sweep drops expired entries; if none expired, the oldest go, so memory
// stays bounded even under a flood of fresh keys.
func (t *throttle) sweep(now time.Time) {
	for k, e := range t.entries {
		if !now.Before(e.reset) {
			delete(t.entries, k)
		}
	}
	for k := range t.entries {
		if len(t.entries) < maxThrottleKeys*9/10 {
			break
		}
		delete(t.entries, k)
	}
}
