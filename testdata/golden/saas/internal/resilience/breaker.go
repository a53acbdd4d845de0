package resilience

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// The errors of an open (or probing half-open) breaker.
var (
	ErrOpen            = gobreaker.ErrOpenState
	ErrTooManyRequests = gobreaker.ErrTooManyRequests
)

// State is a breaker's state: closed (calls flow), open (calls fail at
// once) or half-open (a few probe calls decide).
type State = gobreaker.State

// The breaker states.
const (
	StateClosed   = gobreaker.StateClosed
	StateHalfOpen = gobreaker.StateHalfOpen
	StateOpen     = gobreaker.StateOpen
)

// BreakerSettings tune every breaker of a Breakers.
type BreakerSettings struct {
	// Failures is how many consecutive failures open a breaker (default 5).
	Failures uint32
	// OpenFor is how long a breaker stays open before probing (default 30s).
	OpenFor time.Duration
	// Probes is how many calls a half-open breaker lets through (default 1).
	Probes uint32
	// OnStateChange, if set, is told about every transition (log it).
	OnStateChange func(name string, from, to State)
}

// Breakers holds one circuit breaker per dependency name, created on first
// use. It is safe for concurrent use.
type Breakers struct {
	settings BreakerSettings
	mu       sync.Mutex
	m        map[string]*gobreaker.CircuitBreaker[any]
}

// NewBreakers returns an empty set of breakers sharing s.
func NewBreakers(s BreakerSettings) *Breakers {
	if s.Failures == 0 {
		s.Failures = 5
	}
	if s.OpenFor == 0 {
		s.OpenFor = 30 * time.Second
	}
	if s.Probes == 0 {
		s.Probes = 1
	}
	return &Breakers{settings: s, m: map[string]*gobreaker.CircuitBreaker[any]{}}
}

func (b *Breakers) get(name string) *gobreaker.CircuitBreaker[any] {
	b.mu.Lock()
	defer b.mu.Unlock()
	cb, ok := b.m[name]
	if !ok {
		s := b.settings
		cb = gobreaker.NewCircuitBreaker[any](gobreaker.Settings{
			Name:          name,
			MaxRequests:   s.Probes,
			Timeout:       s.OpenFor,
			ReadyToTrip:   func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= s.Failures },
			OnStateChange: s.OnStateChange,
			// The caller giving up is not the dependency failing.
			IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		})
		b.m[name] = cb
	}
	return cb
}

// State returns the state of the named breaker (closed if never used).
func (b *Breakers) State(name string) State { return b.get(name).State() }

// Execute calls fn through the named breaker: while it is open, fn is not
// called and the error is ErrOpen.
func Execute[T any](b *Breakers, name string, fn func() (T, error)) (T, error) {
	v, err := b.get(name).Execute(func() (any, error) { return fn() })
	t, _ := v.(T)
	return t, err
}
