package app

import (
	"context"
	"time"

	"example.com/myapp/internal/api"
	v2 "example.com/myapp/internal/api/v2"
	"example.com/myapp/internal/health"
	"example.com/myapp/internal/versioning"
)

// wireVersioning serves API v2 beside v1, with its own OpenAPI document
// at /v2/openapi.json (docs at /v2/docs), on v1's services. It routes
// unversioned /api/... requests by the Accept-Version header and labels
// every API answer with its version, and v1's with its deprecation from
// API_V1_DEPRECATED_AT, API_V1_SUNSET_AT and API_V1_DEPRECATION_LINK.
// It runs once every service is wired, so v2 sees all of them.
func (a *App) wireVersioning(_ context.Context, w *wiring) error {
	v2.Register(api.NewAt(w.mux, "/v2", Name, v2.Version), v2.Deps{
		Checks:        func() []health.Check { return w.checks },
		Started:       time.Now(),
		Users:         w.v1.Users,
		Authenticator: w.v1.Authenticator,
	})
	router, err := versioning.New(1,
		versioning.Version{
			Number:     1,
			Deprecated: a.cfg.APIV1DeprecatedAt,
			Sunset:     a.cfg.APIV1SunsetAt,
			Link:       a.cfg.APIV1DeprecationLink,
		},
		versioning.Version{Number: 2},
	)
	if err != nil {
		return err
	}
	// Before the guards: a rate limit per route counts /api/items and
	// /api/v1/items alike.
	w.chain.Route = append(w.chain.Route, router.Middleware)
	w.chain.ExposedHeaders = append(w.chain.ExposedHeaders, versioning.ExposedHeaders...)
	return nil
}
