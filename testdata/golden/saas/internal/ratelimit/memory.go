package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the clients a Memory store tracks at once (about
// 100 bytes each).
const DefaultMaxKeys = 100_000

const shardCount = 64

// Memory is an in-process Store: a sliding-window counter per key, in
// shards that each have their own lock, so concurrent requests for
// different clients rarely wait on each other. Memory is bounded: a full
// shard first drops expired windows, then the least recently active of a
// random sample. Limits are per instance: with N replicas a client gets up
// to N times the limit (use Redis to share them).
type Memory struct {
	seed   maphash.Seed
	perCap int
	now    func() time.Time
	shards [shardCount]shard
}

type shard struct {
	mu sync.Mutex
	m  map[Key]window
	// nextExpiry is the earliest expiry a sweep saw; no sweep before it.
	nextExpiry int64
	_          [32]byte // keep shards on separate cache lines
}

// window is a sliding-window counter: the counts of the current and the
// previous fixed window. The estimate of requests in the last Window is
// prev weighted by how much of it still overlaps, plus cur. It needs two
// counters per client instead of a timestamp per request, and never
// allows more than the limit in any window aligned to it.
type window struct {
	start   int64 // start of the current fixed window, Unix ns, aligned to the size
	cur     int64
	prev    int64
	expires int64 // when both counts have slid out: start + 2*size
}

// NewMemory returns a Memory store holding at most maxKeys windows
// (DefaultMaxKeys if maxKeys <= 0).
func NewMemory(maxKeys int) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	m := &Memory{seed: maphash.MakeSeed(), perCap: max(maxKeys/shardCount, 1), now: time.Now}
	for i := range m.shards {
		m.shards[i].m = make(map[Key]window)
	}
	return m
}

// Allow records one request for key under spec and says whether it is
// within the limit. It never fails.
func (m *Memory) Allow(_ context.Context, key Key, spec Spec) (Decision, error) {
	now := m.now().UnixNano()
	s := &m.shards[maphash.Comparable(m.seed, key)%shardCount]
	s.mu.Lock()
	w, ok := s.m[key]
	if !ok && len(s.m) >= m.perCap {
		s.evict(now)
	}
	d := w.take(now, int64(spec.Window), int64(spec.Limit))
	s.m[key] = w
	if !ok {
		s.nextExpiry = min(s.nextExpiry, w.expires)
	}
	s.mu.Unlock()
	return d, nil
}

// Len returns the number of windows held.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// evict makes room in a full shard: expired windows go first; if none
// has expired, the least recently active of a few random windows. A sweep
// that finds nothing records when the first window will expire, so a
// shard full of active clients is not swept again on every new client.
func (s *shard) evict(now int64) {
	if now >= s.nextExpiry {
		n, next := len(s.m), int64(1<<63-1)
		for k, w := range s.m {
			if w.expires <= now {
				delete(s.m, k)
			} else {
				next = min(next, w.expires)
			}
		}
		s.nextExpiry = next
		if len(s.m) < n {
			return
		}
	}
	var victim Key
	oldest, seen := int64(0), 0
	for k, w := range s.m { // map iteration order is random: a sample
		if seen == 0 || w.expires < oldest {
			victim, oldest = k, w.expires
		}
		if seen++; seen == 8 {
			break
		}
	}
	delete(s.m, victim)
}

// take counts one request at now (ns) in a window of size ns allowing
// limit requests, and returns the decision.
func (w *window) take(now, size, limit int64) Decision {
	start := now - now%size
	switch start {
	case w.start:
	case w.start + size:
		w.prev, w.cur = w.cur, 0
	default:
		w.prev, w.cur = 0, 0
	}
	w.start, w.expires = start, start+2*size
	used := w.used(now, size)
	allowed := used+1 <= float64(limit)
	if allowed {
		w.cur++
		used++
	}
	remaining := int64(float64(limit) - used)
	if remaining < 0 {
		remaining = 0
	}
	// Reset: how long until one more request fits, i.e. until used has
	// fallen to limit-remaining-1.
	return Decision{
		Allowed:   allowed,
		Limit:     int(limit),
		Remaining: int(remaining),
		Reset:     time.Duration(w.waitUntil(now, size, float64(limit-remaining-1))),
	}
}

// used estimates the requests in the sliding window ending at now.
func (w *window) used(now, size int64) float64 {
	overlap := 1 - float64(now-w.start)/float64(size)
	return float64(w.prev)*overlap + float64(w.cur)
}

// waitUntil returns the ns until the estimate falls to target or below,
// given no further requests.
func (w *window) waitUntil(now, size int64, target float64) int64 {
	used := w.used(now, size)
	if used <= target {
		return 0
	}
	toEnd := w.start + size - now
	if w.prev > 0 {
		// In this window the estimate falls by prev per size.
		if d := int64((used - target) * float64(size) / float64(w.prev)); d < toEnd {
			return d + 1
		}
	}
	// At the end of this window cur becomes prev, and falls by cur per size.
	cur := float64(w.cur)
	if cur <= target {
		return toEnd
	}
	return toEnd + int64((cur-target)*float64(size)/cur) + 1
}
