package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/telemetry/telemetrytest"
)

// With tracing on, the job a request enqueues is traced twice: its insert
// under the request's span, and the work, in a trace of its own, named
// after the job's kind.
func TestJobSpans(t *testing.T) {
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50") // export every 50 ms, not 5 s
	col := telemetrytest.Start(t)
	base, _ := serve(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": col.URL})
	req, _ := http.NewRequest("POST", base+"/api/v1/items", strings.NewReader(`{"name": "pen"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create item: %d", resp.StatusCode)
	}

	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var server, insert, work *telemetrytest.Span
		spans := col.Spans()
		for i, s := range spans {
			switch {
			case s.Name == "POST /api/v1/items":
				server = &spans[i]
			case strings.HasPrefix(s.Name, "river.insert"):
				insert = &spans[i]
			case s.Name == "river.work/item_created":
				work = &spans[i]
			}
		}
		if server != nil && insert != nil && work != nil {
			if insert.TraceID != server.TraceID || insert.ParentID != server.SpanID {
				t.Fatalf("insert span %+v, want it under the request's span %s", *insert, server.SpanID)
			}
			if work.Kind != "SPAN_KIND_CONSUMER" {
				t.Fatalf("work span %+v, want a consumer span", *work)
			}
			return
		}
		if time.Now().After(deadline) {
			names := []string{}
			for _, s := range spans {
				names = append(names, s.Name)
			}
			t.Fatalf("want the request, insert and work spans; exported %v", names)
		}
	}
}
