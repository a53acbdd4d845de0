package app

import (
	"context"

	"example.com/myapp/internal/auth"
	"example.com/myapp/internal/config"
)

// wireAuthBuiltin is the service's own sign-in: tokens, refresh sessions,
// password hashing. Without an email feature, reset and verification
// tokens are logged (with the token only in development).
func (a *App) wireAuthBuiltin(_ context.Context, w *wiring) error {
	cfg := a.cfg
	svc, err := auth.New(w.db, w.v1.Users, auth.Config{
		Production: cfg.Env == config.Production,
		Secret:     cfg.JWTSecret, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience,
		AccessTTL: cfg.AuthAccessTTL, RefreshTTL: cfg.AuthRefreshTTL, SessionMaxAge: cfg.AuthSessionMaxAge,
		MaxConcurrentHashes: cfg.AuthMaxConcurrentHashes,
		OAuth: auth.OAuthConfig{
			RedirectBaseURL: cfg.OAuthRedirectBaseURL,
			GitHubClientID:  cfg.OAuthGitHubClientID, GitHubClientSecret: cfg.OAuthGitHubClientSecret,
			GoogleClientID: cfg.OAuthGoogleClientID, GoogleClientSecret: cfg.OAuthGoogleClientSecret,
		},
	}, auth.LogNotifier{Log: a.log, ShowTokens: cfg.Env == config.Development}, a.log)
	if err != nil {
		return err
	}
	w.v1.Auth, w.v1.Authenticator = svc, svc
	return nil
}
