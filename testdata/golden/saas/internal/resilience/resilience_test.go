package resilience

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var errDown = fmt.Errorf("dial: %w", syscall.ECONNREFUSED)

func TestBreakerOpensHalfOpensAndCloses(t *testing.T) {
	b := NewBreakers(BreakerSettings{Failures: 3, OpenFor: 50 * time.Millisecond})
	fail := func() (int, error) { return 0, errDown }
	for range 3 {
		if _, err := Execute(b, "billing", fail); !errors.Is(err, errDown) {
			t.Fatalf("closed breaker: err = %v, want the call's error", err)
		}
	}
	if s := b.State("billing"); s != StateOpen {
		t.Fatalf("after 3 failures: state %v, want open", s)
	}
	called := false
	if _, err := Execute(b, "billing", func() (int, error) { called = true; return 1, nil }); !errors.Is(err, ErrOpen) || called {
		t.Fatalf("open breaker: err = %v, called = %v; want ErrOpen without calling", err, called)
	}
	if s := b.State("other"); s != StateClosed {
		t.Fatalf("breakers are per name: other is %v", s)
	}
	time.Sleep(60 * time.Millisecond)
	if s := b.State("billing"); s != StateHalfOpen {
		t.Fatalf("after OpenFor: state %v, want half-open", s)
	}
	if v, err := Execute(b, "billing", func() (int, error) { return 7, nil }); err != nil || v != 7 {
		t.Fatalf("probe = %v, %v", v, err)
	}
	if s := b.State("billing"); s != StateClosed {
		t.Fatalf("after a good probe: state %v, want closed", s)
	}
}

func TestBreakerConcurrent(t *testing.T) {
	b := NewBreakers(BreakerSettings{Failures: 1000})
	var wg sync.WaitGroup
	var calls atomic.Int64
	for i := range 50 {
		wg.Go(func() {
			for range 20 {
				_, _ = Execute(b, fmt.Sprint("dep", i%5), func() (int, error) { calls.Add(1); return 0, nil })
			}
		})
	}
	wg.Wait()
	if calls.Load() != 1000 {
		t.Fatalf("calls = %d, want 1000", calls.Load())
	}
}

func TestRetry(t *testing.T) {
	p := Policy{Attempts: 4, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}
	t.Run("retries transient errors until success", func(t *testing.T) {
		n := 0
		v, err := Retry(context.Background(), p, func(context.Context) (string, error) {
			if n++; n < 3 {
				return "", errDown
			}
			return "ok", nil
		})
		if v != "ok" || err != nil || n != 3 {
			t.Fatalf("Retry = %q, %v after %d calls; want ok after 3", v, err, n)
		}
	})
	t.Run("gives up after Attempts", func(t *testing.T) {
		n := 0
		_, err := Retry(context.Background(), p, func(context.Context) (int, error) { n++; return 0, errDown })
		if !errors.Is(err, errDown) || n != 4 {
			t.Fatalf("err = %v after %d calls; want errDown after 4", err, n)
		}
	})
	t.Run("does not retry permanent errors", func(t *testing.T) {
		n := 0
		bad := &StatusError{Code: 400}
		_, err := Retry(context.Background(), p, func(context.Context) (int, error) { n++; return 0, bad })
		if !errors.Is(err, bad) || n != 1 {
			t.Fatalf("err = %v after %d calls; want the 400 after 1", err, n)
		}
	})
	t.Run("honours context cancellation during the wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		slow := Policy{Attempts: 10, Backoff: time.Hour, MaxBackoff: time.Hour}
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		_, err := Retry(ctx, slow, func(context.Context) (int, error) { return 0, errDown })
		if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
			t.Fatalf("err = %v after %v; want context.Canceled at once", err, time.Since(start))
		}
	})
}

func TestDoTimeoutBreakerFallback(t *testing.T) {
	b := NewBreakers(BreakerSettings{Failures: 2, OpenFor: time.Hour})
	p := Policy{Name: "slow", Timeout: 10 * time.Millisecond, Attempts: 5, Backoff: time.Millisecond}
	n := 0
	_, err := Do(context.Background(), b, p, func(ctx context.Context) (int, error) {
		n++
		<-ctx.Done() // a dependency that hangs until the per-attempt timeout
		return 0, ctx.Err()
	})
	// Two timeouts open the breaker; the third attempt fails fast with
	// ErrOpen, which is not retried.
	if !errors.Is(err, ErrOpen) || n != 2 {
		t.Fatalf("Do = %v after %d calls; want ErrOpen after 2", err, n)
	}
	v, err := Fallback(0, err, func(error) (int, error) { return -1, nil })
	if v != -1 || err != nil {
		t.Fatalf("Fallback = %v, %v; want -1, nil", v, err)
	}
	if v, err := Fallback(5, nil, func(error) (int, error) { return -1, nil }); v != 5 || err != nil {
		t.Fatalf("Fallback(ok) = %v, %v", v, err)
	}
}

func TestIsRetryable(t *testing.T) {
	for err, want := range map[error]bool{
		errDown:                         true,
		io.ErrUnexpectedEOF:             true,
		context.DeadlineExceeded:        true,
		&StatusError{Code: 503}:         true,
		&StatusError{Code: 429}:         true,
		&StatusError{Code: 500}:         false,
		&StatusError{Code: 404}:         false,
		context.Canceled:                false,
		ErrOpen:                         false,
		errors.New("validation failed"): false,
	} {
		if got := IsRetryable(err); got != want {
			t.Errorf("IsRetryable(%v) = %v, want %v", err, got, want)
		}
	}
}
