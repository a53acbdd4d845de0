package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

// ChainOptions configure the middleware. Config fills them from the
// environment; the zero value of each field is the strict choice.
type ChainOptions struct {
	Log         *slog.Logger
	HSTS        bool     // send Strict-Transport-Security (HTTPS deployments only)
	CORSOrigins []string // exact origins allowed to call from a browser; none: CORS off
	// ExposedHeaders are response headers that browser code on CORSOrigins
	// may read, besides the chain's own (see CORS); features add theirs.
	ExposedHeaders []string
	MaxBodyBytes   int64 // largest request body accepted
	// ClientIP resolves the client's address (see NewClientIP); handlers
	// read it with ClientIPFrom. Nil: the connecting peer.
	ClientIP func(*http.Request) netip.Addr

	// Feature middleware, by stage (see Chain for where each stage runs).
	// Within a stage, middleware runs in the order of the slice, which the
	// wiring fills in feature order.
	Outer []Middleware // first of all: sees every request, even ones the chain refuses (tracing, metrics)
	Route []Middleware // after the body limit: may change which route a request reaches (API version aliases), so guards see the final route
	Guard []Middleware // after Route: decides whether a request may go on (rate limits)
	Inner []Middleware // last, next to the routes: shapes what handlers see and send (API version headers)
}

// Chain wraps h in the service's middleware. The order is the order of the
// list: the first entry sees the request first and the response last.
func Chain(h http.Handler, o ChainOptions) http.Handler {
	var chain []Middleware
	chain = append(chain, o.Outer...) // before the request id: measures and traces the whole chain
	chain = append(chain,
		RequestID,                                // first of the base, so every later log line carries the id
		clientIP(o.ClientIP),                     // resolved once, through trusted proxies only
		AccessLog(o.Log),                         // sees the final status, including recovered panics
		Recover,                                  // turns a panic below into a 500 problem
		SecurityHeaders(o.HSTS),                  // on every response, errors and 500s included
		CORS(o.CORSOrigins, o.ExposedHeaders...), // answers preflights before limits apply
		MaxBody(o.MaxBodyBytes),                  // 413 before any handler reads a byte too many
	)
	chain = append(chain, o.Route...) // before the guards: a per-route limit applies to every path that reaches the route
	chain = append(chain, o.Guard...) // counts only well-formed requests; answers carry every header above
	chain = append(chain, o.Inner...) // closest to the handler
	for i := len(chain) - 1; i >= 0; i-- {
		h = chain[i](h)
	}
	return h
}

type ctxKey struct{}

// requestInfo is what the chain keeps about a request in its context: one
// value, so the chain adds one context layer instead of one per fact.
type requestInfo struct {
	id     string       // set by RequestID
	client netip.Addr   // set by clientIP
	route  string       // the matched ServeMux pattern, set by Routes
	base   *slog.Logger // set by AccessLog
	once   sync.Once
	log    *slog.Logger // base with the request id, made on first use
}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(ctxKey{}).(*requestInfo)
	return info
}

// RequestIDHeader carries the request id in requests and responses.
const RequestIDHeader = "X-Request-ID"

// requestIDKey is RequestIDHeader in canonical form: indexing the header
// map with it directly saves canonicalising on every request.
var requestIDKey = http.CanonicalHeaderKey(RequestIDHeader)

// RequestID gives every request an id: the caller's X-Request-ID when it is
// short and plain, a random one otherwise. The id is echoed in the response.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id string
		if v := r.Header[requestIDKey]; len(v) == 1 && validRequestID(v[0]) {
			id = v[0]
		} else {
			var b [16]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header()[requestIDKey] = []string{id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, &requestInfo{id: id})))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// clientIP records the client's address in the request's info.
func clientIP(resolve func(*http.Request) netip.Addr) Middleware {
	if resolve == nil {
		resolve = NewClientIP(nil).Of
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if info := infoFrom(r.Context()); info != nil {
				info.client = resolve(r)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// ClientIPFrom returns the client address the chain resolved for the
// request in ctx (the peer, or the first untrusted X-Forwarded-For hop when
// the peer is a trusted proxy); ok is false outside the chain.
func ClientIPFrom(ctx context.Context) (addr netip.Addr, ok bool) {
	if info := infoFrom(ctx); info != nil && info.client.IsValid() {
		return info.client, true
	}
	return netip.Addr{}, false
}

// RequestIDFrom returns the id RequestID gave the request, or "".
func RequestIDFrom(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// Logger returns a logger for the request in ctx, carrying its request id,
// or slog.Default outside a request.
func Logger(ctx context.Context) *slog.Logger {
	info := infoFrom(ctx)
	if info == nil || info.base == nil {
		return slog.Default()
	}
	info.once.Do(func() { info.log = info.base.With("request_id", info.id) })
	return info.log
}

// setRoute records the matched route pattern for the access log.
func setRoute(ctx context.Context, pattern string) {
	if info := infoFrom(ctx); info != nil {
		info.route = pattern
	}
}

// AccessLog logs one line per request: method, route pattern, path, query
// (with the values of secret-bearing parameters replaced, see RedactQuery),
// status, bytes, duration and request id. It also makes Logger work for the
// request.
func AccessLog(log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			info := infoFrom(r.Context())
			if info == nil { // used without RequestID
				info = &requestInfo{}
				r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
			}
			info.base = log
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			attrs := [...]slog.Attr{
				slog.String("request_id", info.id),
				slog.String("method", r.Method),
				slog.String("route", info.route),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", time.Since(start)),
				{},
			}
			n := len(attrs) - 1
			if r.URL.RawQuery != "" {
				attrs[n] = slog.String("query", RedactQuery(r.URL.RawQuery))
				n++
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs[:n]...)
		})
	}
}

// sensitiveParams are the query parameters whose values RedactQuery hides:
// credentials passed in URLs (a WebSocket ?token= or ?ticket=, an API
// key), OAuth's code and state, and signatures of signed URLs. Compared
// case-insensitively.
var sensitiveParams = []string{"token", "ticket", "code", "state", "key", "signature"}

// Redacted replaces the value of a sensitive query parameter.
const Redacted = "REDACTED"

// RedactQuery returns the raw query with the value of every sensitive
// parameter (see sensitiveParams) replaced by REDACTED, and everything else,
// order included, as it was: "ticket=abc&channel=x" becomes
// "ticket=REDACTED&channel=x". Names are compared after unescaping, so
// "%74oken" is redacted too. Use it wherever a URL is logged or traced.
func RedactQuery(raw string) string {
	var b strings.Builder
	for i, pair := range strings.Split(raw, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		name, _, hasValue := strings.Cut(pair, "=")
		if !isSensitiveParam(name) {
			b.WriteString(pair)
			continue
		}
		b.WriteString(name)
		if hasValue {
			b.WriteString("=" + Redacted)
		}
	}
	return b.String()
}

func isSensitiveParam(name string) bool {
	if unescaped, err := url.QueryUnescape(name); err == nil {
		name = unescaped
	}
	name = strings.TrimSpace(name)
	for _, s := range sensitiveParams {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}

// Recover turns a panic in a handler into a logged 500 problem response.
// http.ErrAbortHandler is re-raised: it is how a handler aborts on purpose.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			Logger(r.Context()).ErrorContext(r.Context(), "panic", "panic", v, "stack", string(debug.Stack()))
			WriteProblem(w, Problem{Status: http.StatusInternalServerError, Detail: "Internal error.", Instance: r.URL.Path})
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
