package webhook

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// scripted answers each request with the next status of its script (the
// last one once the script is through) and reports every request on hits.
func scripted(t *testing.T, statuses ...int) (url string, hits chan int) {
	t.Helper()
	hits = make(chan int, 100)
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		status := statuses[min(i, len(statuses)-1)]
		hits <- status // before the answer: seen before Send returns
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, hits
}

func quietQueue(o QueueOptions) *Queue {
	o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return NewQueue(NewClient(Options{AllowPrivate: true, Timeout: 5 * time.Second}), o)
}

// next waits for the receiver's next request.
func next(t *testing.T, hits chan int) int {
	t.Helper()
	select {
	case s := <-hits:
		return s
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery attempt within 30 s")
		return 0
	}
}

func noMore(t *testing.T, hits chan int) {
	t.Helper()
	select {
	case s := <-hits:
		t.Errorf("an unexpected attempt (answered %d)", s)
	default:
	}
}

// 500, a redirect, then 200: retried with backoff until delivered.
func TestQueueRetriesUntilDelivered(t *testing.T) {
	url, hits := scripted(t, 500, 302, 200)
	q := quietQueue(QueueOptions{Base: time.Millisecond, Max: 2 * time.Millisecond})
	q.Enqueue(Delivery{URL: url, Secrets: testSecrets, Message: Message{ID: "msg_1", Body: []byte("{}")}})
	for _, want := range []int{500, 302, 200} {
		if got := next(t, hits); got != want {
			t.Fatalf("attempt answered %d, want %d", got, want)
		}
	}
	q.Stop(5 * time.Second)
	noMore(t, hits)
}

// 410 Gone stops at once.
func TestQueueStopsOnGone(t *testing.T) {
	url, hits := scripted(t, 410, 200)
	q := quietQueue(QueueOptions{Base: time.Millisecond})
	q.Enqueue(Delivery{URL: url, Secrets: testSecrets, Message: Message{ID: "msg_1", Body: []byte("{}")}})
	next(t, hits)
	q.Stop(5 * time.Second) // returns once the delivery gave up
	noMore(t, hits)
}

// Attempts are bounded.
func TestQueueGivesUp(t *testing.T) {
	url, hits := scripted(t, 503)
	q := quietQueue(QueueOptions{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond})
	q.Enqueue(Delivery{URL: url, Secrets: testSecrets, Message: Message{ID: "msg_1", Body: []byte("{}")}})
	for range 3 {
		next(t, hits)
	}
	q.Stop(5 * time.Second)
	noMore(t, hits)
}

// A shutdown does not drop a delivery waiting for its retry: it is tried
// once more at once, and Stop returns after that attempt.
func TestShutdownDeliversPending(t *testing.T) {
	url, hits := scripted(t, 500, 200)
	q := quietQueue(QueueOptions{Base: time.Hour, Max: time.Hour}) // the retry would be an hour away
	q.Enqueue(Delivery{URL: url, Secrets: testSecrets, Message: Message{ID: "msg_1", Body: []byte("{}")}})
	if got := next(t, hits); got != 500 {
		t.Fatalf("first attempt %d", got)
	}
	if q.Pending() != 1 {
		t.Fatalf("pending = %d, want 1 (waiting for its retry)", q.Pending())
	}
	q.Stop(5 * time.Second)
	select {
	case got := <-hits:
		if got != 200 {
			t.Errorf("last attempt answered %d", got)
		}
	default:
		t.Fatal("Stop returned without the last attempt")
	}
	if q.Pending() != 0 {
		t.Errorf("pending = %d after Stop", q.Pending())
	}
	// Enqueued during a shutdown: still one attempt.
	q.Enqueue(Delivery{URL: url, Secrets: testSecrets, Message: Message{ID: "msg_2", Body: []byte("{}")}})
	q.Stop(5 * time.Second)
	if got := next(t, hits); got != 200 {
		t.Errorf("late delivery answered %d", got)
	}
}

func TestBackoff(t *testing.T) {
	for attempt, max := range []time.Duration{0, 10, 20, 40, 80, 100, 100} {
		if attempt == 0 {
			continue
		}
		for range 20 {
			d := Backoff(10, 100, attempt)
			if d < max/2 || d > max {
				t.Fatalf("Backoff(attempt %d) = %d, want %d..%d", attempt, d, max/2, max)
			}
		}
	}
}

// Past MaxPending, deliveries are refused rather than held.
func TestQueueIsBounded(t *testing.T) {
	url, hits := scripted(t, 500)
	q := quietQueue(QueueOptions{Base: time.Hour, MaxPending: 2})
	d := Delivery{URL: url, Secrets: testSecrets, Message: Message{ID: "msg_1", Body: []byte("{}")}}
	for i := range 2 {
		if !q.Enqueue(d) {
			t.Fatalf("delivery %d refused below the bound", i+1)
		}
	}
	if q.Enqueue(d) {
		t.Error("a third delivery was taken with MaxPending 2")
	}
	next(t, hits)
	next(t, hits)
	q.Stop(5 * time.Second)
	if q.Pending() != 0 {
		t.Errorf("pending %d", q.Pending())
	}
}
