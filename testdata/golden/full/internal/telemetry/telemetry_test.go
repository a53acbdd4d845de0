package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"example.com/myapp/internal/db"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/telemetry/telemetrytest"
)

// recorded returns a provider whose spans end up in the returned recorder,
// sampled with sampler (always on when nil).
func recorded(t *testing.T, sampler sdktrace.Sampler) (*Provider, *tracetest.SpanRecorder) {
	t.Helper()
	if sampler == nil {
		sampler = sdktrace.AlwaysSample()
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &Provider{tp: tp, prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}, rec
}

// chain is the service's middleware chain with p's middleware in Outer,
// around mux.
func chain(p *Provider, mux *http.ServeMux) http.Handler {
	return httpx.Chain(httpx.Routes(mux), httpx.ChainOptions{
		Log:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		MaxBodyBytes: 1 << 20,
		Outer:        []httpx.Middleware{p.Middleware},
	})
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// Tracing is off, and says why, for each way of turning it off.
func TestSetupOff(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Disabled: true, Exporter: ExporterConsole}, "OTEL_SDK_DISABLED"},
		{Config{Exporter: ExporterNone, Endpoint: "http://127.0.0.1:4318"}, "OTEL_EXPORTER is none"},
		{Config{Exporter: ExporterOTLP}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{Config{}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
	} {
		p, err := Setup(context.Background(), c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if p.Enabled() || !strings.Contains(p.Off(), c.want) {
			t.Errorf("%+v: enabled %v, off %q; want off naming %s", c.cfg, p.Enabled(), p.Off(), c.want)
		}
		if p.TracerProvider() == nil || p.Shutdown(context.Background()) != nil {
			t.Errorf("%+v: the off provider must still give a tracer provider and shut down", c.cfg)
		}
	}
}

// The configuration types accept what the OpenTelemetry variables allow
// and name the choices otherwise.
func TestConfigValues(t *testing.T) {
	var e Exporter
	for _, ok := range []string{"otlp", "console", "none", " OTLP "} {
		if err := e.UnmarshalText([]byte(ok)); err != nil {
			t.Errorf("exporter %q: %v", ok, err)
		}
	}
	if err := e.UnmarshalText([]byte("zipkin")); err == nil || !strings.Contains(err.Error(), "otlp, console or none") {
		t.Errorf("exporter zipkin: %v, want an error naming the choices", err)
	}
	var s Sampler
	for _, ok := range []string{"always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"} {
		if err := s.UnmarshalText([]byte(ok)); err != nil {
			t.Errorf("sampler %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "jaeger_remote", "parentbased_", "sometimes"} {
		if err := s.UnmarshalText([]byte(bad)); err == nil || !strings.Contains(err.Error(), "traceidratio") {
			t.Errorf("sampler %q: %v, want an error naming the choices", bad, err)
		}
	}
	var r Ratio
	for _, ok := range []string{"0", "0.1", "1"} {
		if err := r.UnmarshalText([]byte(ok)); err != nil {
			t.Errorf("ratio %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-0.1", "1.5", "10%", "NaN"} {
		if err := r.UnmarshalText([]byte(bad)); err == nil || !strings.Contains(err.Error(), "from 0 to 1") {
			t.Errorf("ratio %q: %v, want an error", bad, err)
		}
	}
}

// A server span is named after the route pattern, whatever the raw path:
// 1,000 ids make one span name; an unmatched path is named by its method
// alone. Attributes carry the route, the status and the redacted query;
// a 5xx marks the span as an error.
func TestMiddlewareSpans(t *testing.T) {
	p, rec := recorded(t, nil)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{}")) })
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	h := chain(p, mux)
	for i := range 1000 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", fmt.Sprintf("/items/%d", i), nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nowhere/42?token=s3cret&page=2", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/boom", nil))

	spans := rec.Ended()
	if len(spans) != 1002 {
		t.Fatalf("%d spans, want 1002", len(spans))
	}
	names := map[string]int{}
	for _, s := range spans {
		names[s.Name()]++
	}
	if names["GET /items/{id}"] != 1000 || names["GET"] != 1 || names["GET /boom"] != 1 || len(names) != 3 {
		t.Fatalf("span names %v, want 1000 × GET /items/{id}, GET, GET /boom", names)
	}
	first := spans[0]
	if first.SpanKind() != trace.SpanKindServer || attr(first, "http.route") != "/items/{id}" || attr(first, "http.response.status_code") != "200" || attr(first, "url.path") != "/items/0" {
		t.Errorf("item span: kind %v, attributes %v", first.SpanKind(), first.Attributes())
	}
	miss := spans[1000]
	if q := attr(miss, "url.query"); q != "token=REDACTED&page=2" {
		t.Errorf("url.query %q, want the token redacted", q)
	}
	if attr(miss, "http.route") != "" || attr(miss, "http.response.status_code") != "404" {
		t.Errorf("miss: %v", miss.Attributes())
	}
	if boom := spans[1001]; boom.Status().Code != codes.Error {
		t.Errorf("502 span status %v, want Error", boom.Status())
	}
}

// A request that carries a traceparent continues the caller's trace: the
// server span is the child of the caller's span, and the caller's baggage
// reaches the handler. Without one, it starts a trace of its own.
func TestMiddlewareContinuesTrace(t *testing.T) {
	p, rec := recorded(t, sdktrace.ParentBased(sdktrace.NeverSample()))
	mux := http.NewServeMux()
	var tenant string
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) {
		tenant = baggage.FromContext(r.Context()).Member("tenant").Value()
	})
	h := chain(p, mux)
	r := httptest.NewRequest("GET", "/ok", nil)
	r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	r.Header.Set("baggage", "tenant=acme")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if tenant != "acme" {
		t.Errorf("baggage tenant %q in the handler, want acme", tenant)
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ok", nil)) // not sampled: NeverSample for roots
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans recorded, want only the one the caller sampled", len(spans))
	}
	s := spans[0]
	if s.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || s.Parent().SpanID().String() != "00f067aa0ba902b7" || !s.Parent().IsRemote() {
		t.Fatalf("span trace %s parent %s (remote %v), want the caller's", s.SpanContext().TraceID(), s.Parent().SpanID(), s.Parent().IsRemote())
	}
}

// The sampler follows the configured ratio: 0 records nothing, 1 records
// everything.
func TestSamplerRatio(t *testing.T) {
	for _, c := range []struct {
		ratio Ratio
		want  int
	}{
		{0, 0},
		{1, 100},
	} {
		smp, err := Sampler("traceidratio").sampler(c.ratio)
		if err != nil {
			t.Fatal(err)
		}
		p, rec := recorded(t, smp)
		mux := http.NewServeMux()
		mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) {})
		h := chain(p, mux)
		for range 100 {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ok", nil))
		}
		if got := len(rec.Ended()); got != c.want {
			t.Errorf("ratio %v: %d of 100 requests traced, want %d", c.ratio, got, c.want)
		}
	}
}

// One incoming request that queries the database and calls another
// service makes one trace: the server span, and under it a span for the
// query and a client span for the call, whose traceparent reaches the
// other service. The client span's URL has its secret redacted; a query
// outside any request makes no span.
func TestRequestQueryCall(t *testing.T) {
	p, rec := recorded(t, nil)
	ctx := context.Background()
	sqlDB, err := db.OpenWith(ctx, dbtest.URL(t), p.OpenDB(db.System))
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	var one int
	if err := sqlDB.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil { // no trace: no span
		t.Fatal(err)
	}

	var downstream string // the traceparent the other service received
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		downstream = r.Header.Get("traceparent")
		_, _ = w.Write([]byte("ok"))
	}))
	defer other.Close()
	client := &http.Client{Transport: p.Transport("vendor", http.DefaultTransport)}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /report/{id}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		if err := sqlDB.QueryRowContext(r.Context(), "SELECT 2").Scan(&n); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), "GET", other.URL+"/v1/data?key=sk-live-123&page=1", nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_ = resp.Body.Close()
		w.WriteHeader(http.StatusNoContent)
	})
	w := httptest.NewRecorder()
	chain(p, mux).ServeHTTP(w, httptest.NewRequest("GET", "/report/7", nil))
	if w.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}

	spans := rec.Ended()
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byName[s.Name()] = s
	}
	server, query, call := byName["GET /report/{id}"], byName["sql.conn.query"], byName["GET vendor"]
	if server == nil || query == nil || call == nil || len(spans) != 3 {
		names := []string{}
		for _, s := range spans {
			names = append(names, s.Name())
		}
		t.Fatalf("spans %v, want the server span, one query and one call", names)
	}
	traceID := server.SpanContext().TraceID()
	for _, s := range []sdktrace.ReadOnlySpan{query, call} {
		if s.SpanContext().TraceID() != traceID || s.Parent().SpanID() != server.SpanContext().SpanID() {
			t.Errorf("%s: trace %s parent %s, want children of the server span %s", s.Name(), s.SpanContext().TraceID(), s.Parent().SpanID(), server.SpanContext().SpanID())
		}
	}
	if attr(query, "db.system.name") != db.System || attr(query, "db.query.text") != "SELECT 2" {
		t.Errorf("query span attributes %v", query.Attributes())
	}
	if call.SpanKind() != trace.SpanKindClient || attr(call, "peer.service") != "vendor" {
		t.Errorf("call span kind %v attributes %v", call.SpanKind(), call.Attributes())
	}
	if u := attr(call, "url.full"); !strings.Contains(u, "key=REDACTED&page=1") || strings.Contains(u, "sk-live") {
		t.Errorf("url.full %q, want the key redacted", u)
	}
	if want := "00-" + traceID.String() + "-" + call.SpanContext().SpanID().String() + "-01"; downstream != want {
		t.Errorf("downstream traceparent %q, want %q", downstream, want)
	}
}

