package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/health"
)

// TestServeGracefulShutdown cancels the context while a request is in
// flight: the request must still complete, and Serve must return only after.
func TestServeGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() {
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: time.Second}
		served <- app.Serve(ctx, srv, ln, app.Shutdown{Timeout: 5 * time.Second}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()

	<-started
	cancel() // as SIGTERM would

	r := <-got
	if r.err != nil || r.body != "done" {
		t.Fatalf("in-flight request: body %q, error %v; want it to complete", r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve() = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("new connections still accepted after shutdown")
	}
}

// TestServeDrain cancels the context with a drain period: during it,
// /health/ready answers 503 (the load balancer stops routing here) while
// other requests are still served; after it, the server stops.
func TestServeDrain(t *testing.T) {
	var drain health.Drain
	mux := http.NewServeMux()
	mux.Handle("GET /health/ready", drain.Wrap(health.Ready()))
	mux.HandleFunc("GET /work", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "done") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const drainFor = 3 * time.Second // long enough that a loaded CI machine still sees the drain
	served := make(chan error, 1)
	go func() {
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Second}
		served <- app.Serve(ctx, srv, ln, app.Shutdown{Drain: drainFor, Timeout: 5 * time.Second, Ready: &drain}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}
	status := func(path string) int {
		t.Helper()
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s during drain: %v", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("/health/ready"); got != http.StatusOK {
		t.Fatalf("ready before shutdown = %d, want 200", got)
	}

	start := time.Now()
	cancel() // as SIGTERM would
	deadline := time.Now().Add(drainFor / 2)
	for status("/health/ready") != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("/health/ready still 200 after shutdown began")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := status("/work"); got != http.StatusOK {
		t.Fatalf("request during drain = %d, want 200", got)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned during the drain: %v", err)
	default:
	}

	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve() = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the drain")
	}
	if waited := time.Since(start); waited < drainFor {
		t.Errorf("Serve returned %s after cancel, before the %s drain", waited, drainFor)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("new connections still accepted after shutdown")
	}
}

// TestServeBefore: the Before hooks run once the shutdown begins, in order,
// while the server still accepts connections (so a hook can still say
// goodbye on connections it owns), and Serve returns after them.
func TestServeBefore(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var ran []string
	hook := func(name string) func(context.Context) {
		return func(ctx context.Context) {
			if _, ok := ctx.Deadline(); !ok {
				t.Errorf("hook %s: context without the shutdown deadline", name)
			}
			c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
			if err != nil {
				t.Errorf("hook %s: server no longer accepts connections: %v", name, err)
			} else {
				_ = c.Close()
			}
			ran = append(ran, name)
		}
	}
	served := make(chan error, 1)
	go func() {
		srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: time.Second}
		stop := app.Shutdown{Timeout: 5 * time.Second, Before: []func(context.Context){hook("first"), hook("second")}}
		served <- app.Serve(ctx, srv, ln, stop, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	cancel() // as SIGTERM would
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve() = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	if len(ran) != 2 || ran[0] != "first" || ran[1] != "second" {
		t.Fatalf("hooks ran %v, want [first second]", ran)
	}
}
