// Package app wires the service together: configuration in, a running HTTP
// server out. New builds what every service has; each feature is wired by
// one function in its own file of this package (internal/app/<feature>.go),
// called from New in dependency order.
package app

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/redis/go-redis/v9"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/audit"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db"
	"example.com/myapp/internal/email"
	"example.com/myapp/internal/health"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/jobs"
	"example.com/myapp/internal/metrics"
	"example.com/myapp/internal/telemetry"
	"example.com/myapp/internal/ws"
)

// Name is the service name, shown in the API docs.
const Name = "myapp"

// Version is the API version shown in the OpenAPI document.
const Version = "1.0.0"

// App is the wired service.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	handler http.Handler
	chain   httpx.ChainOptions // the middleware as wired (BenchmarkChain measures it)
	closers []func() error
	drain   health.Drain // started on shutdown: /health/ready answers 503
	banner  io.Writer    // see Announce; nil for none
	// stopping runs after the drain, before the server stops (see
	// Shutdown.Before): features close the connections http.Server does not
	// track, such as WebSockets.
	stopping []func(context.Context)
	// background is work the features run beside the HTTP server in Run
	// (e.g. jobs worked in this process): each func runs until its context
	// is cancelled on shutdown and then stops within cfg.ShutdownTimeout.
	background []func(ctx context.Context) error
	metrics    *metrics.Registry // what /metrics serves (feature metrics)
	jobs       *jobs.Service     // the job system (feature jobs), for Work
}

// wiring is what New builds the service from: the parts every feature may
// use and add to. A feature's wiring function appends its readiness checks
// and middleware, fills its v1 dependencies, and shares what others use.
type wiring struct {
	// Set by the app.telemetry steps, which run before anything else is
	// built, for the parts built after them to pick up: openDB opens the
	// database pool over its driver (sql.OpenDB unless a feature traces
	// queries), and outbound wraps every outbound HTTP client (see
	// transport).
	openDB   func(driver.Connector) *sql.DB
	outbound []func(service string, rt http.RoundTripper) http.RoundTripper

	db      *sql.DB
	items   *items.SQLStore // the example resource's store; see SQLStore.AfterCreate
	mux     *http.ServeMux
	api     huma.API
	v1      v1.Deps            // what the v1 handlers need
	checks  []health.Check     // readiness checks, one per dependency
	chain   httpx.ChainOptions // the middleware; features add theirs by stage
	metrics *metrics.Registry  // Prometheus metrics (feature metrics): features register their collectors
	redis   *redis.Client      // Redis (feature redis); nil without REDIS_URL
	// audit is the audit log (admin): features after admin record their
	// admin changes with w.audit.Record, in the transaction of the change.
	audit   *audit.Log
	ai      *ai.Gateway         // the AI gateway; provider features register with it
	aiUsage *ai.SQLStore        // where the gateway keeps usage; InTx adds to each record's transaction
	jobs    *jobs.Service       // the job system (feature jobs): add workers and periodic jobs while wiring
	mailer  email.Mailer        // sends email (an email feature); see internal/app/email.go
	tracing *telemetry.Provider // the otel feature's; nil while tracing is off
	ws      *ws.Hub             // WebSockets (feature websocket): SendToUser, SendToChannel, SendToAll
}

// New connects to every dependency and builds the HTTP handler. Call Close
// when done, also after an error from Run.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *App, err error) {
	a := &App{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			_ = a.Close()
		}
	}()

	mux := http.NewServeMux()
	w := &wiring{
		openDB: sql.OpenDB,
		mux:    mux,
		api:    api.New(mux, Name, Version),
		chain: httpx.ChainOptions{
			Log:          log,
			HSTS:         cfg.HSTS,
			CORSOrigins:  cfg.CORSAllowedOrigins,
			MaxBodyBytes: cfg.MaxBodyBytes,
			ClientIP:     httpx.NewClientIP(cfg.TrustedProxies).Of,
		},
	}

	// Observability first: what it installs (a.log, w.openDB, w.outbound,
	// w.chain.Outer) is in place before anything it observes is built.
	for _, wire := range []func(context.Context, *wiring) error{
		a.wireMetrics,
		a.wireOtel,
	} {
		if err := wire(ctx, w); err != nil {
			return nil, err
		}
	}

	// Database.
	sqlDB, err := db.OpenWith(ctx, cfg.DatabaseURL, w.openDB)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, sqlDB.Close)
	if cfg.MigrateOnStart {
		if err := db.Migrate(ctx, sqlDB, a.log); err != nil {
			return nil, err
		}
	}
	itemStore := items.NewSQLStore(sqlDB)
	w.db, w.items = sqlDB, itemStore
	w.v1 = v1.Deps{Items: itemStore}
	w.checks = []health.Check{{Name: "database", Ping: sqlDB.PingContext}}

	// Features, dependencies first.
	for _, wire := range []func(context.Context, *wiring) error{
		a.wireMetricsDB, // the database pool's statistics
		a.wireRedis,
		a.wireUsers,
		a.wireAuthBuiltin,
		a.wireAdmin,
		a.wireAI,
		a.wireAIAnthropic,
		a.wireAIGemini,
		a.wireAIOpenAI,
		a.wireFeatureFlags,
		a.wireJobs,
		a.wireEmailSMTP,
		a.wireContact,
		a.wireOtelInstruments,
		a.wirePaymentsStripe,
		a.wireStorageLocal,
		a.wireWebsocket,
	} {
		if err := wire(ctx, w); err != nil {
			return nil, err
		}
	}

	// Routes: every API version; see internal/api/v1/routes.go.
	v1.Register(w.api, w.v1)
	for _, wire := range []func(context.Context, *wiring) error{
		a.wireVersioning,
	} {
		if err := wire(ctx, w); err != nil {
			return nil, err
		}
	}

	// Features whose middleware needs the registered routes.
	for _, wire := range []func(context.Context, *wiring) error{
		a.wireRatelimit,
		a.wireJobsClient, // after every feature has added its workers
	} {
		if err := wire(ctx, w); err != nil {
			return nil, err
		}
	}

	// Probes, and the middleware around everything (see httpx.Chain).
	mux.HandleFunc("GET /health/live", health.Live)
	mux.Handle("GET /health/ready", a.drain.Wrap(health.Ready(w.checks...)))
	a.chain = w.chain
	a.handler = httpx.Chain(httpx.Routes(mux), a.chain)
	return a, nil
}

