package app

import (
	"context"

	"example.com/myapp/internal/health"
	"example.com/myapp/internal/redisx"
)

// wireRedis connects to Redis, shared by the features that use it through
// w.redis. Without REDIS_URL, w.redis stays nil and they keep their state
// in this process.
func (a *App) wireRedis(_ context.Context, w *wiring) error {
	if a.cfg.RedisURL == "" {
		a.log.Info("REDIS_URL is not set: rate limits and other shared state are per instance")
		return nil
	}
	client, err := redisx.Open(a.cfg.RedisURL)
	if err != nil {
		return err
	}
	a.closers = append(a.closers, client.Close)
	w.redis = client
	w.checks = append(w.checks, health.Check{Name: "redis", Ping: redisx.Ping(client), Optional: true})
	return nil
}
