//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMetricsPromtool generates a service with the metrics feature and the
// features that export their own metrics, runs it, and checks what its
// /metrics serves (on the main port with METRICS_TOKEN, and on
// METRICS_PORT) with `promtool check metrics`, Prometheus's own linter:
// the exposition parses and follows the naming conventions. It needs
// promtool on PATH (Debian package prometheus; .ci/run installs it).
func TestMetricsPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not on PATH: apt-get install prometheus to run this test")
	}
	root := t.TempDir()
	bin := filepath.Join(root, "omnistack")
	mustRun(t, "", nil, "go", "build", "-o", bin, "../cmd/omnistack")
	dir := filepath.Join(root, "metered")
	mustRun(t, "", nil, bin, "new", "metered", "--yes", "--no-git", "-o", dir, "--module", "example.com/metered",
		"--features", "metrics,ratelimit,jobs,websocket")
	mustRun(t, dir, []string{"GOFLAGS=-mod=readonly"}, "go", "build", "-o", "server.bin", "./cmd/server")

	port, mport := freeTCPPort(t), freeTCPPort(t)
	const token = "e2e-metrics-token-0123456789abcdef0123"
	srv := startServer(t, dir, "PORT="+port, "METRICS_PORT="+mport, "METRICS_TOKEN="+token)
	if srv.ready == 0 {
		t.Fatalf("the server did not answer /health/ready; logs:\n%s", srv.logs.String())
	}
	base := srv.base
	// Some traffic, so the RED families and the rate-limit decisions have
	// series: a matched route, an id route, unmatched paths, a 405.
	for _, path := range []string{"/api/v1/items", "/api/v1/items/1", "/no/such/path", "/wp-login.php"} {
		if resp, err := http.Get(base + path); err == nil {
			resp.Body.Close()
		}
	}
	if resp, err := http.Post(base+"/health/live", "text/plain", nil); err == nil {
		resp.Body.Close()
	}

	for _, url := range []string{base + "/metrics", "http://127.0.0.1:" + mport + "/metrics"} {
		body := scrapeWithToken(t, url, token, srv.logs.String())
		for _, want := range []string{"http_requests_total{", "http_request_duration_seconds_bucket{", "http_requests_in_flight ", `go_sql_open_connections{db_name="main"}`, "ratelimit_requests_total{", "jobs_by_state{", "websocket_connections "} {
			if !strings.Contains(body, want) {
				t.Errorf("%s has no %s", url, want)
			}
		}
		check := exec.Command(promtool, "check", "metrics")
		check.Stdin = strings.NewReader(body)
		out, err := check.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "" {
			t.Errorf("promtool check metrics on %s: %v\n%s", url, err, out)
		}
	}

	srv.stop(t)
}

// scrapeWithToken GETs url with the bearer token, retrying while the
// listener starts, and returns the body of the 200 it must answer; without
// the token it must answer 401.
func scrapeWithToken(t *testing.T, url, token, logs string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("GET %s without the token = %d, want 401", url, resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v; logs:\n%s", url, err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s with the token = %d, %v", url, resp.StatusCode, err)
	}
	return string(body)
}

func freeTCPPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}
