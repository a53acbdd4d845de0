package aitest

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"example.com/myapp/internal/ai"
)

// Fake is an in-process Provider for tests of the gateway and the API.
type Fake struct {
	ProviderName  string
	Model         string
	NotConfigured bool
	Deltas        []string // the answer, piece by piece
	Usage         ai.Usage
	// Before runs at the start of every call; its error is the call's
	// (after it has waited for ctx, if it wants).
	Before func(ctx context.Context, req ai.Request) error
	// After runs between deltas of a stream: it may stall or fail.
	After func(ctx context.Context, i int) error

	calls atomic.Int64
	last  atomic.Pointer[ai.Request]
}

var _ ai.Provider = (*Fake)(nil)

// Name implements ai.Provider.
func (f *Fake) Name() string { return f.ProviderName }

// DefaultModel implements ai.Provider.
func (f *Fake) DefaultModel() string { return f.Model }

// Configured implements ai.Provider.
func (f *Fake) Configured() bool { return !f.NotConfigured }

// Calls is the number of calls made to f.
func (f *Fake) Calls() int64 { return f.calls.Load() }

// Last is the request of the last call (zero before any).
func (f *Fake) Last() ai.Request {
	if r := f.last.Load(); r != nil {
		return *r
	}
	return ai.Request{}
}

func (f *Fake) start(ctx context.Context, req ai.Request) error {
	f.calls.Add(1)
	f.last.Store(&req)
	if f.Before != nil {
		return f.Before(ctx, req)
	}
	return nil
}

func (f *Fake) response(req ai.Request) ai.Response {
	return ai.Response{Content: strings.Join(f.Deltas, ""), Model: req.Model, Usage: f.Usage, FinishReason: ai.FinishStop}
}

// Complete implements ai.Provider.
func (f *Fake) Complete(ctx context.Context, req ai.Request) (ai.Response, error) {
	if err := f.start(ctx, req); err != nil {
		return ai.Response{}, err
	}
	return f.response(req), nil
}

// Stream implements ai.Provider.
func (f *Fake) Stream(ctx context.Context, req ai.Request, onDelta func(string) error) (ai.Response, error) {
	if err := f.start(ctx, req); err != nil {
		return ai.Response{}, err
	}
	for i, d := range f.Deltas {
		if err := onDelta(d); err != nil {
			return ai.Response{}, err
		}
		if f.After != nil {
			if err := f.After(ctx, i); err != nil {
				return ai.Response{Model: req.Model}, err
			}
		}
	}
	return f.response(req), nil
}

// Stall is an After that blocks until ctx ends, like a vendor that stops
// sending, and returns ctx's error.
func Stall(ctx context.Context, _ int) error {
	<-ctx.Done()
	return ctx.Err()
}

// MemoryUsage is an in-memory ai.UsageStore.
type MemoryUsage struct {
	mu      sync.Mutex
	Records []ai.UsageRecord
}

// NewMemoryUsage returns an empty store.
func NewMemoryUsage() *MemoryUsage { return &MemoryUsage{} }

// Record implements ai.UsageStore.
func (m *MemoryUsage) Record(_ context.Context, r ai.UsageRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Records = append(m.Records, r)
	return nil
}

// TokensOn implements ai.UsageStore.
func (m *MemoryUsage) TokensOn(_ context.Context, user int64, day string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, r := range m.Records {
		if r.UserID == user && ai.Day(r.At) == day {
			n += r.Usage.Total()
		}
	}
	return n, nil
}

// Summary implements ai.UsageStore (one row per record, unsorted).
func (m *MemoryUsage) Summary(_ context.Context, user int64, since string) ([]ai.UsageRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var rows []ai.UsageRow
	for _, r := range m.Records {
		if (user == 0 || r.UserID == user) && ai.Day(r.At) >= since {
			rows = append(rows, ai.UsageRow{Day: ai.Day(r.At), UserID: r.UserID, Provider: r.Provider, Model: r.Model, Calls: 1,
				InputTokens: r.Usage.InputTokens, OutputTokens: r.Usage.OutputTokens, CostUSD: r.CostUSD})
		}
	}
	return rows, nil
}

// Snapshot returns a copy of the records.
func (m *MemoryUsage) Snapshot() []ai.UsageRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]ai.UsageRecord(nil), m.Records...)
}
