package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db/dbtest"
)

// startServer runs the fully wired service behind its real http.Server
// (timeouts and header limits included) with extra settings in vars, and
// returns its address.
func startServer(t *testing.T, vars map[string]string) string {
	t.Helper()
	env := map[string]string{"APP_ENV": "test", "DATABASE_URL": dbtest.URL(t)}
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := a.Server()
	srv.ErrorLog = nil
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// A body over MAX_BODY_BYTES is refused with 413 in the same words, whether
// its length is declared or not, and nothing is created.
func TestOversizedBodyHasNoSideEffect(t *testing.T) {
	addr := startServer(t, map[string]string{"MAX_BODY_BYTES": "1024"})
	body := `{"name": "` + strings.Repeat("a", 2000) + `"}`
	for _, chunked := range []bool{false, true} {
		var r io.Reader = strings.NewReader(body)
		if chunked {
			r = io.MultiReader(r) // unknown length: sent chunked
		}
		resp, err := http.Post("http://"+addr+"/api/v1/items", "application/json", r)
		if err != nil {
			t.Fatal(err)
		}
		var p struct{ Detail string }
		_ = json.NewDecoder(resp.Body).Decode(&p)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("chunked=%v: status %d, Content-Type %q; want 413 problem", chunked, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if want := "The request body is too large; the limit is 1024 bytes."; p.Detail != want {
			t.Fatalf("chunked=%v: detail %q, want %q", chunked, p.Detail, want)
		}
	}
	resp, err := http.Get("http://" + addr + "/api/v1/items")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), `"items":[]`) {
		t.Fatalf("items after refused creates: %s; want none", b)
	}
}

// MAX_BODY_BYTES is the one body limit: above huma's own 1 MB default, a
// larger body of unknown length is read, not refused.
func TestBodyLimitIsMaxBodyBytes(t *testing.T) {
	addr := startServer(t, map[string]string{"MAX_BODY_BYTES": "4194304"})
	body := `{"name": "pen", "description": "` + strings.Repeat("a", 2<<20) + `"}`
	resp, err := http.Post("http://"+addr+"/api/v1/items", "application/json", io.MultiReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity { // read in full; the description is too long
		t.Fatalf("2 MB chunked body under a 4 MB limit: status %d, want 422", resp.StatusCode)
	}
}

// A 2 MB header is refused with 431 (MaxHeaderBytes is 1 MB).
func TestHugeHeaderIs431(t *testing.T) {
	addr := startServer(t, nil)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		_, _ = io.WriteString(conn, "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 2<<20)+"\r\n\r\n")
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

// Slowloris: a client trickling its headers is cut off once
// HTTP_READ_HEADER_TIMEOUT has passed.
func TestSlowlorisClosedAfterReadHeaderTimeout(t *testing.T) {
	addr := startServer(t, map[string]string{"HTTP_READ_HEADER_TIMEOUT": "1s"})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "GET /health/live HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan time.Duration, 1)
	go func() {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.Copy(io.Discard, conn) // returns when the server hangs up
		closed <- time.Since(start)
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case d := <-closed:
			if d < 900*time.Millisecond || d > 5*time.Second { // 10s would mean never closed
				t.Fatalf("connection closed after %v, want about the 1s ReadHeaderTimeout", d)
			}
			return
		case <-tick.C:
			_, _ = io.WriteString(conn, "X") // one more header byte
		}
	}
}
