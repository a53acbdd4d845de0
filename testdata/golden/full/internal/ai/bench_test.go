package ai_test

import (
	"context"
	"io"
	"testing"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/ai/aitest"
)

// BenchmarkComplete is the gateway's overhead per completion against an
// in-process provider: validation, routing, admission, the breaker and
// the usage record (in memory here; the database adds its insert).
func BenchmarkComplete(b *testing.B) {
	o, _, _ := fakes()
	g := newGateway(testConfig(), discardUsage{aitest.NewMemoryUsage()}, o)
	c := ai.Call{Messages: hi(), UserID: 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Complete(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamChunk is the overhead per streamed chunk: the idle timer,
// the delta callback and the SSE framing of one event, per op one chunk
// of a 1,000-chunk stream.
func BenchmarkStreamChunk(b *testing.B) {
	o, _, _ := fakes()
	o.Deltas = make([]string, 1000)
	for i := range o.Deltas {
		o.Deltas[i] = "token "
	}
	g := newGateway(testConfig(), discardUsage{aitest.NewMemoryUsage()}, o)
	sse := ai.NewSSE(io.Discard, func() error { return nil })
	c := ai.Call{Messages: hi(), UserID: 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Stream(context.Background(), c, sse.Delta); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(o.Deltas)), "ns/chunk")
}

// discardUsage records nothing, so the benchmarks measure the gateway.
type discardUsage struct{ *aitest.MemoryUsage }

func (discardUsage) Record(context.Context, ai.UsageRecord) error { return nil }
