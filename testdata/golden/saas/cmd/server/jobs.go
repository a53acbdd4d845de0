package main

import (
	"context"
	"fmt"
	"log/slog"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/config"
)

// worker works background jobs until SIGINT or SIGTERM, without serving
// HTTP; then it stops fetching, lets running jobs finish within
// SHUTDOWN_TIMEOUT and cancels the rest, which run again later.
func worker(ctx context.Context, cfg config.Config, args []string, std stdio) error {
	if len(args) > 0 {
		return fmt.Errorf("worker takes no arguments, got %q", args)
	}
	log := slog.New(slog.NewJSONHandler(std.out, &slog.HandlerOptions{Level: cfg.LogLevel}))
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Work(ctx)
}
