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
	chain := []Middleware{begin}      // the request's info, which Outer reads back (see Observe)
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
// value, so the chain adds one context layer and one allocation instead of
// one per fact. It also holds what the chain would otherwise allocate on
// its own for every request: the X-Request-ID field value and the access
// log's response recorder.
type requestInfo struct {
	id       string       // set by RequestID
	idHeader [1]string    // the X-Request-ID response field: id
	client   netip.Addr   // set by clientIP
	agent    string       // the User-Agent field, set by clientIP
	route    string       // the matched ServeMux pattern, set by Routes
	base     *slog.Logger // set by AccessLog
	once     sync.Once
	log      *slog.Logger   // base with the request id, made on first use
	rec      statusRecorder // AccessLog's writer
	miss     missWriter     // Routes' writer
}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(ctxKey{}).(*requestInfo)
	return info
}

// begin gives the request its info, the one context value the chain adds
// (RequestID makes it itself when used alone), so that Outer middleware
// can read back what the rest of the chain learned (see Observe).
func begin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, &requestInfo{})))
	})
}

// Observation is what the chain learned about a request once it has been
// served: for Outer middleware (metrics, tracing), which run before the
// parts of the chain that find it out.
type Observation struct {
	Route  string // the matched ServeMux pattern ("GET /api/v1/items/{id}"); "" when no route matched
	Status int    // the response status (200 when the handler wrote none); 0 before AccessLog ran
	Bytes  int64  // body bytes written
}

// Observe returns what the chain learned about the request in ctx, the
// context Outer middleware passed on; call it after the next handler
// returns. ok is false outside Chain.
func Observe(ctx context.Context) (o Observation, ok bool) {
	info := infoFrom(ctx)
	if info == nil {
		return Observation{}, false
	}
	return Observation{Route: info.route, Status: info.rec.status, Bytes: info.rec.bytes}, true
}

// RequestIDHeader carries the request id in requests and responses.
const RequestIDHeader = "X-Request-ID"

// requestIDKey is RequestIDHeader in canonical form: indexing the header
// map with it directly saves canonicalising on every request.
var requestIDKey = http.CanonicalHeaderKey(RequestIDHeader)

// RequestID gives every request an id: the caller's X-Request-ID when it is
// short and plain, a random one otherwise (see newRequestID). The id is
// echoed in the response.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := infoFrom(r.Context())
		if info == nil || info.id != "" { // used alone, or a second time
			info = &requestInfo{}
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
		}
		if v := r.Header[requestIDKey]; len(v) == 1 && validRequestID(v[0]) {
			info.id = v[0]
		} else {
			info.id = newRequestID()
		}
		// The field's value slice lives in info: no allocation of its own.
		// A handler that sets the field replaces the slice (Set) or appends
		// past its capacity of one (Add), so info.id never changes.
		info.idHeader[0] = info.id
		w.Header()[requestIDKey] = info.idHeader[:]
		next.ServeHTTP(w, r)
	})
}

// newRequestID returns 32 hex digits of 128 random bits from crypto/rand:
// unique without coordination between instances, and unguessable, so an
// id seen in one response tells nothing about any other request (not even
// how many there were, as a counter would). On Linux 6.11 and later
// crypto/rand reads the vDSO getrandom, without a system call.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	var s [32]byte
	hex.Encode(s[:], b[:])
	return string(s[:])
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
				info.agent = r.UserAgent()
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

// NoteRoute records pattern as the route of the request in ctx, for
// middleware that answers before the routes run (a rate limit's 429) and
// knows which route the request was for: the access log, metrics and
// traces then name that route rather than none. Routes overwrites it when
// the request gets there.
func NoteRoute(ctx context.Context, pattern string) {
	if info := infoFrom(ctx); info != nil {
		info.route = pattern
	}
}

// UserAgentFrom returns the User-Agent field of the request in ctx, as
// sent (escape it before storing or logging it), or "" outside the chain.
func UserAgentFrom(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.agent
	}
	return ""
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

// AccessLog logs one line per request: method, route pattern, path, query
// (with the values of secret-bearing parameters replaced, see RedactQuery),
// status, bytes, duration and request id. It also makes Logger work for the
// request.
//
// The line goes straight to the logger's handler, as slog.Logger.LogAttrs
// would send it but without the runtime.Callers call LogAttrs makes for
// every record: the source it finds would be this function, every time.
func AccessLog(log *slog.Logger) Middleware {
	handler := log.Handler()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			info := infoFrom(r.Context())
			if info == nil { // used without RequestID
				info = &requestInfo{}
				r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
			}
			info.base = log
			rec := &info.rec
			if rec.ResponseWriter != nil { // a second AccessLog in one chain
				rec = &statusRecorder{}
			}
			*rec = statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			ctx := r.Context()
			if !handler.Enabled(ctx, slog.LevelInfo) {
				return
			}
			end := time.Now()
			attrs := [...]slog.Attr{
				slog.String("request_id", info.id),
				slog.String("method", r.Method),
				slog.String("route", info.route),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", end.Sub(start)),
				{},
			}
			n := len(attrs) - 1
			if r.URL.RawQuery != "" {
				attrs[n] = slog.String("query", RedactQuery(r.URL.RawQuery))
				n++
			}
			line := slog.NewRecord(end, slog.LevelInfo, "request", 0)
			line.AddAttrs(attrs[:n]...) // one call: the record grows once
			_ = handler.Handle(ctx, line)
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
	var b strings.Builder // written only from the first value replaced
	done := 0             // raw[:done] is in b
	for pos, rest := 0, raw; ; {
		pair, next, more := strings.Cut(rest, "&")
		if name, _, hasValue := strings.Cut(pair, "="); hasValue && isSensitiveParam(name) {
			b.WriteString(raw[done : pos+len(name)+1]) // up to and with the "="
			b.WriteString(Redacted)
			done = pos + len(pair)
		}
		if !more {
			break
		}
		pos, rest = pos+len(pair)+1, next
	}
	if b.Len() == 0 {
		return raw // nothing to hide: no copy
	}
	b.WriteString(raw[done:])
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
