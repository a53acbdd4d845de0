package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db/dbtest"
)

const metricsToken = "test-metrics-token-0123456789abcdef"

// scrapeMetrics GETs url with the bearer token (none when empty) and parses the
// answer with the Prometheus text parser when it is 200.
func scrapeMetrics(t *testing.T, url, token string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: the exposition does not parse: %v", url, err)
	}
	return resp.StatusCode, fams
}

// Without METRICS_TOKEN and METRICS_PORT, /metrics is not served.
func TestMetricsNotServedByDefault(t *testing.T) {
	addr := startServer(t, nil)
	if code, _ := scrapeMetrics(t, "http://"+addr+"/metrics", ""); code != http.StatusNotFound {
		t.Errorf("GET /metrics = %d, want 404", code)
	}
}

// Without either variable, New logs one warning naming both; with one of
// them, none.
func TestMetricsWarnsWhenNotServed(t *testing.T) {
	for vars, want := range map[string]int{"": 1, "METRICS_TOKEN": 0, "METRICS_PORT": 0} {
		env := map[string]string{"APP_ENV": "test", "DATABASE_URL": dbtest.URL(t)}
		switch vars {
		case "METRICS_TOKEN":
			env[vars] = metricsToken
		case "METRICS_PORT":
			env[vars] = metricsFreePort(t)
		}
		cfg, err := config.Load(func(key string) string { return env[key] })
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		a, err := app.New(context.Background(), cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		_ = a.Close()
		n := 0
		for line := range strings.Lines(logs.String()) {
			if strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, "METRICS_TOKEN") && strings.Contains(line, "METRICS_PORT") {
				n++
			}
		}
		if n != want {
			t.Errorf("with %q set: %d warnings naming METRICS_TOKEN and METRICS_PORT, want %d; logs:\n%s", vars, n, want, logs.String())
		}
	}
}

// With METRICS_TOKEN, /metrics on the main port needs the token and shows
// the RED metrics of the requests served, by route pattern, and the
// database pool.
func TestMetricsOnMainPort(t *testing.T) {
	addr := startServer(t, map[string]string{"METRICS_TOKEN": metricsToken})
	for _, path := range []string{"/api/v1/items", "/api/v1/items/1", "/no/such/path"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	for _, token := range []string{"", "wrong"} {
		if code, _ := scrapeMetrics(t, "http://"+addr+"/metrics", token); code != http.StatusUnauthorized {
			t.Errorf("GET /metrics with token %q = %d, want 401", token, code)
		}
	}
	code, fams := scrapeMetrics(t, "http://"+addr+"/metrics", metricsToken)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics with the token = %d", code)
	}
	routes := map[string]bool{}
	for _, m := range fams["http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" {
				routes[l.GetValue()] = true
			}
		}
	}
	for _, want := range []string{"GET /api/v1/items", "GET /api/v1/items/{id}", "unmatched"} {
		if !routes[want] {
			t.Errorf("http_requests_total has no route %q: %v", want, routes)
		}
	}
	for _, name := range []string{"http_request_duration_seconds", "http_requests_in_flight", "go_sql_open_connections", "go_goroutines"} {
		if fams[name] == nil {
			t.Errorf("/metrics has no %s", name)
		}
	}
}

// metricsFreePort returns a TCP port nothing listens on (for a moment).
func metricsFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// runMetricsApp runs the service with vars through App.Run, as serve does, and
// returns the main port once it answers, and stop, which cancels Run (as
// SIGTERM would) and returns its error; the test's end stops it too.
func runMetricsApp(t *testing.T, vars map[string]string) (port string, stop func() error) {
	t.Helper()
	port = metricsFreePort(t)
	env := map[string]string{"APP_ENV": "test", "DATABASE_URL": dbtest.URL(t), "HOST": "127.0.0.1", "PORT": port, "SHUTDOWN_TIMEOUT": "5s"}
	for k, v := range vars {
		env[k] = v
	}
	cfg, err := config.Load(func(key string) string { return env[key] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(10 * time.Second):
				runErr = errors.New("Run did not return within 10s of the cancel")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:" + port + "/health/live")
		if err == nil {
			_ = resp.Body.Close()
			return port, stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service does not answer on %s: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scrapeWhenUp retries GET url until it connects (the metrics listener
// starts beside the main one) and returns the status.
func scrapeWhenUp(t *testing.T, url, token string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", url[len("http://"):len(url)-len("/metrics")], time.Second)
		if err == nil {
			_ = conn.Close()
			return scrapeMetrics(t, url, token)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// METRICS_PORT serves /metrics alone on a listener of its own, without a
// token; the main port does not serve it. The listener stops with Run.
func TestMetricsPort(t *testing.T) {
	mport := metricsFreePort(t)
	port, stop := runMetricsApp(t, map[string]string{"METRICS_PORT": mport})
	code, fams := scrapeWhenUp(t, "http://127.0.0.1:"+mport+"/metrics", "")
	if code != http.StatusOK || fams["http_requests_total"] == nil && fams["go_goroutines"] == nil {
		t.Fatalf("GET :%s/metrics = %d, families %d", mport, code, len(fams))
	}
	if code, _ := scrapeMetrics(t, "http://127.0.0.1:"+mport+"/api/v1/items", ""); code != http.StatusNotFound {
		t.Errorf("GET :%s/api/v1/items = %d, want 404: the metrics port serves /metrics only", mport, code)
	}
	if code, _ := scrapeMetrics(t, "http://127.0.0.1:"+port+"/metrics", ""); code != http.StatusNotFound {
		t.Errorf("GET :%s/metrics (main port, no token) = %d, want 404", port, code)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+mport, time.Second); err == nil {
		_ = conn.Close()
		t.Errorf("the metrics port %s still accepts connections after Run returned", mport)
	}
}

// With both set, the token protects the metrics port too.
func TestMetricsPortWithToken(t *testing.T) {
	mport := metricsFreePort(t)
	port, _ := runMetricsApp(t, map[string]string{"METRICS_PORT": mport, "METRICS_TOKEN": metricsToken})
	if code, _ := scrapeWhenUp(t, "http://127.0.0.1:"+mport+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("metrics port without the token = %d, want 401", code)
	}
	for _, p := range []string{mport, port} {
		if code, _ := scrapeMetrics(t, "http://127.0.0.1:"+p+"/metrics", metricsToken); code != http.StatusOK {
			t.Errorf("GET :%s/metrics with the token = %d, want 200", p, code)
		}
	}
}
