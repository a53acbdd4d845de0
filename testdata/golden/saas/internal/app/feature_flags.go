package app

import (
	"context"

	"github.com/open-feature/go-sdk/openfeature"

	"example.com/myapp/internal/flags"
)

// wireFeatureFlags loads the feature flags into memory and serves them:
// to handlers through flags.Enabled (the middleware puts the service in
// every request's context), to the OpenFeature client as its default
// provider, and to the v1 API. Every change is written to the
// audit log in its own transaction.
func (a *App) wireFeatureFlags(ctx context.Context, w *wiring) error {
	store := flags.NewSQLStore(w.db)
	store = store.WithRecorder(flags.AuditLog(w.audit))
	cfg := flags.Config{
		Store:   store,
		Plans:   flags.NewSQLPlans(w.db),
		Refresh: a.cfg.FlagsRefreshInterval,
		Log:     a.log,
	}
	svc, err := flags.New(ctx, cfg)
	if err != nil {
		return err
	}
	a.closers = append(a.closers, svc.Close)
	if err := openfeature.SetProviderAndWait(svc.Provider()); err != nil {
		return err
	}
	w.v1.Flags = svc
	w.chain.Inner = append(w.chain.Inner, svc.Middleware)
	return nil
}
