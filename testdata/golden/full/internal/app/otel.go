package app

import (
	"context"
	"log/slog"
	"os"

	"example.com/myapp/internal/db"
	"example.com/myapp/internal/telemetry"
)

// wireOtel sets up tracing (slot app.telemetry, before anything it traces
// is built). With tracing on it installs the server middleware (Outer, so
// the span covers the whole chain), the traced database driver, the
// outbound transport of every client, and the log handler that writes
// trace ids into log lines; w.tracing lets later features (Redis, jobs)
// add their own spans. With tracing off it installs nothing and logs why.
func (a *App) wireOtel(ctx context.Context, w *wiring) error {
	name := a.cfg.OTELServiceName
	if name == "" {
		name = Name
	}
	p, err := telemetry.Setup(ctx, telemetry.Config{
		Disabled:    a.cfg.OTELDisabled,
		Exporter:    a.cfg.OTELExporter,
		Endpoint:    a.cfg.OTELEndpoint,
		ServiceName: name,
		Version:     Version,
		Environment: string(a.cfg.Env),
		Sampler:     a.cfg.OTELSampler,
		Ratio:       a.cfg.OTELSamplerArg,
		Console:     os.Stderr, // standard output is the JSON log's
	})
	if err != nil {
		return err
	}
	if !p.Enabled() {
		a.log.Info("tracing off: " + p.Off())
		return nil
	}
	// Registered first, so closed last: the spans of everything else's
	// shutdown are exported too, within SHUTDOWN_TIMEOUT.
	a.closers = append(a.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
		defer cancel()
		return p.Shutdown(ctx)
	})
	a.log = slog.New(telemetry.LogHandler(a.log.Handler()))
	w.chain.Log = a.log
	w.tracing = p
	w.openDB = p.OpenDB(db.System)
	w.outbound = append(w.outbound, p.Transport)
	w.chain.Outer = append(w.chain.Outer, p.Middleware)
	a.log.Info("tracing on", "exporter", string(a.cfg.OTELExporter), "sampler", string(a.cfg.OTELSampler), "ratio", float64(a.cfg.OTELSamplerArg))
	return nil
}
