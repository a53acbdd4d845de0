// Package ratelimit limits requests per client with a sliding window.
//
// Limits are written "60/minute" (second, minute, hour or day): one default
// for every route (RATE_LIMIT_DEFAULT) and optional per-route limits keyed by
// ServeMux pattern (RATE_LIMIT_ROUTES). A route with its own limit is
// counted only against it. Health and metrics endpoints are exempt.
//
// Every limited response carries the RateLimit-Policy and RateLimit fields
// of draft-ietf-httpapi-ratelimit-headers-11:
//
//	RateLimit-Policy: "default";q=60;w=60
//	RateLimit: "default";r=59;t=1
//
// q is the quota, w the window in seconds, r the requests remaining and t
// the seconds until more quota is available, never more than w. A request over the limit gets
// 429 with Retry-After (equal to t) and an RFC 9457 problem body.
//
// The client is the address httpx.ClientIP resolves (X-Forwarded-For only
// from trusted proxies); IPv6 clients are limited per /64, the block a
// single host usually has. Counts live in memory (Memory) or, with the
// redis feature, in Redis shared by every instance.
package ratelimit

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"example.com/myapp/internal/httpx"
)

// Key identifies one counter: a policy and a client.
type Key struct {
	Policy string
	Client netip.Addr
}

// Decision is the outcome of counting one request.
type Decision struct {
	Allowed   bool
	Limit     int           // the quota of the policy
	Remaining int           // requests left in the window after this one
	Reset     time.Duration // until one more request will be allowed
}

// Store counts requests. Implementations must be safe for concurrent use
// and decide atomically: of N concurrent requests at most the limit pass.
type Store interface {
	Allow(ctx context.Context, key Key, spec Spec) (Decision, error)
}

// Config configures a Limiter.
type Config struct {
	Default Spec   // the limit of every route without its own
	Routes  Routes // per-route limits, by ServeMux pattern
	Store   Store  // where counts live; nil: NewMemory(DefaultMaxKeys)
	// Mux is the service's router: it tells the route pattern of a request
	// and checks that every pattern in Routes is registered.
	Mux *http.ServeMux
	// ClientIP resolves the client of a request (httpx.ClientIP.Of) that
	// did not come through httpx.Chain; in the chain, the limiter uses the
	// address the chain resolved (httpx.ClientIPFrom), with the same rules.
	ClientIP func(*http.Request) netip.Addr
	// Exempt says which requests are never limited; nil: IsExempt.
	Exempt func(*http.Request) bool
	// Observe, when set, is told of every decision: the policy's name
	// ("default" or a Routes pattern) and Allowed, Limited or Failed (the
	// store failed and the request went on unlimited). It must be fast and
	// safe for concurrent use (a metrics counter).
	Observe func(policy string, outcome Outcome)
}

// Outcome is what the limiter did with a request, for Config.Observe.
type Outcome int

// The outcomes of a decision.
const (
	Allowed Outcome = iota // under the limit: served
	Limited                // over the limit: 429
	Failed                 // the store failed: served without a limit
)

// String is the outcome's name: allowed, limited or failed.
func (o Outcome) String() string {
	switch o {
	case Allowed:
		return "allowed"
	case Limited:
		return "limited"
	default:
		return "failed"
	}
}

// policy is a limit with its precomputed header values.
type policy struct {
	name   string
	spec   Spec
	quoted string   // name as an RFC 9651 string
	header []string // the RateLimit-Policy field value
}

func newPolicy(name string, spec Spec) *policy {
	q := strconv.Quote(name) // names are printable ASCII without '"' or '\': Quote matches sf-string
	return &policy{
		name:   name,
		spec:   spec,
		quoted: q,
		header: []string{q + ";q=" + strconv.Itoa(spec.Limit) + ";w=" + strconv.Itoa(int(spec.Window/time.Second))},
	}
}

// rateLimit is the RateLimit field value for r requests remaining and t
// seconds until more quota, built on the stack: one allocation, the string.
func (p *policy) rateLimit(r int, t int64) string {
	var buf [128]byte
	b := append(buf[:0], p.quoted...)
	b = append(b, ";r="...)
	b = strconv.AppendInt(b, int64(r), 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, t, 10)
	return string(b)
}

// Limiter is the rate-limiting middleware.
type Limiter struct {
	def      *policy
	routes   map[string]*policy
	store    Store
	mux      *http.ServeMux
	clientIP func(*http.Request) netip.Addr
	exempt   func(*http.Request) bool
	observe  func(string, Outcome)
}

