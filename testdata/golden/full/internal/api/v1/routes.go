// Package v1 is version 1 of the HTTP API, served under /api/v1.
package v1

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/admin"
	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/audit"
	"example.com/myapp/internal/auth"
	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/contact"
	"example.com/myapp/internal/flags"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/jobs"
	"example.com/myapp/internal/storage"
	"example.com/myapp/internal/users"
	"example.com/myapp/internal/ws"
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
	// AI is the AI gateway (ai feature).
	AI *ai.Gateway
	// Flags evaluates and changes the feature flags (feature-flags).
	Flags *flags.Service
	// Jobs is the job system (jobs), for the admin endpoints.
	Jobs *jobs.Service
	// Contact is the contact form (contact); ContactConfigured says whether
	// anybody is notified of its messages.
	Contact           *contact.Service
	ContactConfigured bool
	// Billing is Stripe billing (payments-stripe).
	Billing *billing.Service
	// Files keeps the users' uploads (storage-s3, storage-r2 or
	// storage-local).
	Files *storage.Service
	// WS is the WebSocket hub (websocket feature): tickets, presence, status.
	WS *ws.Hub
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

	// AI gateway: completions (JSON or server-sent events), chat, routed
	// chat, usage and status, for signed-in users only (calls cost money).
	aih := aiHandlers{gw: d.AI}
	huma.Register(g, aiOp(aih, http.MethodGet, "/ai/status", "ai-status", "AI providers, routes and availability", authed), aih.status)
	huma.Register(g, completionsOp(aih, api, authed), aih.completions)
	huma.Register(g, aiOp(aih, http.MethodPost, "/ai/chat", "ai-chat", "Answer a prompt", authed), aih.chat)
	huma.Register(g, aiOp(aih, http.MethodPost, "/ai/chat/routed", "ai-chat-routed", "Answer a prompt on the route of its complexity", authed), aih.chatRouted)
	huma.Register(g, aiOp(aih, http.MethodGet, "/ai/usage", "ai-usage", "Tokens and estimated cost per day and model (admins: anyone's)", authed), aih.usage)

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

	// Contact form: anyone fetches a form token and sends; admins read the
	// messages and mark them read or archived.
	ch := contactHandlers{contact: d.Contact, configured: d.ContactConfigured}
	huma.Register(g, op(http.MethodGet, "/contact/form", "contact-form", "Get a contact form token", "contact"), ch.form)
	huma.Register(g, contactOp(op(http.MethodPost, "/contact", "contact-submit", "Send a contact message", "contact")), ch.submit)
	huma.Register(g, op(http.MethodGet, "/contact/status", "contact-status", "Whether the form is configured, and the caller's remaining quota", "contact"), ch.status)
	huma.Register(g, secured(op(http.MethodGet, "/admin/contact", "list-contact-messages", "List contact messages", "contact"), admin), ch.list)
	huma.Register(g, secured(op(http.MethodGet, "/admin/contact/stats", "contact-stats", "Contact messages by status and posts by outcome", "contact"), admin), ch.stats)
	huma.Register(g, secured(op(http.MethodPatch, "/admin/contact/{id}", "update-contact-message", "Set a contact message's status", "contact"), admin), ch.update)

	// Billing: the signed-in user's plan, checkout, portal and usage. The
	// Stripe webhook is a plain handler (internal/app/payments_stripe.go).
	bh := billingHandlers{svc: d.Billing}
	huma.Register(g, secured(op(http.MethodGet, "/billing/plans", "billing-plans", "List the plans", "billing"), authed), bh.plans)
	huma.Register(g, secured(op(http.MethodPost, "/billing/checkout", "billing-checkout", "Open a Stripe Checkout session for a plan's price", "billing"), authed), bh.checkout)
	huma.Register(g, secured(op(http.MethodPost, "/billing/portal", "billing-portal", "Open a Stripe Customer Portal session", "billing"), authed), bh.portal)
	huma.Register(g, secured(op(http.MethodGet, "/billing/subscription", "billing-subscription", "Get the caller's plan and subscription", "billing"), authed), bh.subscription)
	huma.Register(g, secured(op(http.MethodGet, "/billing/usage", "billing-usage", "Get the caller's usage per meter in the current period", "billing"), authed), bh.usage)

	// Files: a signed-in user uploads, lists, downloads and deletes their
	// own files; another user's file is 404.
	fileAPI := fileHandlers{svc: d.Files}
	huma.Register(g, secured(uploadOp(op(http.MethodPost, "/files", "upload-file", "Upload a file (multipart/form-data, part file)", "files", http.StatusCreated)), authed), fileAPI.upload)
	documentUpload(api)
	huma.Register(g, secured(op(http.MethodGet, "/files", "list-files", "List your files", "files"), authed), fileAPI.list)
	huma.Register(g, secured(op(http.MethodPost, "/files/presign", "presign-file", "Get a presigned upload URL (S3, R2)", "files", http.StatusCreated), authed), fileAPI.presign)
	huma.Register(g, secured(op(http.MethodGet, "/files/{id}", "get-file", "Get a file's metadata", "files"), authed), fileAPI.get)
	huma.Register(g, secured(downloadOp(op(http.MethodGet, "/files/{id}/download", "download-file", "Download a file", "files")), authed), fileAPI.download)
	huma.Register(g, secured(op(http.MethodPost, "/files/{id}/complete", "complete-file", "Check and complete a presigned upload", "files"), authed), fileAPI.complete)
	huma.Register(g, secured(op(http.MethodDelete, "/files/{id}", "delete-file", "Delete a file", "files", http.StatusNoContent), authed), fileAPI.delete)

	// WebSockets: a ticket for GET /api/v1/ws (the upgrade itself is not a
	// JSON operation: internal/app/websocket.go puts it on the mux),
	// presence of a channel, and this instance's status for admins.
	wh := wsHandlers{hub: d.WS}
	huma.Register(g, secured(op(http.MethodPost, "/ws/ticket", "create-ws-ticket", "Get a single-use ticket for opening a WebSocket", "websocket", http.StatusCreated), authed), wh.ticket)
	huma.Register(g, secured(op(http.MethodGet, "/ws/presence", "get-ws-presence", "List the users subscribed to a channel", "websocket"), authed), wh.presence)
	huma.Register(g, secured(op(http.MethodGet, "/ws/status", "get-ws-status", "WebSocket status of this instance", "websocket"), admin), wh.status)
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
