// Package metrics exposes the service's Prometheus metrics: the RED
// metrics of every request by route pattern (HTTP), the Go runtime and the
// process, and whatever collectors the features register (database pool,
// rate-limit decisions, job states, AI tokens, WebSockets).
//
// Label values are bounded by construction: routes are ServeMux patterns
// (every request no route matched is one "unmatched" route), methods the
// standard ones (anything else is "OTHER"), statuses their class ("2xx").
package metrics

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"example.com/myapp/internal/httpx"
)

// Registry holds the service's collectors: the Go runtime's and the
// process's from the start, then each feature's. It is safe for
// concurrent use.
type Registry struct {
	reg *prometheus.Registry

	mu    sync.Mutex
	names []string // fully-qualified names of every metric described so far
}

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() *Registry {
	r := &Registry{reg: prometheus.NewRegistry()}
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return r
}

// Register adds collectors. It fails when one describes a metric another
// already has: two features may not export the same name.
func (r *Registry) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := r.reg.Register(c); err != nil {
			return err
		}
		r.describe(c)
	}
	return nil
}

// MustRegister is Register for collectors that cannot clash.
func (r *Registry) MustRegister(cs ...prometheus.Collector) {
	if err := r.Register(cs...); err != nil {
		panic(err)
	}
}

// Gatherer is what /metrics serves.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// fqName is how prometheus.Desc.String names its metric: the Desc keeps the
// name unexported.
var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r *Registry) describe(c prometheus.Collector) {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	r.mu.Lock()
	defer r.mu.Unlock()
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			r.names = append(r.names, m[1])
		}
	}
}

// Names returns the name of every metric family the registered collectors
// describe, sorted: what /metrics shows once each has a value (a counter
// by labels appears with its first increment).
func (r *Registry) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := slices.Clone(r.names)
	slices.Sort(names)
	return slices.Compact(names)
}

// Handler serves the exposition (text, or protobuf to scrapers that ask,
// which carries the native histograms). With token set it answers 401
// unless the request carries "Authorization: Bearer <token>", compared in
// constant time. A collector that fails (a job count that timed out) is
// logged and left out; the rest is still served.
func (r *Registry) Handler(token string, log *slog.Logger) http.Handler {
	h := promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(log.Handler(), slog.LevelError),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4, // scrapes are few; more at once is a misconfigured scraper
	})
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got, ok := bearer(req.Header.Get("Authorization"))
		// Hashing first makes the comparison constant-time in the length too.
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			httpx.WriteProblem(w, httpx.Problem{
				Status:   http.StatusUnauthorized,
				Detail:   "A valid METRICS_TOKEN bearer token is required.",
				Instance: req.URL.Path,
			})
			return
		}
		h.ServeHTTP(w, req)
	})
}

// bearer returns the token of an Authorization field value "Bearer
// <token>" (the scheme is case-insensitive, RFC 9110 11.1).
func bearer(v string) (string, bool) {
	const scheme = "Bearer "
	if len(v) <= len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return "", false
	}
	return v[len(scheme):], true
}
