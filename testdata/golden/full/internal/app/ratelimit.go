package app

import (
	"context"

	"example.com/myapp/internal/health"
	"example.com/myapp/internal/ratelimit"
)

// wireRatelimit limits requests per client, counted in memory or, with
// Redis, across instances, falling back to memory while Redis is down.
// It runs after the routes are registered: a per-route limit naming a
// route that does not exist is a start-up error.
func (a *App) wireRatelimit(_ context.Context, w *wiring) error {
	var store ratelimit.Store = ratelimit.NewMemory(ratelimit.DefaultMaxKeys)
	if w.redis != nil {
		fallback := ratelimit.NewFallback(ratelimit.NewRedis(w.redis, Name+":ratelimit:"), ratelimit.NewMemory(ratelimit.DefaultMaxKeys), a.log)
		w.checks = append(w.checks, health.Check{Name: "ratelimit", Ping: fallback.Check, Optional: true})
		store = fallback
	}
	cfg := ratelimit.Config{
		Default:  a.cfg.RateLimitDefault,
		Routes:   a.cfg.RateLimitRoutes,
		Store:    store,
		Mux:      w.mux,
		ClientIP: w.chain.ClientIP,
	}
	decisions := ratelimit.NewMetrics() // ratelimit_requests_total{policy,decision}
	if err := w.metrics.Register(decisions); err != nil {
		return err
	}
	cfg.Observe = decisions.Observe
	limiter, err := ratelimit.New(cfg)
	if err != nil {
		return err
	}
	w.chain.Guard = append(w.chain.Guard, limiter.Middleware)
	return nil
}
