package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/telemetry/telemetrytest"
)

// syncBuffer is a log destination the server's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(s.b.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// newTraced wires the service with vars over a fresh database, logging
// JSON into the returned buffer.
func newTraced(t *testing.T, vars map[string]string) (*app.App, *syncBuffer) {
	t.Helper()
	env := map[string]string{"APP_ENV": "test", "DATABASE_URL": dbtest.URL(t)}
	for k, v := range vars {
		env[k] = v
	}
	cfg, err := config.Load(func(key string) string { return env[key] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return a, logs
}

const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"

func getTraced(t *testing.T, url string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("traceparent", "00-"+callerTrace+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
}

// With an OTLP endpoint, a request continues the caller's trace through
// the wired service: its server span, named after the route, is exported
// with the database query under it when the service closes, and the
// request's access log line carries the trace id.
func TestTracingThroughTheService(t *testing.T) {
	col := telemetrytest.Start(t)
	a, logs := newTraced(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": col.URL, "OTEL_SERVICE_NAME": "traced"})
	srv := httptest.NewServer(a.Handler())
	getTraced(t, srv.URL+"/api/v1/items?limit=5")
	srv.Close()
	if err := a.Close(); err != nil { // flushes the spans
		t.Fatal(err)
	}

	var server *telemetrytest.Span
	spans := col.Spans()
	for i, s := range spans {
		if s.Name == "GET /api/v1/items" {
			server = &spans[i]
		}
	}
	if server == nil {
		t.Fatalf("no server span among %+v", spans)
	}
	if server.TraceID != callerTrace || server.ParentID != "00f067aa0ba902b7" || server.Resource["service.name"] != "traced" {
		t.Fatalf("server span %+v, want the caller's trace and service.name traced", *server)
	}
	queries := 0
	for _, s := range spans {
		if strings.HasPrefix(s.Name, "sql.") && s.ParentID == server.SpanID && strings.Contains(s.Attrs["db.query.text"], "FROM items") {
			queries++
		}
	}
	if queries == 0 {
		t.Fatalf("no query span under the server span among %+v", spans)
	}
	found := false
	for _, l := range logs.lines() {
		if l["msg"] == "request" && l["route"] == "GET /api/v1/items" {
			found = l["trace_id"] == callerTrace && l["span_id"] == server.SpanID
		}
	}
	if !found {
		t.Fatalf("the access log line has no trace_id %s / span_id %s: %v", callerTrace, server.SpanID, logs.lines())
	}
}

// Without an endpoint tracing is off: the startup log says why, and a
// request, even one the caller sampled, leaves no trace id in the log.
func TestTracingOff(t *testing.T) {
	a, logs := newTraced(t, nil)
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	getTraced(t, srv.URL+"/api/v1/items")
	said, requests := false, 0
	for _, l := range logs.lines() {
		if l["msg"] == "tracing off: OTEL_EXPORTER_OTLP_ENDPOINT is not set" {
			said = true
		}
		if l["msg"] == "request" {
			requests++
			if _, ok := l["trace_id"]; ok {
				t.Errorf("request logged with a trace id while tracing is off: %v", l)
			}
		}
	}
	if !said || requests != 1 {
		t.Fatalf("said why %v, %d request lines: %v", said, requests, logs.lines())
	}
}

// A configuration the SDK could not use is refused at startup, naming the
// variable.
func TestTracingBadConfig(t *testing.T) {
	url := dbtest.UnusedURL(t) // config only: nothing connects
	for key, value := range map[string]string{
		"OTEL_EXPORTER":           "zipkin",
		"OTEL_TRACES_SAMPLER":     "sometimes",
		"OTEL_TRACES_SAMPLER_ARG": "2",
	} {
		_, err := config.Load(func(k string) string {
			return map[string]string{"APP_ENV": "test", "DATABASE_URL": url, key: value}[k]
		})
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%s: %v, want an error naming %s", key, value, err, key)
		}
	}
}
