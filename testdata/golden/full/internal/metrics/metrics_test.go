package metrics_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/metrics"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// service is a chain with the RED middleware around two routes: GET
// /items/{id} answers the status in ?status= (200 without), /any answers
// 204 to every method.
func service(t testing.TB) (*metrics.Registry, http.Handler) {
	t.Helper()
	reg := metrics.NewRegistry()
	red, err := metrics.NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		if s := r.URL.Query().Get("status"); s != "" {
			n, _ := strconv.Atoi(s)
			w.WriteHeader(n)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("/any", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return reg, httpx.Chain(httpx.Routes(mux), httpx.ChainOptions{Log: discard, MaxBodyBytes: 1 << 20, Outer: []httpx.Middleware{red.Middleware}})
}

func serve(h http.Handler, method, target string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Code
}

// families gathers reg the way /metrics does.
func families(t *testing.T, reg *metrics.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	list, err := reg.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range list {
		out[f.GetName()] = f
	}
	return out
}

// labels renders a metric's labels as name=value pairs, sorted.
func labels(m *dto.Metric) string {
	var out []string
	for _, l := range m.GetLabel() {
		out = append(out, l.GetName()+"="+l.GetValue())
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// counts returns the value of every series of a counter family by labels.
func counts(t *testing.T, reg *metrics.Registry, name string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, m := range families(t, reg)[name].GetMetric() {
		out[labels(m)] = m.GetCounter().GetValue()
	}
	return out
}

// Requests are counted by method, route pattern and status class; the
// duration by method and route; methods outside the standard set and
// unmatched paths are one label each.
func TestLabelsAndStatusClasses(t *testing.T) {
	reg, h := service(t)
	for _, c := range []struct {
		method, target string
		want           int
	}{
		{"GET", "/items/1", 200},
		{"GET", "/items/2", 200},
		{"GET", "/items/3?status=302", 302},
		{"GET", "/items/4?status=404", 404},
		{"GET", "/items/5?status=503", 503},
		{"GET", "/items/6?status=101", 101},
		{"DELETE", "/items/1", 405},
		{"GET", "/nowhere", 404},
		{"BREW", "/any", 204},
		{"PATCH", "/any", 204},
	} {
		if got := serve(h, c.method, c.target); got != c.want {
			t.Fatalf("%s %s: status %d, want %d", c.method, c.target, got, c.want)
		}
	}
	want := map[string]float64{
		"method=GET,route=GET /items/{id},status=2xx": 2,
		"method=GET,route=GET /items/{id},status=3xx": 1,
		"method=GET,route=GET /items/{id},status=4xx": 1,
		"method=GET,route=GET /items/{id},status=5xx": 1,
		"method=GET,route=GET /items/{id},status=1xx": 1,
		"method=DELETE,route=unmatched,status=4xx":    1,
		"method=GET,route=unmatched,status=4xx":       1,
		"method=OTHER,route=/any,status=2xx":          1,
		"method=PATCH,route=/any,status=2xx":          1,
	}
	got := counts(t, reg, "http_requests_total")
	if len(got) != len(want) {
		t.Errorf("http_requests_total has %d series, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("http_requests_total{%s} = %v, want %v", k, got[k], v)
		}
	}

	fams := families(t, reg)
	hist := map[string]uint64{}
	for _, m := range fams["http_request_duration_seconds"].GetMetric() {
		hist[labels(m)] = m.GetHistogram().GetSampleCount()
		if len(m.GetHistogram().GetBucket()) == 0 {
			t.Errorf("duration{%s} has no classic buckets", labels(m))
		}
		if m.GetHistogram().GetSchema() == 0 && len(m.GetHistogram().GetPositiveSpan()) == 0 {
			t.Errorf("duration{%s} has no native histogram", labels(m))
		}
	}
	if hist["method=GET,route=GET /items/{id}"] != 6 || hist["method=OTHER,route=/any"] != 1 || len(hist) != 5 {
		t.Errorf("http_request_duration_seconds counts = %v", hist)
	}
	if g := fams["http_requests_in_flight"].GetMetric()[0].GetGauge().GetValue(); g != 0 {
		t.Errorf("http_requests_in_flight = %v after every request ended", g)
	}
}

// The in-flight gauge counts a request while it is served.
func TestInFlight(t *testing.T) {
	reg := metrics.NewRegistry()
	red, err := metrics.NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	var during float64
	h := red.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		during = families(t, reg)["http_requests_in_flight"].GetMetric()[0].GetGauge().GetValue()
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if during != 1 {
		t.Errorf("http_requests_in_flight during a request = %v, want 1", during)
	}
}

// Label cardinality is bounded: 1,000 distinct paths no route matches are
// one series, and 1,000 ids of one route pattern are one series too.
func TestRouteLabelIsBounded(t *testing.T) {
	reg, h := service(t)
	for i := range 1000 {
		serve(h, "GET", "/scan/"+strconv.Itoa(i)+"/x?y="+strconv.Itoa(i))
		serve(h, "GET", "/items/"+strconv.Itoa(i))
	}
	got := counts(t, reg, "http_requests_total")
	want := map[string]float64{
		"method=GET,route=unmatched,status=4xx":       1000,
		"method=GET,route=GET /items/{id},status=2xx": 1000,
	}
	if len(got) != 2 || got["method=GET,route=unmatched,status=4xx"] != 1000 || got["method=GET,route=GET /items/{id},status=2xx"] != 1000 {
		t.Errorf("http_requests_total = %v, want %v", got, want)
	}
	if n := len(families(t, reg)["http_request_duration_seconds"].GetMetric()); n != 2 {
		t.Errorf("http_request_duration_seconds has %d series, want 2", n)
	}
}

// After its first request of a series, the middleware allocates nothing.
func TestMiddlewareAllocatesNothing(t *testing.T) {
	red, err := metrics.NewHTTP(metrics.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	noop := red.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("GET", "/items/1", nil)
	w := httptest.NewRecorder()
	noop.ServeHTTP(w, r)
	if n := testing.AllocsPerRun(1000, func() { noop.ServeHTTP(w, r) }); n != 0 {
		t.Errorf("the middleware allocates %v times per request, want 0", n)
	}
}

// /metrics with a token: 401 without it or with another one, the text
// exposition with it, which the Prometheus text parser reads.
func TestHandlerToken(t *testing.T) {
	reg, h := service(t)
	serve(h, "GET", "/items/1")
	const token = "0123456789abcdef0123456789abcdef"
	srv := httptest.NewServer(reg.Handler(token, discard))
	t.Cleanup(srv.Close)
	for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer wrong", "Basic " + token, "Bearer " + token + "x", "Bearer " + token[:31]} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" || strings.Contains(string(body), "http_requests_total") {
			t.Errorf("Authorization %q: status %d, WWW-Authenticate %q, body %.80q; want 401 and no metrics", auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
	}
	for _, auth := range []string{"Bearer " + token, "bearer " + token} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		fams, err := Parse(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("Authorization %q: status %d, parse error %v", auth, resp.StatusCode, err)
		}
		for name, typ := range map[string]dto.MetricType{
			"http_requests_total":           dto.MetricType_COUNTER,
			"http_request_duration_seconds": dto.MetricType_HISTOGRAM,
			"http_requests_in_flight":       dto.MetricType_GAUGE,
			"go_goroutines":                 dto.MetricType_GAUGE,
		} {
			if f := fams[name]; f == nil || f.GetType() != typ {
				t.Errorf("family %s: %v, want type %v", name, f, typ)
			}
		}
	}
}

// Parse reads the text exposition with the Prometheus text parser.
func Parse(r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(r)
}

// Names lists what the collectors describe, also families without any
// series yet; a clash of names is an error.
func TestNamesAndClashes(t *testing.T) {
	reg := metrics.NewRegistry()
	if _, err := metrics.NewHTTP(reg); err != nil {
		t.Fatal(err)
	}
	names := reg.Names()
	for _, want := range []string{"http_requests_total", "http_request_duration_seconds", "http_requests_in_flight", "go_goroutines"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() = %v, want %s in it", names, want)
		}
	}
	if _, err := metrics.NewHTTP(reg); err == nil {
		t.Error("registering http_requests_total twice: no error")
	}
}

func BenchmarkMiddleware(b *testing.B) {
	red, err := metrics.NewHTTP(metrics.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	h := red.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("GET", "/items/1", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}
