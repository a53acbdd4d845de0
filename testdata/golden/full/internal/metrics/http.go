package metrics

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/myapp/internal/httpx"
)

// Unmatched is the route label of every request no route matched (404s of
// unknown paths, 405s): one series however many paths are tried.
const Unmatched = "unmatched"

// HTTP is the RED middleware: requests by method, route pattern and status
// class, their duration by method and route (classic buckets and a native
// histogram), and the requests in flight. Use it as Outer middleware of
// httpx.Chain, which tells it the route and status (httpx.Observe).
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge

	// series caches the labelled children per (method, route, class), so
	// that a request costs a map lookup and no allocation: the map is
	// replaced, never changed (copy on write), and only the first request
	// of a series takes mu. Routes, methods and classes are bounded, so
	// the map is too.
	series atomic.Pointer[map[seriesKey]series]
	mu     sync.Mutex
	now    func() time.Time
}

type seriesKey struct {
	method, route string
	class         int // 1..5 for 1xx..5xx
}

type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// NewHTTP makes the middleware's metrics and registers them with reg.
func NewHTTP(reg *Registry) (*HTTP, error) {
	h := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests served, by method, route pattern and status class.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by method and route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
			// A native histogram beside the classic buckets, for scrapers
			// that ask for it (protobuf): ~10% wide buckets at any scale.
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  160,
			NativeHistogramMinResetDuration: time.Hour,
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		now: time.Now,
	}
	h.series.Store(&map[seriesKey]series{})
	if err := reg.Register(h.requests, h.duration, h.inFlight); err != nil {
		return nil, err
	}
	return h, nil
}

// Middleware measures every request next serves.
func (h *HTTP) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := h.now()
		h.inFlight.Inc()
		defer h.inFlight.Dec() // also when a handler aborts with a panic
		next.ServeHTTP(w, r)
		o, _ := httpx.Observe(r.Context())
		route := o.Route
		if route == "" {
			route = Unmatched
		}
		s := h.get(seriesKey{method: Method(r.Method), route: route, class: class(o.Status)})
		s.requests.Inc()
		s.duration.Observe(h.now().Sub(start).Seconds())
	})
}

// get returns the children of k, making them on first use.
func (h *HTTP) get(k seriesKey) series {
	if s, ok := (*h.series.Load())[k]; ok {
		return s
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.series.Load()
	if s, ok := old[k]; ok {
		return s
	}
	s := series{
		requests: h.requests.WithLabelValues(k.method, k.route, classLabels[k.class]),
		duration: h.duration.WithLabelValues(k.method, k.route),
	}
	m := make(map[seriesKey]series, len(old)+1)
	for key, v := range old {
		m[key] = v
	}
	m[k] = s
	h.series.Store(&m)
	return s
}

var classLabels = [...]string{"", "1xx", "2xx", "3xx", "4xx", "5xx"}

// class is the status class of status, 1 to 5; 0 (no status written)
// counts as 200, the status net/http sends then, and anything out of
// range as 5xx.
func class(status int) int {
	switch {
	case status == 0:
		return 2
	case status >= 100 && status < 600:
		return status / 100
	default:
		return 5
	}
}

// Method returns the method label of m: the standard methods as they are,
// anything else "OTHER", so invented methods add no series.
func Method(m string) string {
	switch m {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodOptions:
		return http.MethodOptions
	case http.MethodConnect:
		return http.MethodConnect
	case http.MethodTrace:
		return http.MethodTrace
	default:
		return "OTHER"
	}
}