// transport returns the RoundTripper an outbound HTTP client of service
// ("stripe", "openai", ...) sends through: rt (http.DefaultTransport when
// nil) wrapped by each of w.outbound in turn, so that observability
// features see every call (a client span, the trace context in its
// headers). Every feature that calls out builds its client on it.
func (w *wiring) transport(service string, rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	for _, wrap := range w.outbound {
		rt = wrap(service, rt)
	}
	return rt
}

// Handler returns the service's HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Close releases every dependency New opened, in reverse order.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// Announce makes Run write one line for people to w once it listens
// ("listening on http://localhost:8080, docs at /docs"), besides the log.
func (a *App) Announce(w io.Writer) { a.banner = w }

// Run serves HTTP on the configured port until ctx is cancelled (SIGINT or
// SIGTERM in production), then shuts down gracefully.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	a.log.InfoContext(ctx, "listening", "addr", ln.Addr().String(), "env", a.cfg.Env)
	if a.banner != nil {
		host := a.cfg.Host
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "localhost"
		}
		url := "http://" + net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		fmt.Fprintf(a.banner, "listening on %s, docs at /docs\n", url)
	}
	stop := Shutdown{Drain: a.cfg.ShutdownDrain, Timeout: a.cfg.ShutdownTimeout, Ready: &a.drain, Before: a.stopping}
	if len(a.background) == 0 {
		return Serve(ctx, a.Server(), ln, stop, a.log)
	}

	// Background work runs until ctx is done, like the server; one that
	// fails stops the server too.
	serveCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan error, len(a.background))
	for _, run := range a.background {
		go func() {
			err := run(serveCtx)
			if err != nil {
				cancel(err)
			}
			done <- err
		}()
	}
	err = Serve(serveCtx, a.Server(), ln, stop, a.log)
	cancel(nil)
	for range a.background {
		err = errors.Join(err, <-done)
	}
	return err
}

// Server returns the http.Server for the handler, with every timeout set:
// a zero timeout means none, which lets slow clients hold connections open.
func (a *App) Server() *http.Server {
	return &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: a.cfg.ReadHeaderTimeout,
		ReadTimeout:       a.cfg.ReadTimeout,
		WriteTimeout:      a.cfg.WriteTimeout,
		IdleTimeout:       a.cfg.IdleTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}

// Shutdown says how Serve stops.
type Shutdown struct {
	// Drain is how long /health/ready answers 503 (through Ready) before
	// the server stops accepting connections, so load balancers take the
	// instance out of rotation first. Zero stops at once.
	Drain time.Duration
	// Timeout bounds how long in-flight requests may then take to finish.
	Timeout time.Duration
	// Ready is started at the beginning of the drain; nil for none.
	Ready *health.Drain
	// Before run in order once the drain is over, before the server stops
	// accepting connections, each with a context bounded by Timeout. They
	// are for connections http.Server.Shutdown neither closes nor waits
	// for: hijacked ones, such as WebSockets.
	Before []func(context.Context)
}

// Serve runs srv on ln until ctx is done. Then it starts the drain
// (/health/ready answers 503 while every other request is still served),
// waits stop.Drain, runs stop.Before, stops accepting connections and waits
// up to stop.Timeout (for Before and the requests together) for in-flight
// requests to finish. It returns only after the
// shutdown is complete.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, stop Shutdown, log *slog.Logger) error {
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	if stop.Ready != nil {
		stop.Ready.Start()
	}
	if stop.Drain > 0 {
		log.Info("draining", "drain", stop.Drain.String())
		t := time.NewTimer(stop.Drain)
		select {
		case <-t.C:
		case err := <-serveErr: // the server failed meanwhile
			t.Stop()
			return fmt.Errorf("serve: %w", err)
		}
	}

	log.Info("shutting down", "timeout", stop.Timeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stop.Timeout)
	defer cancel()
	for _, before := range stop.Before {
		before(shutdownCtx)
	}
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}
