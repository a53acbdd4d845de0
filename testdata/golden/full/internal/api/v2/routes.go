// Package v2 is version 2 of the HTTP API, served under /api/v2 with an
// OpenAPI document of its own (/v2/openapi.json, docs at /v2/docs).
//
// Every success answer wraps its data in an Envelope with metadata (the
// request id, the time, the version); errors are the same problem
// details as v1's. v2 runs on the same services as v1: a user is the
// same user, a token the same token.
package v2

import (
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/api"
	"example.com/myapp/internal/health"
	"example.com/myapp/internal/users"
)

// Prefix is the path prefix of every v2 operation.
const Prefix = "/api/v2"

// Version is v2's version in its OpenAPI document.
const Version = "2.0.0"

// Deps are what the v2 handlers need.
type Deps struct {
	// Checks returns the service's readiness checks (the same as
	// /health/ready runs); it is called per request, so checks that are
	// wired after v2's routes count too.
	Checks func() []health.Check
	// Started is when the service started, for its uptime.
	Started time.Time
	// Users stores the accounts; Authenticator says who a bearer token
	// belongs to (nil without an auth feature: every token is refused).
	// Both are v1's.
	Users         users.Store
	Authenticator users.Authenticator
}

// Register adds every v2 operation to a, the v2 API. This function is the
// whole v2 surface: read it to see the API.
func Register(a huma.API, d Deps) {
	g := huma.NewGroup(a, Prefix)

	// Health for people and dashboards: uptime and each dependency's
	// latency. The probes stay /health/live and /health/ready.
	hh := healthHandlers{checks: d.Checks, started: d.Started}
	huma.Register(g, get("/health", "get-health", "Service health with uptime and dependency latency", "health"), hh.get)

	// Users: the same rules as v1 (internal/users/policy.go), read-only.
	guard := api.NewGuard(a, d.Authenticator)
	uh := userHandlers{store: d.Users}
	huma.Register(g, api.Secured(get("/users/me", "get-me", "Get the signed-in user", "users"), guard.RequireAuth), uh.me)
	huma.Register(g, api.Secured(get("/users", "list-users", "List users", "users"), guard.RequireRole(users.RoleAdmin)), uh.list)
	huma.Register(g, api.Secured(get("/users/{id}", "get-user", "Get a user", "users"), guard.RequireAuth), uh.get)
}

// get describes a GET operation: v2 has no others yet.
func get(path, id, summary, tag string) huma.Operation {
	return huma.Operation{
		OperationID: id,
		Method:      http.MethodGet,
		Path:        path,
		Summary:     summary,
		Tags:        []string{tag},
	}
}
