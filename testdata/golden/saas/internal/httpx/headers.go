package httpx

import "net/http"

// securityHeaders are set on every response (OWASP REST Security Cheat
// Sheet). An API serves no HTML, so the CSP forbids
// everything; the docs page sets its own. X-XSS-Protection, Expect-CT and
// Public-Key-Pins are deprecated and deliberately absent. The values are
// shared, read-only slices: setting them costs no allocation.
var securityHeaders = map[string][]string{
	"Cache-Control":                {"no-store"},
	"Content-Security-Policy":      {"default-src 'none'; frame-ancestors 'none'"},
	"Cross-Origin-Opener-Policy":   {"same-origin"},
	"Cross-Origin-Resource-Policy": {"same-origin"},
	"Permissions-Policy":           {"accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"},
	"Referrer-Policy":              {"no-referrer"},
	"X-Content-Type-Options":       {"nosniff"},
	"X-Frame-Options":              {"DENY"},
}

var hstsValue = []string{"max-age=31536000; includeSubDomains"}

// SecurityHeaders sets the security response headers before the handler
// runs, so they are on every response, errors and recovered panics
// included. hsts adds Strict-Transport-Security: enable it only when the
// service is reached over HTTPS (directly or through a TLS-terminating
// proxy), never on a plain-HTTP development listener.
func SecurityHeaders(hsts bool) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			for k, v := range securityHeaders {
				h[k] = v
			}
			if hsts {
				h["Strict-Transport-Security"] = hstsValue
			}
			next.ServeHTTP(w, r)
		})
	}
}
