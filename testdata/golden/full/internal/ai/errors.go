package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// UpstreamError is a failed provider call. It holds only what is safe to
// log and to show: the provider, the HTTP status (0 when there was no
// answer), the wait the provider asked for and a fixed description. The
// vendor's error body is never kept, since vendors echo parts of the key
// or the prompt in it.
type UpstreamError struct {
	Provider   string
	Status     int           // the vendor's HTTP status; 0 for a transport failure
	RetryAfter time.Duration // from the vendor's Retry-After (Gemini: its RetryInfo), 0 if none
	Kind       string        // "status", "connection", "timeout" or "invalid response"
	retryable  bool
}

func (e *UpstreamError) Error() string {
	if e.Status != 0 {
		if text := http.StatusText(e.Status); text != "" {
			return fmt.Sprintf("%s answered %d %s", e.Provider, e.Status, text)
		}
		return fmt.Sprintf("%s answered %d", e.Provider, e.Status)
	}
	return fmt.Sprintf("%s: %s", e.Provider, e.Kind)
}

// Retryable reports whether another attempt may succeed: a 429, a 5xx
// (529 included: Anthropic's "overloaded"), a reset or refused connection.
// No other 4xx is ever retried.
func (e *UpstreamError) Retryable() bool { return e.retryable }

// Unwrap lets the retry loop (cenkalti/backoff) wait what the provider
// asked for in Retry-After.
func (e *UpstreamError) Unwrap() error {
	if e.retryable && e.RetryAfter > 0 {
		return &backoff.RetryAfterError{Duration: e.RetryAfter}
	}
	return nil
}

// maxRetryAfter is the longest Retry-After worth waiting for inside one
// call; a longer one fails the attempt at once (and the next provider, if
// any, is tried).
const maxRetryAfter = 10 * time.Second

// StatusError is the error of a provider that answered with HTTP status
// code and header h (nil if unknown).
func StatusError(provider string, code int, h http.Header) *UpstreamError {
	var after time.Duration
	if h != nil {
		after = parseRetryAfter(h.Get("Retry-After"), time.Now())
	}
	return StatusErrorAfter(provider, code, after)
}

// StatusErrorAfter is StatusError for a provider that says how long to wait
// in its error body rather than in Retry-After (Gemini's RetryInfo); after
// is 0 if it did not say.
func StatusErrorAfter(provider string, code int, after time.Duration) *UpstreamError {
	e := &UpstreamError{Provider: provider, Status: code, Kind: "status", RetryAfter: max(after, 0)}
	e.retryable = (code == http.StatusTooManyRequests || code >= 500) && e.RetryAfter <= maxRetryAfter
	return e
}

// parseRetryAfter reads delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// TransportError is the error of a provider call that got no usable
// answer: ctx's error when ctx ended it, else an UpstreamError that says
// what kind of failure it was (and keeps nothing of err's text, which may
// quote a URL or a body).
func TransportError(ctx context.Context, provider string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e := &UpstreamError{Provider: provider, Kind: "connection"}
	var netErr net.Error
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, io.ErrUnexpectedEOF):
		e.retryable = true
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Kind = "timeout"
	case errors.As(err, &syntax), errors.As(err, &typ):
		e.Kind = "invalid response"
	case errors.As(err, &netErr):
	default:
		e.Kind = "invalid response"
	}
	return e
}

// BudgetError is a call refused because the user's tokens for the UTC day
// reached AI_DAILY_TOKEN_BUDGET.
type BudgetError struct {
	RetryAfter time.Duration // until midnight UTC
}

func (e *BudgetError) Error() string { return "daily AI token budget exhausted" }

// BusyError is a call refused because too many calls are in progress, the
// user's own (PerUser) or the instance's.
type BusyError struct{ PerUser bool }

func (e *BusyError) Error() string {
	if e.PerUser {
		return "too many AI calls of this user in progress"
	}
	return "too many AI calls in progress"
}

// ErrPromptTooLarge is a prompt over AI_MAX_PROMPT_BYTES.
var ErrPromptTooLarge = errors.New("prompt too large")

// UnavailableError says that no provider can take a call: none is
// configured, the one named is not, or every circuit is open.
type UnavailableError struct {
	Reason     string
	RetryAfter time.Duration // when a circuit may close; 0 if unknown
}

func (e *UnavailableError) Error() string { return e.Reason }
