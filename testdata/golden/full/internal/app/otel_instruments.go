package app

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/riverqueue/rivercontrib/otelriver"
)

// wireOtelInstruments adds the spans of the features wired before it
// (slot app.services, after them): one per Redis command and one per job inserted and worked.
func (a *App) wireOtelInstruments(_ context.Context, w *wiring) error {
	if w.tracing == nil {
		return nil
	}
	tp := w.tracing.TracerProvider()
	if w.redis != nil {
		// Without the commands' arguments: keys and values may hold client
		// addresses or user ids.
		if err := redisotel.InstrumentTracing(w.redis, redisotel.WithTracerProvider(tp), redisotel.WithDBStatement(false)); err != nil {
			return fmt.Errorf("redis tracing: %w", err)
		}
	}
	// The insert span is a child of the request's; the work span, in a
	// trace of its own named after the job's kind, links back to it
	// through the trace context river keeps in the job's metadata.
	w.jobs.Use(otelriver.NewMiddleware(&otelriver.MiddlewareConfig{
		TracerProvider:              tp,
		EnableTracePropagation:      true,
		EnableWorkSpanJobKindSuffix: true,
	}))
	return nil
}
