package main

import (
	"bytes"
	"context"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/db/dbtest"
)

// envOf returns a getenv over m, so tests never read the real environment.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestRunMigrate(t *testing.T) {
	ctx := context.Background()
	env := envOf(map[string]string{"DATABASE_URL": dbtest.URL(t)})
	tests := []struct {
		args []string
		want []string // lines of stdout must contain these, in order
	}{
		{[]string{"migrate", "status"}, []string{"VERSION", "1", "pending", "00001_base_items.sql"}},
		{[]string{"migrate", "up"}, []string{"applied 00001_base_items.sql"}},
		{[]string{"migrate", "status"}, []string{"VERSION", "1", "applied", "00001_base_items.sql"}},
		{[]string{"migrate", "down"}, []string{"rolled back"}},
		{[]string{"migrate", "up"}, []string{"applied"}},
		{[]string{"migrate", "up"}, []string{"no pending migrations"}},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if err := run(ctx, tt.args, env, nil, &stdout, &stderr); err != nil {
			t.Fatalf("run(%q) = %v; stderr: %s", tt.args, err, &stderr)
		}
		out := stdout.String()
		for _, want := range tt.want {
			i := strings.Index(out, want)
			if i < 0 {
				t.Fatalf("run(%q) output %q does not contain %q", tt.args, stdout.String(), want)
			}
			out = out[i+len(want):]
		}
	}
}

// help needs no configuration: it works where serve would refuse to start.
func TestRunHelpNeedsNoConfig(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := envOf(map[string]string{"PORT": "not-a-port", "DATABASE_URL": "nonsense"})
	if err := run(context.Background(), []string{"help"}, env, nil, &stdout, &stderr); err != nil {
		t.Fatalf("run(help) = %v", err)
	}
	if !strings.Contains(stdout.String(), "Usage: server") {
		t.Fatalf("help printed %q", stdout.String())
	}
}

func TestRunErrors(t *testing.T) {
	ctx := context.Background()
	// A valid DATABASE_URL that nothing connects to: every case fails first.
	dbURL := dbtest.UnusedURL(t)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, nil, `unknown command "frobnicate" (see server help)`},
		{"migrate without verb", []string{"migrate"}, nil, "migrate needs one of: up, down, status"},
		{"unknown migrate verb", []string{"migrate", "sideways"}, nil, `unknown migrate command "sideways"`},
		{"bad config", []string{"serve"}, map[string]string{"PORT": "abc"}, `PORT: "abc" is not a valid port`},
		{"unknown flag", []string{"-x"}, nil, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": dbURL}
			maps.Copy(env, tt.env)
			var stdout, stderr bytes.Buffer
			err := run(ctx, tt.args, envOf(env), nil, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, envOf(nil), nil, &stdout, &stderr); err != nil { // no config needed for help
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "migrate status") {
		t.Errorf("usage %q does not list the commands", stderr.String())
	}
}

// TestRunServe starts the real server, waits until it is ready, then stops
// it the way a signal would.
func TestRunServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := envOf(map[string]string{"PORT": port, "DATABASE_URL": dbtest.URL(t), "LOG_LEVEL": "error"})
	var stdout, stderr bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env, nil, &stdout, &stderr) }()

	url := "http://127.0.0.1:" + port + "/health/ready"
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready at %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	// Development (the default) tells the person at the terminal where to go.
	if want := "listening on http://localhost:" + port + ", docs at /docs\n"; stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}
}
