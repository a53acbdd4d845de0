package ratelimit

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock for Memory.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func newMemoryAt(t time.Time) (*Memory, *fakeClock) {
	c := &fakeClock{t: t}
	m := NewMemory(0)
	m.now = c.now
	return m, c
}

var (
	clientA = netip.MustParseAddr("192.0.2.1")
	clientB = netip.MustParseAddr("192.0.2.2")
	minute  = Spec{Limit: 60, Window: time.Minute}
)

func TestMemorySlidingWindow(t *testing.T) {
	start := time.Unix(1_700_000_040, 0) // a minute boundary
	m, clock := newMemoryAt(start)
	key := Key{"default", clientA}
	for i := range 60 {
		d, _ := m.Allow(context.Background(), key, minute)
		if !d.Allowed || d.Remaining != 59-i {
			t.Fatalf("request %d: %+v, want allowed with %d remaining", i+1, d, 59-i)
		}
	}
	d, _ := m.Allow(context.Background(), key, minute)
	if d.Allowed || d.Remaining != 0 || d.Reset <= 0 {
		t.Fatalf("request 61: %+v, want denied with a reset", d)
	}
	// Another client has its own window.
	if other, _ := m.Allow(context.Background(), Key{"default", clientB}, minute); !other.Allowed || other.Remaining != 59 {
		t.Fatalf("another client: %+v, want allowed with 59 remaining", other)
	}
	// Wait as long as told: the next request fits, one more does not.
	clock.add(d.Reset)
	if d, _ := m.Allow(context.Background(), key, minute); !d.Allowed {
		t.Fatalf("after Reset: %+v, want allowed", d)
	}
	if d, _ := m.Allow(context.Background(), key, minute); d.Allowed {
		t.Fatalf("right after: %+v, want denied", d)
	}
	// Half way through the next window half of the previous one has slid out.
	clock.t = start.Add(90 * time.Second)
	allowed := 0
	for range 60 {
		if d, _ := m.Allow(context.Background(), key, minute); d.Allowed {
			allowed++
		}
	}
	if allowed < 28 || allowed > 30 {
		t.Fatalf("half a window later %d allowed, want about 29", allowed)
	}
	// Two windows later everything has slid out.
	clock.t = start.Add(3 * time.Minute)
	if d, _ := m.Allow(context.Background(), key, minute); !d.Allowed || d.Remaining != 59 {
		t.Fatalf("two windows later: %+v, want a full quota", d)
	}
}

// The sliding window never lets a burst at a window boundary double the
// limit (the flaw of fixed windows).
func TestMemoryNoBoundaryBurst(t *testing.T) {
	start := time.Unix(1_700_000_040, 0)
	m, clock := newMemoryAt(start.Add(59 * time.Second))
	key := Key{"default", clientA}
	n := 0
	for range 120 {
		if d, _ := m.Allow(context.Background(), key, minute); d.Allowed {
			n++
		}
	}
	clock.add(2 * time.Second) // into the next fixed window
	for range 120 {
		if d, _ := m.Allow(context.Background(), key, minute); d.Allowed {
			n++
		}
	}
	if n > 62 {
		t.Fatalf("%d requests allowed within 2 s across a boundary, limit 60/minute", n)
	}
}

func TestMemoryExactlyNOfConcurrent(t *testing.T) {
	m := NewMemory(0)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			if d, _ := m.Allow(context.Background(), Key{"default", clientA}, minute); d.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 60 {
		t.Fatalf("%d of 200 concurrent requests allowed, want exactly 60", allowed.Load())
	}
}

func TestMemoryBounded(t *testing.T) {
	start := time.Unix(1_700_000_040, 0)
	m, clock := newMemoryAt(start)
	m.perCap = 4 // 256 keys in all
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }
	for i := range 10_000 {
		_, _ = m.Allow(context.Background(), Key{"default", addr(i)}, minute)
	}
	if n := m.Len(); n > 4*shardCount {
		t.Fatalf("%d windows held, want at most %d", n, 4*shardCount)
	}
	// Later, with every window expired, churn of clients on another
	// policy still keeps the store within its bound.
	clock.add(3 * time.Minute)
	active := Key{"default", clientA}
	for range 10 {
		_, _ = m.Allow(context.Background(), active, minute)
	}
	for i := range 10_000 {
		_, _ = m.Allow(context.Background(), Key{"other", addr(i)}, Spec{Limit: 1, Window: time.Hour})
	}
	if n := m.Len(); n > 4*shardCount {
		t.Fatalf("%d windows held, want at most %d", n, 4*shardCount)
	}
}

// BenchmarkMemoryAllow measures decisions per second under parallel load,
// over 10,000 clients.
func BenchmarkMemoryAllow(b *testing.B) {
	m := NewMemory(0)
	keys := make([]Key, 10_000)
	for i := range keys {
		keys[i] = Key{"default", netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})}
	}
	spec := Spec{Limit: 1_000_000, Window: time.Minute}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7919))
		for pb.Next() {
			i++
			_, _ = m.Allow(context.Background(), keys[i%len(keys)], spec)
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
}
