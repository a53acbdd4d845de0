package ws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/users"
)

// ServeHTTP upgrades GET /api/v1/ws. Everything is checked before the
// upgrade, each refusal a problem response and never a 101: the Origin
// (403; cross-site WebSocket hijacking), the credential (401: a ticket
// from POST /api/v1/ws/ticket as ?ticket=, a bearer token in the
// Authorization header, or ?token= when allowed), and the user's
// connection cap (429).
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	refuse := func(status int, detail string) {
		httpx.WriteProblem(w, httpx.Problem{Status: status, Detail: detail, Instance: r.URL.Path})
	}
	if !headerHas(r.Header, "Connection", "upgrade") || !headerHas(r.Header, "Upgrade", "websocket") {
		w.Header().Set("Upgrade", "websocket")
		refuse(http.StatusUpgradeRequired, "This is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket).")
		return
	}
	if !h.originAllowed(r) {
		refuse(http.StatusForbidden, "This origin may not open WebSockets here; see WS_ALLOWED_ORIGINS.")
		return
	}
	u, expires, err := h.authenticate(r)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Unauthorized {
			w.Header().Set("WWW-Authenticate", "Bearer")
			refuse(http.StatusUnauthorized, "Authentication required: a ticket from POST /api/v1/ws/ticket as ?ticket=, or a bearer token.")
			return
		}
		httpx.Logger(r.Context()).WarnContext(r.Context(), "websocket authentication unavailable", "error", err.Error())
		refuse(http.StatusServiceUnavailable, "Authentication is unavailable; retry later.")
		return
	}
	if !h.reserve(u.ID) {
		if h.isClosed() {
			refuse(http.StatusServiceUnavailable, "The server is shutting down; reconnect to another instance.")
			return
		}
		refuse(http.StatusTooManyRequests, "Too many open WebSockets for this user; close one first.")
		return
	}
	defer h.release(u.ID)

	// The server's read and write deadlines (HTTP_READ_TIMEOUT,
	// HTTP_WRITE_TIMEOUT) stay on a hijacked connection: clear them, the
	// heartbeat and write timeout take over.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OriginPatterns:  h.originPatterns(),
		CompressionMode: websocket.CompressionDisabled, // compression costs memory per connection and invites compression attacks
	})
	if err != nil {
		return // Accept has answered
	}
	c := newClient(h, conn, u, expires)
	if !h.add(c) {
		_ = conn.Close(StatusGoingAway, "server shutting down")
		return
	}
	defer h.remove(c)
	c.serve()
}

func (h *Hub) isClosed() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.closed
}

// originAllowed accepts requests without an Origin (not from a browser),
// from the service's own host, and from the configured origins, exactly.
func (h *Hub) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range h.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// originPatterns are the allowed origins as the library's patterns, with
// pattern characters escaped ([ of an IPv6 host), so that the library's
// own check agrees with originAllowed.
func (h *Hub) originPatterns() []string {
	out := make([]string, len(h.cfg.AllowedOrigins))
	for i, o := range h.cfg.AllowedOrigins {
		var b strings.Builder
		for _, r := range o {
			if strings.ContainsRune(`*?[]\`, r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		out[i] = b.String()
	}
	return out
}

// authenticate returns the user of the request's credential and when that
// credential expires (zero for a ticket: it is spent at the upgrade).
func (h *Hub) authenticate(r *http.Request) (users.User, time.Time, error) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	q := r.URL.Query()
	if t := q.Get("ticket"); t != "" {
		id, err := h.Redeem(ctx, t)
		if err != nil {
			return users.User{}, time.Time{}, err
		}
		u, err := h.users.Get(ctx, id)
		if apperr.CodeOf(err) == apperr.NotFound {
			return users.User{}, time.Time{}, apperr.Errorf(apperr.Unauthorized, "the ticket's user is gone")
		}
		return u, time.Time{}, err
	}
	token, ok := users.BearerToken(r.Header.Get("Authorization"))
	if !ok && h.cfg.AllowQueryToken {
		token = q.Get("token")
		ok = token != "" && len(token) <= 8192
	}
	if !ok || h.auth == nil {
		return users.User{}, time.Time{}, apperr.Errorf(apperr.Unauthorized, "no credential")
	}
	u, err := h.auth.Authenticate(ctx, token)
	if err != nil {
		return users.User{}, time.Time{}, err
	}
	return u, tokenExpiry(token), nil
}

// tokenExpiry reads the exp claim of a JWT the Authenticator has already
// verified, so the connection can end when the token does; zero for a
// token that is not a JWT or has no exp.
func tokenExpiry(token string) time.Time {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(claims.Exp), 0)
}

// headerHas reports whether a comma-separated header contains token
// (case-insensitive), as Connection: keep-alive, Upgrade does.
func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}
