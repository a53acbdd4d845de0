package httpx

import (
	"net/http"

	"github.com/rs/cors"
)

// CORS lets browsers on the listed origins call the API. Origins match
// exactly (scheme, host and port; no wildcards: config rejects them), an
// allowed origin is echoed in Access-Control-Allow-Origin, and every
// response varies on Origin. Other origins get no CORS headers, so the
// browser blocks them. Credentials (cookies) are not allowed: the API
// authenticates with the Authorization header. With no origins, CORS is
// off and browsers enforce the same-origin policy. Browser code may read
// the request id, the rate-limit and deprecation headers, and exposed.
func CORS(origins []string, exposed ...string) Middleware {
	if len(origins) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Idempotency-Key", RequestIDHeader},
		// Let browser clients read the request id and the rate-limit state.
		ExposedHeaders: append([]string{RequestIDHeader, "RateLimit", "RateLimit-Policy", "Retry-After", "Deprecation", "Sunset", "Link"}, exposed...),
		MaxAge:         600,
	})
	return c.Handler
}