// New returns a Limiter. It fails when a per-route pattern matches no
// route of c.Mux, so a typo is a start-up error, not a missing limit.
func New(c Config) (*Limiter, error) {
	if c.Default.Limit < 1 || c.Default.Window <= 0 {
		return nil, fmt.Errorf("ratelimit: default limit %v is not positive", c.Default)
	}
	l := &Limiter{
		def:      newPolicy("default", c.Default),
		routes:   map[string]*policy{},
		store:    c.Store,
		mux:      c.Mux,
		clientIP: c.ClientIP,
		exempt:   c.Exempt,
		observe:  c.Observe,
	}
	if l.store == nil {
		l.store = NewMemory(DefaultMaxKeys)
	}
	if l.exempt == nil {
		l.exempt = IsExempt
	}
	if l.observe == nil {
		l.observe = func(string, Outcome) {}
	}
	if l.clientIP == nil {
		l.clientIP = httpx.NewClientIP(nil).Of
	}
	for _, r := range c.Routes {
		if c.Mux == nil || !registered(c.Mux, r.Pattern) {
			return nil, fmt.Errorf("RATE_LIMIT_ROUTES: %q matches no route; write patterns as registered, e.g. \"POST /api/v1/items\"", r.Pattern)
		}
		l.routes[r.Pattern] = newPolicy(r.Pattern, r.Spec)
	}
	return l, nil
}

// registered reports whether pattern is a pattern of mux, by routing a
// request built from it ("{id}" becomes "x").
func registered(mux *http.ServeMux, pattern string) bool {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = http.MethodGet, pattern
	}
	var b strings.Builder
	for seg := range strings.SplitSeq(path, "/") {
		if b.Len() > 0 || seg != "" {
			b.WriteByte('/')
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			seg = "x"
		}
		b.WriteString(seg)
	}
	if strings.HasSuffix(path, "/") || b.Len() == 0 {
		b.WriteByte('/')
	}
	r, err := http.NewRequest(method, b.String(), nil)
	if err != nil {
		return false
	}
	_, got := mux.Handler(r)
	return got == pattern
}

// IsExempt reports whether r is a health probe or a metrics scrape, which
// orchestrators and monitoring must always reach.
func IsExempt(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/health/") || p == "/metrics"
}

// Canonical header keys, so setting them costs no canonicalisation.
const (
	policyHeader     = "Ratelimit-Policy"
	rateLimitHeader  = "Ratelimit"
	retryAfterHeader = "Retry-After"
)

// QuotaExceededType is the problem type of a 429 (IANA HTTP Problem Types).
const QuotaExceededType = "https://iana.org/assignments/http-problem-types#quota-exceeded"

// Middleware limits the requests next serves.
func (l *Limiter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.exempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		p := l.def
		if len(l.routes) > 0 {
			if _, pattern := l.mux.Handler(r); l.routes[pattern] != nil {
				p = l.routes[pattern]
			}
		}
		client, ok := httpx.ClientIPFrom(r.Context()) // resolved once by the chain
		if !ok {
			client = l.clientIP(r)
		}
		if client.Is6() {
			if block, err := client.Prefix(64); err == nil {
				client = block.Addr()
			}
		}
		// Memory never fails; Redis falls back to memory on its own (see
		// Fallback). An error here is a bug: count the request as allowed
		// but say so loudly rather than answer 500.
		d, err := l.store.Allow(r.Context(), Key{Policy: p.name, Client: client}, p.spec)
		if err != nil {
			httpx.Logger(r.Context()).ErrorContext(r.Context(), "rate limit store failed; request not limited", "error", err.Error())
			l.observe(p.name, Failed)
			next.ServeHTTP(w, r)
			return
		}
		// t is capped at the window w: a client that waits w seconds has a
		// whole window behind it. (Memory's sliding estimate may hold back
		// a burst made at a window's very start for up to w/q longer; a
		// request then refused gets a new, short t.)
		t := min(max(int64((d.Reset+time.Second-1)/time.Second), 0), int64(p.spec.Window/time.Second))
		h := w.Header()
		h[policyHeader] = p.header
		h[rateLimitHeader] = []string{p.rateLimit(d.Remaining, t)}
		if d.Allowed {
			l.observe(p.name, Allowed)
			next.ServeHTTP(w, r)
			return
		}
		l.observe(p.name, Limited)
		if l.mux != nil { // a refusal is rare: its route lookup costs nothing overall
			if _, pattern := l.mux.Handler(r); pattern != "" {
				httpx.NoteRoute(r.Context(), pattern)
			}
		}
		retry := max(t, 1)
		h[retryAfterHeader] = []string{strconv.FormatInt(retry, 10)}
		httpx.Logger(r.Context()).WarnContext(r.Context(), "excess_rate_limit_exceeded",
			"policy", p.name, "limit", p.spec.String(), "client", client.String())
		httpx.WriteProblem(w, httpx.Problem{
			Type:     QuotaExceededType,
			Status:   http.StatusTooManyRequests,
			Detail:   fmt.Sprintf("Rate limit of %s exceeded; retry in %d s.", p.spec, retry),
			Instance: r.URL.Path,
		})
	})
}
