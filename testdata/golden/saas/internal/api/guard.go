package api

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/users"
)

// securityScheme is the name of the bearer scheme in the OpenAPI document.
const securityScheme = "bearer"

// security is the Operation.Security value of a protected operation.
var security = []map[string][]string{{securityScheme: {}}}

// Guard builds the huma middlewares that protect operations. Every API
// version uses it, so a token means the same in each.
type Guard struct {
	api  huma.API
	auth users.Authenticator // nil: no auth feature, every token is refused
}

// NewGuard returns a guard that authenticates callers with auth and writes
// its errors through api. It also declares the bearer scheme in api's
// OpenAPI document.
func NewGuard(api huma.API, auth users.Authenticator) Guard {
	oa := api.OpenAPI()
	if oa.Components.SecuritySchemes == nil {
		oa.Components.SecuritySchemes = map[string]*huma.SecurityScheme{}
	}
	oa.Components.SecuritySchemes[securityScheme] = &huma.SecurityScheme{
		Type: "http", Scheme: "bearer", BearerFormat: "JWT",
	}
	return Guard{api: api, auth: auth}
}

// RequireAuth lets a request through only with a valid bearer token, and
// stores its user in the context (see users.FromContext). Anything else is
// a 401 whose body says nothing about why (RFC 6750 §3: no hints to
// attackers).
func (g Guard) RequireAuth(ctx huma.Context, next func(huma.Context)) {
	g.require("")(ctx, next)
}

// RequireRole is RequireAuth that also needs the user's role to be min or
// above; a valid user with a lower role gets 403.
func (g Guard) RequireRole(min users.Role) func(huma.Context, func(huma.Context)) {
	return g.require(min)
}

func (g Guard) require(min users.Role) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		token, ok := users.BearerToken(ctx.Header("Authorization"))
		if !ok || g.auth == nil {
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
			// OWASP logging vocabulary: a user tried what their role does not allow.
			httpx.Logger(ctx.Context()).WarnContext(ctx.Context(), "authorization failed",
				"event", "authz_fail", "user_id", u.ID, "role", string(u.Role), "needs", string(min), "operation", ctx.Operation().OperationID)
			_ = huma.WriteErr(g.api, ctx, http.StatusForbidden, "This needs the "+string(min)+" role.")
			return
		}
		next(huma.WithContext(ctx, users.WithUser(ctx.Context(), u)))
	}
}

func (g Guard) unauthorized(ctx huma.Context) {
	ctx.SetHeader("WWW-Authenticate", `Bearer`)
	_ = huma.WriteErr(g.api, ctx, http.StatusUnauthorized, "Authentication required.")
}

// Secured marks o as needing a guard middleware (RequireAuth or
// RequireRole) and documents the bearer scheme.
func Secured(o huma.Operation, guard func(huma.Context, func(huma.Context))) huma.Operation {
	o.Middlewares = append(o.Middlewares, guard)
	o.Security = security
	o.Errors = append(o.Errors, http.StatusUnauthorized, http.StatusForbidden)
	return o
}
