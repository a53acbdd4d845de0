// Package v1 is version 1 of the HTTP API, served under /api/v1.
package v1

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/admin"
	"example.com/myapp/internal/audit"
	"example.com/myapp/internal/auth"
	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/flags"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/jobs"
	"example.com/myapp/internal/users"
)

// Prefix is the path prefix of every v1 operation.
const Prefix = "/api/v1"

// Deps are what the v1 handlers need.
type Deps struct {
	Items items.Store
	// Users stores the accounts (users feature); Authenticator says who a
	// bearer token belongs to and comes from the auth feature (nil without
	// one: every token is refused).
	Users         users.Store
	Authenticator users.Authenticator
	// Auth is the built-in sign-in (auth-builtin).
	Auth *auth.Service
	// Audit is the audit log and Dashboard the admin dashboard's numbers
	// (admin).
	Audit     *audit.Log
	Dashboard *admin.Dashboard
	// Impersonations lets admins act as users (admin with auth-builtin).
	Impersonations *admin.Impersonations
	// Flags evaluates and changes the feature flags (feature-flags).
	Flags *flags.Service
	// Jobs is the job system (jobs), for the admin endpoints.
	Jobs *jobs.Service
	// Billing is Stripe billing (payments-stripe).
	Billing *billing.Service
}

