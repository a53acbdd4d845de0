// Package app wires the service together: configuration in, a running HTTP
// server out. It is the one place where features are connected; each
// feature adds a short, commented section to New.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/auth"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db"
	"example.com/myapp/internal/health"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/ratelimit"
	"example.com/myapp/internal/users"
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
	closers []func() error
	drain   health.Drain // started on shutdown: /health/ready answers 503
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

	// Database.
	sqlDB, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, sqlDB.Close)
	if cfg.MigrateOnStart {
		if err := db.Migrate(ctx, sqlDB, log); err != nil {
			return nil, err
		}
	}

	// Stores and services.
	itemStore := items.NewSQLStore(sqlDB)
	userStore := users.NewSQLStore(sqlDB)

	// Built-in authentication: tokens, refresh sessions, password hashing.
	// Without an email feature, reset and verification tokens are logged
	// (with the token only in development).
	authSvc, err := auth.New(sqlDB, userStore, auth.Config{
		Production: cfg.Env == config.Production,
		Secret:     cfg.JWTSecret, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience,
		AccessTTL: cfg.AuthAccessTTL, RefreshTTL: cfg.AuthRefreshTTL, SessionMaxAge: cfg.AuthSessionMaxAge,
		MaxConcurrentHashes: cfg.AuthMaxConcurrentHashes,
		OAuth: auth.OAuthConfig{
			RedirectBaseURL: cfg.OAuthRedirectBaseURL,
			GitHubClientID:  cfg.OAuthGitHubClientID, GitHubClientSecret: cfg.OAuthGitHubClientSecret,
			GoogleClientID: cfg.OAuthGoogleClientID, GoogleClientSecret: cfg.OAuthGoogleClientSecret,
		},
	}, auth.LogNotifier{Log: log, ShowTokens: cfg.Env == config.Development}, log)
	if err != nil {
		return nil, err
	}

	// Rate limits (feature ratelimit), counted in memory.
	var rateStore ratelimit.Store = ratelimit.NewMemory(ratelimit.DefaultMaxKeys)

	// Readiness checks: one per dependency. Optional ones only degrade.
	checks := []health.Check{
		{Name: "database", Ping: sqlDB.PingContext},
	}

	// HTTP routes.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/live", health.Live)
	mux.Handle("GET /health/ready", a.drain.Wrap(health.Ready(checks...)))
	apiV1 := api.New(mux, Name, Version)
	deps := v1.Deps{Items: itemStore}
	// Users: who the caller is comes from the auth feature.
	deps.Users = userStore
	deps.Guard, deps.Auth = users.NewGuard(apiV1, authSvc), authSvc
	v1.Register(apiV1, deps)

	// Middleware: see httpx.Chain for what runs in which order.
	chain := httpx.ChainOptions{
		Log:          log,
		HSTS:         cfg.HSTS,
		CORSOrigins:  cfg.CORSAllowedOrigins,
		MaxBodyBytes: cfg.MaxBodyBytes,
		ClientIP:     httpx.NewClientIP(cfg.TrustedProxies).Of,
	}
	limiter, err := ratelimit.New(ratelimit.Config{
		Default:  cfg.RateLimitDefault,
		Routes:   cfg.RateLimitRoutes,
		Store:    rateStore,
		Mux:      mux,
		ClientIP: chain.ClientIP,
	})
	if err != nil {
		return nil, err
	}
	chain.RateLimit = limiter.Middleware
	a.handler = httpx.Chain(httpx.Routes(mux), chain)
	return a, nil
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

// Run serves HTTP on the configured port until ctx is cancelled (SIGINT or
// SIGTERM in production), then shuts down gracefully.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	a.log.InfoContext(ctx, "listening", "addr", ln.Addr().String(), "env", a.cfg.Env)
	stop := Shutdown{Drain: a.cfg.ShutdownDrain, Timeout: a.cfg.ShutdownTimeout, Ready: &a.drain}
	return Serve(ctx, a.Server(), ln, stop, a.log)
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
}

// Serve runs srv on ln until ctx is done. Then it starts the drain
// (/health/ready answers 503 while every other request is still served),
// waits stop.Drain, stops accepting connections and waits up to
// stop.Timeout for in-flight requests to finish. It returns only after the
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
