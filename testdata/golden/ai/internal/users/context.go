package users

import (
	"context"
	"strings"
)

// Authenticator turns a bearer token into the user it belongs to. Each
// auth feature provides one. It returns an apperr.Unauthorized error for a
// token that is missing, malformed, expired, forged, or whose user is gone.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (User, error)
}

type ctxKey struct{}

// WithUser returns ctx carrying u as the authenticated caller.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, ctxKey{}, u)
}

// FromContext returns the authenticated caller the API's guard stored in ctx.
func FromContext(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(ctxKey{}).(User)
	return u, ok
}

// BearerToken extracts the token of an "Authorization: Bearer <token>"
// header (scheme case-insensitive, RFC 9110 §11.1).
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 8192 {
		return "", false
	}
	return token, true
}
