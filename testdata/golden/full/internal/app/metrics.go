package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus/collectors"

	"example.com/myapp/internal/metrics"
)

// wireMetrics measures every request (w.chain.Outer: before anything else
// in the chain, so refused requests count too) and serves /metrics: on the
// main port behind METRICS_TOKEN, and on METRICS_PORT alone when set.
// Features register their own collectors with w.metrics in their wiring.
func (a *App) wireMetrics(_ context.Context, w *wiring) error {
	reg := metrics.NewRegistry()
	red, err := metrics.NewHTTP(reg)
	if err != nil {
		return err
	}
	a.metrics, w.metrics = reg, reg
	w.chain.Outer = append(w.chain.Outer, red.Middleware)

	token, port := a.cfg.MetricsToken, a.cfg.MetricsPort
	if token == "" && port == 0 {
		a.log.Warn("metrics are not served: set METRICS_TOKEN (bearer token for /metrics on the main port) or METRICS_PORT (a listener of their own)")
		return nil
	}
	if token != "" {
		w.mux.Handle("GET /metrics", reg.Handler(token, a.log))
	}
	if port != 0 {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", reg.Handler(token, a.log))
		a.background = append(a.background, func(ctx context.Context) error {
			return a.serveMetrics(ctx, mux)
		})
	}
	return nil
}

// wireMetricsDB exports the database pool's statistics (go_sql_*,
// db_name="main"), once the pool exists.
func (a *App) wireMetricsDB(_ context.Context, w *wiring) error {
	return w.metrics.Register(collectors.NewDBStatsCollector(w.db, "main"))
}

// serveMetrics serves h on METRICS_PORT (same host as the API) until ctx is
// done, then stops within SHUTDOWN_TIMEOUT. Scrapes are short: the server
// has the main one's timeouts.
func (a *App) serveMetrics(ctx context.Context, h http.Handler) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(a.cfg.Host, strconv.Itoa(a.cfg.MetricsPort)))
	if err != nil {
		return fmt.Errorf("metrics listen: %w", err)
	}
	a.log.InfoContext(ctx, "metrics listening", "addr", ln.Addr().String())
	srv := a.Server()
	srv.Handler = h
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("metrics serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("metrics shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics serve: %w", err)
	}
	return nil
}
