package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"example.com/myapp/internal/telemetry/telemetrytest"
)

// With tracing on, each Redis command made during a request is a span
// under the request's: the readiness check's PING here. Its arguments are
// not recorded.
func TestRedisSpans(t *testing.T) {
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50") // export every 50 ms, not 5 s
	col := telemetrytest.Start(t)
	mr := miniredis.RunT(t)
	addr := startServer(t, map[string]string{"REDIS_URL": "redis://" + mr.Addr() + "/0", "OTEL_EXPORTER_OTLP_ENDPOINT": col.URL})
	req, _ := http.NewRequest("GET", "http://"+addr+"/health/ready", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()

	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		spans := col.Spans()
		var server, ping *telemetrytest.Span
		for i, s := range spans {
			switch s.Name {
			case "GET /health/ready":
				server = &spans[i]
			case "ping":
				ping = &spans[i]
			}
		}
		if server != nil && ping != nil {
			if ping.ParentID != server.SpanID || ping.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || ping.Kind != "SPAN_KIND_CLIENT" {
				t.Fatalf("ping span %+v, want a client span under the request's %s", *ping, server.SpanID)
			}
			if _, ok := ping.Attrs["db.statement"]; ok {
				t.Fatalf("the Redis span records the command's arguments: %v", ping.Attrs)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no server and ping spans exported: %+v", spans)
		}
	}
}
