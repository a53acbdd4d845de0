package users

import (
	"context"
	"strings"

	"example.com/myapp/internal/apperr"
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

// Impersonation says that a request is made by an admin acting as another
// user, with a token naming both (RFC 8693 §4.1: "act" is the actor, "sub"
// the user acted as). The handlers see the impersonated user as the caller
// (FromContext); what must stay out of an impersonator's reach checks
// Impersonating (see ForbidWhileImpersonating).
type Impersonation struct {
	// ActorID is the admin who acts; SubjectID the user acted as.
	ActorID, SubjectID int64
	// SessionID identifies the impersonation, so it can be ended.
	SessionID string
}

type impersonationKey struct{}

// WithImpersonation returns ctx marking its request as made under imp. The
// middleware that checked the impersonation token sets it, before the
// guard authenticates the token.
func WithImpersonation(ctx context.Context, imp Impersonation) context.Context {
	return context.WithValue(ctx, impersonationKey{}, imp)
}

// Impersonating returns the impersonation the request in ctx is made
// under; ok is false for a request made by the user themself.
func Impersonating(ctx context.Context) (imp Impersonation, ok bool) {
	imp, ok = ctx.Value(impersonationKey{}).(Impersonation)
	return imp, ok
}

// ErrImpersonating is the apperr.Forbidden error of an operation refused
// while impersonating: changing a password or an email, deleting the
// account, creating API keys, changing billing, impersonating again.
var ErrImpersonating = apperr.Errorf(apperr.Forbidden, "not allowed while impersonating a user")

// ForbidWhileImpersonating returns ErrImpersonating when the request in ctx
// is made under an impersonation, and nil otherwise. Every operation an
// admin must not perform as someone else calls it first.
func ForbidWhileImpersonating(ctx context.Context) error {
	if _, ok := Impersonating(ctx); ok {
		return ErrImpersonating
	}
	return nil
}
