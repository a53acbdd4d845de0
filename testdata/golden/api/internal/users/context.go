package users

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

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

// FromContext returns the authenticated caller RequireAuth stored in ctx.
func FromContext(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(ctxKey{}).(User)
	return u, ok
}

// SecurityScheme is the name of the bearer scheme in the OpenAPI document.
const SecurityScheme = "bearer"

// Guard builds the huma middlewares that protect operations.
type Guard struct {
	api  huma.API
	auth Authenticator
}

// NewGuard returns a Guard that authenticates callers with auth and writes
// its errors through api. It also declares the bearer scheme in api's
// OpenAPI document.
func NewGuard(api huma.API, auth Authenticator) Guard {
	oa := api.OpenAPI()
	if oa.Components.SecuritySchemes == nil {
		oa.Components.SecuritySchemes = map[string]*huma.SecurityScheme{}
	}
	oa.Components.SecuritySchemes[SecurityScheme] = &huma.SecurityScheme{
		Type: "http", Scheme: "bearer", BearerFormat: "JWT",
	}
	return Guard{api: api, auth: auth}
}

// Security is the Operation.Security value of a protected operation.
var Security = []map[string][]string{bearerScheme}

var bearerScheme = map[string][]string{SecurityScheme: {}}

// RequireAuth lets a request through only with a valid bearer token, and
// stores its user in the context (see FromContext). Anything else is a 401
// whose body says nothing about why (RFC 6750 §3: no hints to attackers).
func (g Guard) RequireAuth(ctx huma.Context, next func(huma.Context)) {
	g.require("")(ctx, next)
}

// RequireRole is RequireAuth that also needs the user's role to be min or
// above; a valid user with a lower role gets 403.
func (g Guard) RequireRole(min Role) func(huma.Context, func(huma.Context)) {
	return g.require(min)
}

func (g Guard) require(min Role) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		token, ok := BearerToken(ctx.Header("Authorization"))
		if !ok {
			g.unauthorized(ctx)
			return
		}
		u, err := g.auth.Authenticate(ctx.Context(), token)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Unauthorized {
				_ = huma.WriteErr(g.api, ctx, http.StatusServiceUnavailable, "Authentication is unavailable; retry later.")
				return
			}
			g.unauthorized(ctx)
			return
		}
		if min != "" && !u.Role.AtLeast(min) {
			_ = huma.WriteErr(g.api, ctx, http.StatusForbidden, "This needs the "+string(min)+" role.")
			return
		}
		next(huma.WithContext(ctx, WithUser(ctx.Context(), u)))
	}
}

func (g Guard) unauthorized(ctx huma.Context) {
	ctx.SetHeader("WWW-Authenticate", `Bearer`)
	_ = huma.WriteErr(g.api, ctx, http.StatusUnauthorized, "Authentication required.")
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

// Deny is the Authenticator of a service with users but no auth feature:
// every token is refused. Add auth-builtin, auth-supabase or auth-clerk.
type Deny struct{}

// Authenticate implements Authenticator.
func (Deny) Authenticate(context.Context, string) (User, error) {
	return User{}, apperr.Errorf(apperr.Unauthorized, "no authentication is configured")
}
