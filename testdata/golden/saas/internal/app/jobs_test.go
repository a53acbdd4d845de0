package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db/dbtest"
)

// serve starts Run (HTTP and, with JOBS_IN_PROCESS, the job workers) on a
// free port and returns its base URL and a stop that returns Run's error.
func serve(t *testing.T, vars map[string]string) (base string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	env := map[string]string{"APP_ENV": "test", "DATABASE_URL": dbtest.URL(t), "HOST": "127.0.0.1", "PORT": strconv.Itoa(port), "SHUTDOWN_TIMEOUT": "5s"}
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
	base = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(5 * time.Second); ; {
		if resp, err := http.Get(base + "/health/live"); err == nil {
			_ = resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("the server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return base, stop
}

// jobCounts reads the queue depth per state from /health/ready.
func jobCounts(t *testing.T, base string) map[string]int {
	t.Helper()
	resp, err := http.Get(base + "/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Details struct {
			Jobs map[string]int `json:"jobs"`
		} `json:"details"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/health/ready: %d, %v", resp.StatusCode, err)
	}
	return body.Details.Jobs
}

// Creating an item enqueues the example job in the same transaction; serve
// works it in process, and /health/ready shows it completed.
func TestItemCreatedJobRunsInProcess(t *testing.T) {
	base, stop := serve(t, nil)
	if c := jobCounts(t, base); len(c) == 0 || c["completed"] != 0 {
		t.Fatalf("before: job counts %v, want every state at zero", c)
	}
	resp, err := http.Post(base+"/api/v1/items", "application/json", strings.NewReader(`{"name": "pen"}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create item: %d", resp.StatusCode)
	}
	for deadline := time.Now().Add(10 * time.Second); jobCounts(t, base)["completed"] != 1; {
		if time.Now().After(deadline) {
			t.Fatalf("the item's job did not complete: counts %v", jobCounts(t, base))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run after shutdown: %v", err)
	}
}

// With JOBS_IN_PROCESS=false serve only enqueues: the job waits for a
// worker.
func TestJobsNotInProcess(t *testing.T) {
	base, _ := serve(t, map[string]string{"JOBS_IN_PROCESS": "false"})
	resp, err := http.Post(base+"/api/v1/items", "application/json", strings.NewReader(`{"name": "pen"}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	time.Sleep(500 * time.Millisecond)
	if c := jobCounts(t, base); c["available"] != 1 || c["completed"] != 0 {
		t.Fatalf("job counts %v, want the job available and not worked", c)
	}
}
