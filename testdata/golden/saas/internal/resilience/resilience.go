// Package resilience protects calls to other services: a circuit breaker
// per dependency, retries with exponential backoff and jitter, per-attempt
// timeouts and fallbacks. It is glue over sony/gobreaker and
// cenkalti/backoff; outbound HTTP clients and other remote calls go
// through Do.
//
// A typical call:
//
//	user, err := resilience.Do(ctx, breakers, resilience.Policy{Name: "billing", Timeout: 5 * time.Second, Attempts: 3},
//		func(ctx context.Context) (User, error) { return client.GetUser(ctx, id) })
package resilience

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Policy says how to call one dependency.
type Policy struct {
	// Name selects the circuit breaker; "" means no breaker.
	Name string
	// Timeout bounds each attempt; 0 means only ctx bounds it.
	Timeout time.Duration
	// Attempts is the maximum number of attempts; 0 or 1 means no retry.
	Attempts int
	// Backoff is the wait before the first retry, doubling (with ±50%
	// jitter) up to MaxBackoff. Defaults: 100ms and 5s.
	Backoff, MaxBackoff time.Duration
	// Retryable decides which errors are worth another attempt; nil means
	// IsRetryable.
	Retryable func(error) bool
}

// Do calls fn under p: each attempt passes through the named breaker and
// gets its own timeout; failed attempts are retried with backoff while the
// error is retryable, ctx is not done and attempts remain. An open breaker
// fails at once with ErrOpen, which is not retried.
func Do[T any](ctx context.Context, b *Breakers, p Policy, fn func(context.Context) (T, error)) (T, error) {
	attempt := func(ctx context.Context) (T, error) {
		if p.Timeout > 0 {
			return WithTimeout(ctx, p.Timeout, fn)
		}
		return fn(ctx)
	}
	if p.Name != "" && b != nil {
		inner := attempt
		attempt = func(ctx context.Context) (T, error) {
			return Execute(b, p.Name, func() (T, error) { return inner(ctx) })
		}
	}
	return Retry(ctx, p, attempt)
}

// Retry calls fn until it succeeds, returns a non-retryable error, ctx is
// done or p.Attempts are used up. The waits grow exponentially with jitter.
// It returns the last error (or ctx's cause when ctx ended the retries).
func Retry[T any](ctx context.Context, p Policy, fn func(context.Context) (T, error)) (T, error) {
	retryable := p.Retryable
	if retryable == nil {
		retryable = IsRetryable
	}
	eb := backoff.NewExponentialBackOff()
	eb.InitialInterval, eb.MaxInterval, eb.Multiplier, eb.RandomizationFactor = 100*time.Millisecond, 5*time.Second, 2, 0.5
	if p.Backoff > 0 {
		eb.InitialInterval = p.Backoff
	}
	if p.MaxBackoff > 0 {
		eb.MaxInterval = p.MaxBackoff
	}
	attempts := max(p.Attempts, 1)
	return backoff.Retry(ctx, func() (T, error) {
		v, err := fn(ctx)
		if err != nil && !retryable(err) {
			return v, backoff.Permanent(err)
		}
		return v, err
	}, backoff.WithBackOff(eb), backoff.WithMaxTries(uint(attempts)), backoff.WithMaxElapsedTime(0))
}

// WithTimeout calls fn with a context that ends after d.
func WithTimeout[T any](ctx context.Context, d time.Duration, fn func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return fn(ctx)
}

// Fallback returns v when err is nil, and otherwise what fallback makes of
// err: a cached or default value, or a clearer error.
func Fallback[T any](v T, err error, fallback func(error) (T, error)) (T, error) {
	if err == nil {
		return v, nil
	}
	return fallback(err)
}

// StatusError is an HTTP response status treated as an error, so that
// IsRetryable can tell 503 (retry) from 400 (don't).
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return "http status " + http.StatusText(e.Code) }

// IsRetryable reports whether err is likely transient: a network error or
// timeout, a refused or reset connection, an unexpected EOF, or an HTTP
// status of 408, 429, 502, 503 or 504. Cancellation, an open breaker and
// anything else are not retried.
func IsRetryable(err error) bool {
	var status *StatusError
	var netErr net.Error
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, ErrOpen), errors.Is(err, ErrTooManyRequests):
		return false
	case errors.As(err, &status):
		switch status.Code {
		case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return true
	}
	return false
}
