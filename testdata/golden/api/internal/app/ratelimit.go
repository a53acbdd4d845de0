package app

import (
	"context"

	"example.com/myapp/internal/ratelimit"
)

// wireRatelimit limits requests per client, counted in memory.
// It runs after the routes are registered: a per-route limit naming a
// route that does not exist is a start-up error.
func (a *App) wireRatelimit(_ context.Context, w *wiring) error {
	var store ratelimit.Store = ratelimit.NewMemory(ratelimit.DefaultMaxKeys)
	cfg := ratelimit.Config{
		Default:  a.cfg.RateLimitDefault,
		Routes:   a.cfg.RateLimitRoutes,
		Store:    store,
		Mux:      w.mux,
		ClientIP: w.chain.ClientIP,
	}
	limiter, err := ratelimit.New(cfg)
	if err != nil {
		return err
	}
	w.chain.Guard = append(w.chain.Guard, limiter.Middleware)
	return nil
}