// Register adds every v1 operation to api. This function is the whole v1
// surface: read it to see the API.
func Register(api huma.API, d Deps) {
	g := huma.NewGroup(api, Prefix)

	ih := itemHandlers{store: d.Items}
	huma.Register(g, op(http.MethodGet, "/items", "list-items", "List items", "items"), ih.list)
	huma.Register(g, op(http.MethodPost, "/items", "create-item", "Create an item", "items", http.StatusCreated), ih.create)
	huma.Register(g, op(http.MethodGet, "/items/{id}", "get-item", "Get an item", "items"), ih.get)
	huma.Register(g, op(http.MethodPatch, "/items/{id}", "update-item", "Update an item", "items"), ih.update)
	huma.Register(g, op(http.MethodDelete, "/items/{id}", "delete-item", "Delete an item", "items", http.StatusNoContent), ih.delete)

	// Users: an admin lists everyone; a user sees and edits themself, an
	// admin anyone below their role (rules in internal/users/policy.go).
	guard := newGuard(api, d.Authenticator)
	authed, admin := guard.RequireAuth, guard.RequireRole(users.RoleAdmin)
	uh := userHandlers{store: d.Users}
	huma.Register(g, secured(op(http.MethodGet, "/auth/me", "get-me", "Get the signed-in user", "auth"), authed), uh.me)
	huma.Register(g, secured(op(http.MethodGet, "/users", "list-users", "List users", "users"), admin), uh.list)
	huma.Register(g, secured(op(http.MethodGet, "/users/{id}", "get-user", "Get a user", "users"), authed), uh.get)
	huma.Register(g, secured(op(http.MethodPatch, "/users/{id}", "update-user", "Update a user", "users"), authed), uh.patch)
	huma.Register(g, secured(op(http.MethodDelete, "/users/{id}", "delete-user", "Delete a user", "users", http.StatusNoContent), authed), uh.delete)

	// Built-in authentication: token pairs with OAuth 2.0 field names, and
	// optional GitHub/Google sign-in (404 unless configured).
	ah := authHandlers{svc: d.Auth}
	huma.Register(g, authOp(http.MethodPost, "/auth/register", "register", "Create an account", http.StatusAccepted), ah.register)
	huma.Register(g, authOp(http.MethodPost, "/auth/login", "login", "Sign in with email and password"), ah.login)
	huma.Register(g, authOp(http.MethodPost, "/auth/refresh", "refresh", "Exchange a refresh token for a new token pair"), ah.refresh)
	huma.Register(g, authOp(http.MethodPost, "/auth/logout", "logout", "End the sign-in of a refresh token", http.StatusNoContent), ah.logout)
	huma.Register(g, authOp(http.MethodPost, "/auth/password/forgot", "forgot-password", "Ask for a password reset token", http.StatusAccepted), ah.forgot)
	huma.Register(g, authOp(http.MethodPost, "/auth/password/reset", "reset-password", "Set a new password with a reset token", http.StatusNoContent), ah.reset)
	huma.Register(g, authOp(http.MethodPost, "/auth/email/verify", "verify-email", "Verify an email address with its token", http.StatusNoContent), ah.verify)
	huma.Register(g, secured(authOp(http.MethodPost, "/auth/email/verify/request", "request-email-verification", "Send a new verification token", http.StatusAccepted), authed), ah.requestVerify)
	huma.Register(g, authOp(http.MethodGet, "/auth/oauth/{provider}", "oauth-start", "Start signing in with GitHub or Google", http.StatusFound), ah.oauthStart)
	huma.Register(g, authOp(http.MethodGet, "/auth/oauth/{provider}/callback", "oauth-callback", "Finish signing in with GitHub or Google"), ah.oauthCallback)

	// Admin: the dashboard and the audit log, for admins only;
	// impersonation (stop also takes the impersonation token itself).
	adm := adminHandlers{dashboard: d.Dashboard, audit: d.Audit, imp: d.Impersonations, users: d.Users}
	huma.Register(g, secured(op(http.MethodGet, "/admin/dashboard/stats", "admin-stats", "Dashboard numbers of every feature", "admin"), admin), adm.stats)
	huma.Register(g, secured(op(http.MethodGet, "/admin/audit-logs", "list-audit-logs", "List the audit log", "admin"), admin), adm.listAudit)
	huma.Register(g, secured(op(http.MethodGet, "/admin/audit-logs/{id}", "get-audit-log", "Get an audit log entry", "admin"), admin), adm.getAudit)
	huma.Register(g, secured(op(http.MethodPost, "/admin/impersonate", "impersonate", "Act as a user with a short-lived token", "admin"), admin), adm.impersonate)
	huma.Register(g, secured(op(http.MethodPost, "/admin/impersonate/stop", "stop-impersonation", "End an impersonation", "admin", http.StatusNoContent), authed), adm.stopImpersonation)
	huma.Register(g, secured(op(http.MethodGet, "/admin/impersonations", "list-impersonations", "List the impersonations going on", "admin"), admin), adm.impersonations)

	// Feature flags: every signed-in user reads their own answers; admins
	// manage the flags.
	fh := flagHandlers{flags: d.Flags, users: d.Users}
	huma.Register(g, secured(op(http.MethodGet, "/flags", "evaluate-flags", "Evaluate every flag for the caller", "flags"), authed), fh.evaluate)
	huma.Register(g, secured(op(http.MethodGet, "/admin/flags", "list-flags", "List the feature flags", "flags"), admin), fh.list)
	huma.Register(g, secured(op(http.MethodPost, "/admin/flags", "create-flag", "Create a feature flag", "flags", http.StatusCreated), admin), fh.create)
	huma.Register(g, secured(op(http.MethodGet, "/admin/flags/{key}", "get-flag", "Get a feature flag", "flags"), admin), fh.get)
	huma.Register(g, secured(op(http.MethodPatch, "/admin/flags/{key}", "update-flag", "Update a feature flag", "flags"), admin), fh.update)
	huma.Register(g, secured(op(http.MethodDelete, "/admin/flags/{key}", "delete-flag", "Delete a feature flag", "flags", http.StatusNoContent), admin), fh.delete)
	huma.Register(g, secured(op(http.MethodPost, "/admin/flags/{key}/enable", "enable-flag", "Enable a feature flag", "flags"), admin), fh.enable)
	huma.Register(g, secured(op(http.MethodPost, "/admin/flags/{key}/disable", "disable-flag", "Disable a feature flag", "flags"), admin), fh.disable)
	huma.Register(g, secured(op(http.MethodPut, "/admin/flags/{key}/users/{user_id}", "add-flag-user", "Put a user on a flag's list", "flags"), admin), fh.addUser)
	huma.Register(g, secured(op(http.MethodDelete, "/admin/flags/{key}/users/{user_id}", "remove-flag-user", "Take a user off a flag's list", "flags"), admin), fh.removeUser)

	// Jobs: admins list background jobs by state, retry or cancel one.
	jh := jobHandlers{svc: d.Jobs}
	huma.Register(g, secured(op(http.MethodGet, "/admin/jobs", "list-jobs", "List background jobs", "admin"), admin), jh.list)
	huma.Register(g, secured(op(http.MethodPost, "/admin/jobs/{id}/retry", "retry-job", "Run a job again now", "admin"), admin), jh.retry)
	huma.Register(g, secured(op(http.MethodPost, "/admin/jobs/{id}/cancel", "cancel-job", "Cancel a job", "admin"), admin), jh.cancel)

	// Billing: the signed-in user's plan, checkout, portal and usage. The
	// Stripe webhook is a plain handler (internal/app/payments_stripe.go).
	bh := billingHandlers{svc: d.Billing}
	huma.Register(g, secured(op(http.MethodGet, "/billing/plans", "billing-plans", "List the plans", "billing"), authed), bh.plans)
	huma.Register(g, secured(op(http.MethodPost, "/billing/checkout", "billing-checkout", "Open a Stripe Checkout session for a plan's price", "billing"), authed), bh.checkout)
	huma.Register(g, secured(op(http.MethodPost, "/billing/portal", "billing-portal", "Open a Stripe Customer Portal session", "billing"), authed), bh.portal)
	huma.Register(g, secured(op(http.MethodGet, "/billing/subscription", "billing-subscription", "Get the caller's plan and subscription", "billing"), authed), bh.subscription)
	huma.Register(g, secured(op(http.MethodGet, "/billing/usage", "billing-usage", "Get the caller's usage per meter in the current period", "billing"), authed), bh.usage)
}

// op describes one operation; status is the success status (200 if none).
// Its body limit is MAX_BODY_BYTES (httpx.MaxBody), not huma's own 1 MB:
// one limit, one 413. An operation may set a smaller MaxBodyBytes.
func op(method, path, id, summary, tag string, status ...int) huma.Operation {
	o := huma.Operation{
		OperationID:  id,
		Method:       method,
		Path:         path,
		Summary:      summary,
		Tags:         []string{tag},
		MaxBodyBytes: -1,
	}
	if len(status) > 0 {
		o.DefaultStatus = status[0]
	}
	return o
}
