// Package v1 is version 1 of the HTTP API, served under /api/v1.
package v1

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/auth"
	"example.com/myapp/internal/items"
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
	// AI is the AI gateway (ai feature).
	AI *ai.Gateway
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

	// AI gateway: completions (JSON or server-sent events), chat, routed
	// chat, usage and status, for signed-in users only (calls cost money).
	aih := aiHandlers{gw: d.AI}
	huma.Register(g, aiOp(aih, http.MethodGet, "/ai/status", "ai-status", "AI providers, routes and availability", authed), aih.status)
	huma.Register(g, completionsOp(aih, api, authed), aih.completions)
	huma.Register(g, aiOp(aih, http.MethodPost, "/ai/chat", "ai-chat", "Answer a prompt", authed), aih.chat)
	huma.Register(g, aiOp(aih, http.MethodPost, "/ai/chat/routed", "ai-chat-routed", "Answer a prompt on the route of its complexity", authed), aih.chatRouted)
	huma.Register(g, aiOp(aih, http.MethodGet, "/ai/usage", "ai-usage", "Tokens and estimated cost per day and model (admins: anyone's)", authed), aih.usage)
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
