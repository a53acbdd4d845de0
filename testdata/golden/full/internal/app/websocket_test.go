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

	"github.com/coder/websocket"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db/dbtest"
)

// runService runs the whole service as main does, on a free port, until
// the returned stop is called (as SIGTERM would); stop returns Run's error.
func runService(t *testing.T, vars map[string]string) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	env := map[string]string{"APP_ENV": "test", "DATABASE_URL": dbtest.URL(t), "HOST": "127.0.0.1", "PORT": strconv.Itoa(port)}
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
	addr = "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("service not listening: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var stopped bool
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return addr, stop
}

// apiCall sends a JSON request with an optional bearer token.
func apiCall(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestWebSocketEndToEnd: sign in, get a ticket, connect, and on SIGTERM
// the connection gets 1001 before the service stops.
func TestWebSocketEndToEnd(t *testing.T) {
	addr, stop := runService(t, map[string]string{"SHUTDOWN_DRAIN": "0s"})
	api := "http://" + addr + "/api/v1"
	creds := `{"email":"ada@example.com","password":"correct horse battery"}`
	if code, body := apiCall(t, "POST", api+"/auth/register", "", creds); code != http.StatusAccepted {
		t.Fatalf("register = %d %v", code, body)
	}
	code, body := apiCall(t, "POST", api+"/auth/login", "", creds)
	token, _ := body["access_token"].(string)
	if code != http.StatusOK || token == "" {
		t.Fatalf("login = %d %v", code, body)
	}

	if code, _ := apiCall(t, "POST", api+"/ws/ticket", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("ticket without a token = %d, want 401", code)
	}
	code, body = apiCall(t, "POST", api+"/ws/ticket", token, "")
	ticket, _ := body["ticket"].(string)
	if code != http.StatusCreated || ticket == "" || body["expires_in"] != float64(60) {
		t.Fatalf("ticket = %d %v, want 201 with a ticket valid 60 s", code, body)
	}
	if code, _ := apiCall(t, "GET", api+"/ws/status", token, ""); code != http.StatusForbidden {
		t.Fatalf("status as a user = %d, want 403 (admins only)", code)
	}
	for query, want := range map[string]int{"broadcast": 200, "user:999": 403, "room:lobby": 403, "nope": 422} {
		if code, body := apiCall(t, "GET", api+"/ws/presence?channel="+query, token, ""); code != want {
			t.Errorf("presence of %s = %d %v, want %d", query, code, body, want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws://"+addr+"/api/v1/ws?ticket="+ticket, nil)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	defer conn.CloseNow()
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","channel":"broadcast","id":"1"}`)); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := conn.Read(ctx); err != nil || !strings.Contains(string(msg), `"type":"ack"`) {
		t.Fatalf("subscribe answered %s, %v", msg, err)
	}
	closed := make(chan websocket.StatusCode, 1)
	go func() {
		_, _, err := conn.Read(context.Background())
		closed <- websocket.CloseStatus(err)
	}()
	if err := stop(); err != nil { // as SIGTERM would
		t.Fatalf("Run() = %v", err)
	}
	select {
	case code := <-closed:
		if code != websocket.StatusGoingAway {
			t.Fatalf("close status on shutdown = %d, want 1001", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the connection was not closed on shutdown")
	}
}
