package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/httpx"
)

// benchApp is the service as New wires it, configured as a production
// deployment behind a proxy: CORS on (benchRequest sends an allowed
// Origin), HSTS on, the proxy trusted (benchRequest comes through it), the
// JSON log at info (written to io.Discard: the line is formatted, not
// stored), and every feature's middleware on without refusing anything.
func benchApp(b *testing.B) *App {
	b.Helper()
	env := map[string]string{
		"APP_ENV":              "test",
		"DATABASE_URL":         dbtest.URL(b),
		"CORS_ALLOWED_ORIGINS": "https://app.example.com",
		"HSTS_ENABLED":         "true",
		"TRUSTED_PROXIES":      "10.0.0.0/8",
		"RATE_LIMIT_DEFAULT":   "1000000000/second", // never reached: the limiter counts and sets its headers
		// Tracing on, sampling nothing: the middleware's cost for the
		// requests a sampler drops (nothing is ever exported).
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
		"OTEL_TRACES_SAMPLER":         "traceidratio",
		"OTEL_TRACES_SAMPLER_ARG":     "0",
	}
	cfg, err := config.Load(func(key string) string { return env[key] })
	if err != nil {
		b.Fatal(err)
	}
	a, err := New(context.Background(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.Close() })
	return a
}

// benchRequest is a GET of path from a browser app, through the proxy.
func benchRequest(path string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.RemoteAddr = "10.0.0.1:41000"
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Accept", "application/json")
	return r
}

// benchWriter keeps the status and nothing else, so the benchmarks measure
// the service rather than a recorder. Its header map is cleared, not
// replaced, between requests: the map net/http makes for each response,
// and its growth, are the same for any handler (see make perf in
// omnistack for the cost of the whole server against bare net/http).
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header { return w.h }

func (w *benchWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(b), nil
}

func (w *benchWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// serveBench runs b.N requests r through h; each must answer want.
func serveBench(b *testing.B, h http.Handler, r *http.Request, want int) {
	b.Helper()
	w := &benchWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.status = 0
		h.ServeHTTP(w, r)
	}
	if w.status != want {
		b.Fatalf("GET %s: status %d, want %d", r.URL.Path, w.status, want)
	}
}

// BenchmarkChain is the middleware chain exactly as New wires it, every
// feature's middleware included, around a handler that only answers 204
// on the pattern of GET /api/v1/items/{id}: the chain's own cost per
// request. Target: < 5 µs and < 20 allocations per request.
func BenchmarkChain(b *testing.B) {
	a := benchApp(b)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	serveBench(b, httpx.Chain(httpx.Routes(mux), a.chain), benchRequest("/api/v1/items/1"), http.StatusNoContent)
}

// BenchmarkGetItem is the whole service answering GET /api/v1/items/{id}:
// the chain, huma (parameters, validation, JSON) and the store's query.
func BenchmarkGetItem(b *testing.B) {
	a := benchApp(b)
	create := httptest.NewRequest(http.MethodPost, "/api/v1/items", strings.NewReader(`{"name":"Notebook","description":"A5, dotted"}`))
	create.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, create)
	var it struct{ ID int64 }
	if err := json.Unmarshal(rec.Body.Bytes(), &it); rec.Code != http.StatusCreated || err != nil {
		b.Fatalf("create an item: %d %s", rec.Code, rec.Body)
	}
	serveBench(b, a.Handler(), benchRequest("/api/v1/items/"+strconv.FormatInt(it.ID, 10)), http.StatusOK)
}