// Log lines written with the context of a sampled span carry its ids;
// others are unchanged.
func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	p, _ := recorded(t, nil)
	ctx, span := p.TracerProvider().Tracer("test").Start(context.Background(), "op")
	log.InfoContext(ctx, "inside")
	span.End()
	log.InfoContext(context.Background(), "outside")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log: %s", buf.String())
	}
	var in, out map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &in)
	_ = json.Unmarshal([]byte(lines[1]), &out)
	if in["trace_id"] != span.SpanContext().TraceID().String() || in["span_id"] != span.SpanContext().SpanID().String() || in["component"] != "test" {
		t.Errorf("line inside the span: %s", lines[0])
	}
	if _, ok := out["trace_id"]; ok {
		t.Errorf("line outside a span has a trace id: %s", lines[1])
	}
}

// Spans reach an OTLP/HTTP collector in the protocol's protobuf form, with
// the service's resource, when the provider shuts down.
func TestOTLPExport(t *testing.T) {
	col := telemetrytest.Start(t)
	p, err := Setup(context.Background(), Config{Exporter: ExporterOTLP, Endpoint: col.URL, ServiceName: "svc", Version: "1.2.3", Environment: "test"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	chain(p, mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/1?ticket=abc", nil))
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := col.Spans()
	if len(spans) != 1 {
		t.Fatalf("collector received %d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name != "GET /items/{id}" || s.Kind != "SPAN_KIND_SERVER" || s.Resource["service.name"] != "svc" || s.Resource["service.version"] != "1.2.3" || s.Resource["deployment.environment.name"] != "test" {
		t.Errorf("span %+v", s)
	}
	if s.Attrs["url.query"] != "ticket=REDACTED" {
		t.Errorf("exported url.query %q, want the ticket redacted", s.Attrs["url.query"])
	}
}

// Shutdown gives up when its context ends, even if the collector never
// answers: a stuck collector cannot hold the service's shutdown past its
// timeout.
func TestShutdownBounded(t *testing.T) {
	col := telemetrytest.Start(t)
	col.Fail(http.StatusOK, time.Minute)
	p, err := Setup(context.Background(), Config{Exporter: ExporterOTLP, Endpoint: col.URL, ServiceName: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	_, span := p.TracerProvider().Tracer("test").Start(context.Background(), "op")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = p.Shutdown(ctx)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Shutdown took %v with a 300ms context", took)
	}
	if err == nil {
		t.Fatal("Shutdown against a stuck collector reported no error")
	}
}

// The console exporter writes each span as JSON to its writer.
func TestConsoleExporter(t *testing.T) {
	var buf bytes.Buffer
	p, err := Setup(context.Background(), Config{Exporter: ExporterConsole, Console: &buf, ServiceName: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	_, span := p.TracerProvider().Tracer("test").Start(context.Background(), "console-op")
	span.End()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got struct{ Name string }
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil || got.Name != "console-op" {
		t.Fatalf("console output %q (%v), want the span as JSON", buf.String(), err)
	}
}
