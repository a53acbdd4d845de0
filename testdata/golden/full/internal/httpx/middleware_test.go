package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// testChain is the full chain around a small mux: /ok, /panic, /echo
// (reads the body and counts side effects) and /limited (answers 429 the
// way the rate limiter does).
func testChain(t testing.TB, o ChainOptions) (http.Handler, *int) {
	t.Helper()
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 1 << 10
	}
	effects := 0
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			TooLarge(w, r, o.MaxBodyBytes)
			return
		}
		effects++
		_, _ = w.Write(b)
	})
	mux.HandleFunc("GET /limited", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		WriteProblem(w, Problem{Status: http.StatusTooManyRequests})
	})
	return Chain(Routes(mux), o), &effects
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	h, _ := testChain(t, ChainOptions{})
	for _, tc := range []struct {
		method, path string
		body         string
		status       int
	}{
		{"GET", "/ok", "", 200},
		{"GET", "/missing", "", 404},
		{"DELETE", "/ok", "", 405},
		{"POST", "/echo", strings.Repeat("x", 2000), 413},
		{"GET", "/limited", "", 429},
		{"GET", "/panic", "", 500},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			w := serve(h, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			for k, v := range securityHeaders {
				if got := w.Header().Get(k); got != v[0] {
					t.Errorf("%s = %q, want %q", k, got, v[0])
				}
			}
			if got := w.Header().Get("X-XSS-Protection"); got != "" {
				t.Errorf("X-XSS-Protection = %q, want none (deprecated)", got)
			}
			if got := w.Header().Get("Strict-Transport-Security"); got != "" {
				t.Errorf("HSTS %q on a plain-HTTP listener", got)
			}
			if w.Header().Get("Server") != "" || w.Header().Get("X-Powered-By") != "" {
				t.Error("Server or X-Powered-By header present")
			}
		})
	}
}

func TestHSTSWhenConfigured(t *testing.T) {
	h, _ := testChain(t, ChainOptions{HSTS: true})
	w := serve(h, httptest.NewRequest("GET", "/ok", nil))
	if got := w.Header().Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
		t.Fatalf("Strict-Transport-Security = %q", got)
	}
}

func TestPanicIsProblemWithoutStack(t *testing.T) {
	var logs bytes.Buffer
	h, _ := testChain(t, ChainOptions{Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	w := serve(h, httptest.NewRequest("GET", "/panic", nil))
	if w.Code != 500 || w.Header().Get("Content-Type") != ProblemContentType {
		t.Fatalf("status %d, Content-Type %q; want 500 problem", w.Code, w.Header().Get("Content-Type"))
	}
	if strings.Contains(w.Body.String(), "boom") || strings.Contains(w.Body.String(), "goroutine") {
		t.Fatalf("panic details leaked to the client: %s", w.Body)
	}
	if !strings.Contains(logs.String(), "goroutine") {
		t.Fatal("stack trace not logged")
	}
}

func TestRequestID(t *testing.T) {
	h, _ := testChain(t, ChainOptions{})
	for _, tc := range []struct {
		name, in string
		kept     bool
	}{
		{"valid id kept", "abc-123_X.y", true},
		{"too long replaced", strings.Repeat("a", 65), false},
		{"control characters replaced", "abc\x00def", false},
		{"newline injection replaced", "abc\r\nX-Evil: 1", false},
		{"spaces replaced", "a b", false},
		{"empty generated", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/ok", nil)
			if tc.in != "" {
				r.Header.Set(RequestIDHeader, tc.in)
			}
			got := serve(h, r).Header().Get(RequestIDHeader)
			if tc.kept && got != tc.in {
				t.Fatalf("X-Request-ID = %q, want %q kept", got, tc.in)
			}
			if !tc.kept && (got == tc.in || !validRequestID(got) || len(got) != 32) {
				t.Fatalf("X-Request-ID = %q, want a fresh 32-hex id", got)
			}
		})
	}
}

// The access log has the route and the query, but never the value of a
// secret-bearing parameter (SECURITY.md §7: ?token= and ?ticket= leak
// through logs).
func TestAccessLogRedactsQuerySecrets(t *testing.T) {
	var logs bytes.Buffer
	h, _ := testChain(t, ChainOptions{Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	serve(h, httptest.NewRequest("GET", "/ok?token=s3cret&page=2&Ticket=t1ck3t&%73ignature=s1g", nil))
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("log line %q: %v", logs.String(), err)
	}
	if rec["route"] != "GET /ok" || rec["status"] != float64(200) || rec["request_id"] == "" {
		t.Fatalf("log line %v: want route, status and request_id", rec)
	}
	if want := "token=REDACTED&page=2&Ticket=REDACTED&%73ignature=REDACTED"; rec["query"] != want {
		t.Fatalf("query = %v, want %q", rec["query"], want)
	}
	for _, secret := range []string{"s3cret", "t1ck3t", "s1g"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("query secret %q logged: %s", secret, logs.String())
		}
	}
	logs.Reset()
	serve(h, httptest.NewRequest("GET", "/ok", nil))
	if strings.Contains(logs.String(), `"query"`) {
		t.Fatalf("empty query logged: %s", logs.String())
	}
}

func TestRedactQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"a=1&b=2", "a=1&b=2"},
		{"token=x", "token=REDACTED"},
		{"TOKEN=x&token=y", "TOKEN=REDACTED&token=REDACTED"},
		{"code=abc&state=xyz&key=k&signature=s&ticket=t", "code=REDACTED&state=REDACTED&key=REDACTED&signature=REDACTED&ticket=REDACTED"},
		{"token", "token"}, // no value: nothing to hide
		{"token=", "token=REDACTED"},
		{"%74oken=x", "%74oken=REDACTED"},         // escaped name
		{"tokens=x&mykey=y", "tokens=x&mykey=y"},  // whole names only
		{"a=%zz&token=x", "a=%zz&token=REDACTED"}, // malformed escapes elsewhere kept
		{"&&token=x&&", "&&token=REDACTED&&"},     // empty pairs kept
		{"a=1&key=k=v&b", "a=1&key=REDACTED&b"},   // the value runs to the next &
		{"code=1&x=2&state=3", "code=REDACTED&x=2&state=REDACTED"},
	} {
		if got := RedactQuery(tc.in); got != tc.want {
			t.Errorf("RedactQuery(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A query without secrets is logged as it is, without a copy.
func TestRedactQueryWithoutSecretsAllocatesNothing(t *testing.T) {
	raw := "page=2&sort=name&tokens=x&q=a%20b"
	if n := testing.AllocsPerRun(100, func() { _ = RedactQuery(raw) }); n != 0 {
		t.Fatalf("%v allocations, want 0", n)
	}
}

func TestCORS(t *testing.T) {
	h, _ := testChain(t, ChainOptions{CORSOrigins: []string{"https://app.example.com"}, ExposedHeaders: []string{"X-Feature-Header"}})
	t.Run("allowed origin echoed with Vary", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/ok", nil)
		r.Header.Set("Origin", "https://app.example.com")
		w := serve(h, r)
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != "https://app.example.com" {
			t.Fatalf("ACAO = %q", got)
		}
		if !strings.Contains(strings.Join(w.Header().Values("Vary"), ","), "Origin") {
			t.Fatal("no Vary: Origin")
		}
		if exp := w.Header().Get("Access-Control-Expose-Headers"); !strings.Contains(exp, "Ratelimit") && !strings.Contains(exp, "RateLimit") {
			t.Fatalf("Expose-Headers %q lacks the rate-limit fields", exp)
		}
		if exp := w.Header().Get("Access-Control-Expose-Headers"); !strings.Contains(exp, "X-Feature-Header") {
			t.Fatalf("Expose-Headers %q lacks ChainOptions.ExposedHeaders", exp)
		}
		if w.Header().Get("Access-Control-Allow-Credentials") != "" {
			t.Fatal("credentials allowed")
		}
	})
	for _, origin := range []string{"https://evil.example", "https://app.example.com.evil.example", "http://app.example.com", "null"} {
		t.Run("disallowed "+origin, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/ok", nil)
			r.Header.Set("Origin", origin)
			if got := serve(h, r).Header().Get("Access-Control-Allow-Origin"); got != "" {
				t.Fatalf("ACAO = %q for a disallowed origin", got)
			}
			pre := httptest.NewRequest("OPTIONS", "/ok", nil)
			pre.Header.Set("Origin", origin)
			pre.Header.Set("Access-Control-Request-Method", "DELETE")
			if got := serve(h, pre).Header().Get("Access-Control-Allow-Origin"); got != "" {
				t.Fatalf("preflight ACAO = %q for a disallowed origin", got)
			}
		})
	}
	t.Run("no origins configured: no CORS headers", func(t *testing.T) {
		h, _ := testChain(t, ChainOptions{})
		r := httptest.NewRequest("GET", "/ok", nil)
		r.Header.Set("Origin", "https://app.example.com")
		if got := serve(h, r).Header().Get("Access-Control-Allow-Origin"); got != "" {
			t.Fatalf("ACAO = %q with CORS off", got)
		}
	})
}

func TestOversizedBody(t *testing.T) {
	h, effects := testChain(t, ChainOptions{MaxBodyBytes: 1024})
	t.Run("at the limit accepted", func(t *testing.T) {
		w := serve(h, httptest.NewRequest("POST", "/echo", strings.NewReader(strings.Repeat("x", 1024))))
		if w.Code != 200 || *effects != 1 {
			t.Fatalf("status %d, effects %d; want 200, 1", w.Code, *effects)
		}
	})
	t.Run("declared length over the limit: 413, handler not run", func(t *testing.T) {
		*effects = 0
		w := serve(h, httptest.NewRequest("POST", "/echo", strings.NewReader(strings.Repeat("x", 1025))))
		if w.Code != 413 || w.Header().Get("Content-Type") != ProblemContentType || *effects != 0 {
			t.Fatalf("status %d, effects %d; want 413 problem, 0", w.Code, *effects)
		}
	})
	t.Run("unknown length over the limit: 413, no side effect", func(t *testing.T) {
		*effects = 0
		r := httptest.NewRequest("POST", "/echo", io.MultiReader(strings.NewReader(strings.Repeat("x", 1025))))
		r.ContentLength = -1
		w := serve(h, r)
		if w.Code != 413 || *effects != 0 {
			t.Fatalf("status %d, effects %d; want 413, 0", w.Code, *effects)
		}
	})
}

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	c := NewClientIP(trusted)
	for _, tc := range []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"untrusted peer: XFF ignored", "1.2.3.4:5000", []string{"9.9.9.9"}, "1.2.3.4"},
		{"trusted proxy: rightmost untrusted hop", "10.0.0.1:5000", []string{"9.9.9.9, 5.6.7.8"}, "5.6.7.8"},
		{"trusted proxies skipped", "10.0.0.1:5000", []string{"9.9.9.9, 5.6.7.8, 10.1.1.1"}, "5.6.7.8"},
		{"several header lines", "10.0.0.1:5000", []string{"9.9.9.9", "5.6.7.8, 10.0.0.2"}, "5.6.7.8"},
		{"trusted proxy, no XFF", "10.0.0.1:5000", nil, "10.0.0.1"},
		{"all hops trusted: leftmost proxy", "10.0.0.1:5000", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"garbage hop stops the walk", "10.0.0.1:5000", []string{"9.9.9.9, bogus, 10.0.0.2"}, "10.0.0.2"},
		{"hop with port", "10.0.0.1:5000", []string{"5.6.7.8:1234"}, "5.6.7.8"},
		{"IPv6 peer", "[2001:db8::1]:443", []string{"9.9.9.9"}, "2001:db8::1"},
		{"IPv6 trusted proxy", "[fd00::1]:443", []string{"[2001:db8::2]:80"}, "2001:db8::2"},
		{"IPv4-mapped peer unmapped", "[::ffff:10.0.0.1]:80", []string{"5.6.7.8"}, "5.6.7.8"},
		{"not an IP", "pipe", []string{"5.6.7.8"}, "invalid IP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			r.Header["X-Forwarded-For"] = tc.xff
			if got := c.Of(r).String(); got != tc.want {
				t.Fatalf("Of = %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("no trusted proxies", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.0.0.1:1"
		r.Header.Set("X-Forwarded-For", "1.2.3.4")
		if got := NewClientIP(nil).Of(r).String(); got != "10.0.0.1" {
			t.Fatalf("Of = %s, want the peer", got)
		}
	})
}

// FuzzClientIP checks that the client address is always the peer or one of
// the X-Forwarded-For hops, and the peer whenever the peer is untrusted.
func FuzzClientIP(f *testing.F) {
	c := NewClientIP([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	f.Add("10.0.0.1:80", "9.9.9.9, 5.6.7.8")
	f.Add("1.2.3.4:80", "5.6.7.8")
	f.Add("10.0.0.1:80", ",,, ,[::1]:80,10.0.0.9")
	f.Add("[::ffff:10.0.0.1]:1", "garbage, 10.2.3.4")
	f.Add("::1:80", "")             // an IPv6 address, not host:port
	f.Add("[fe80::1%eth0]:443", "") // zone dropped
	f.Add("1.2.3.4:99999", "")      // port out of range: still the host
	f.Add("[1.2.3.4]:80", "")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {xff}}}
		got := c.Of(r)
		peer := parseHop(remote)
		if p := parsePeer(remote); p != peer {
			t.Fatalf("parsePeer(%q) = %v, parseHop = %v", remote, p, peer)
		}
		if peer.IsValid() && !c.isTrusted(peer) {
			if got != peer {
				t.Fatalf("untrusted peer %v: got %v", peer, got)
			}
			return
		}
		if got == peer {
			return
		}
		for _, hop := range strings.Split(xff, ",") {
			if parseHop(strings.TrimSpace(hop)) == got {
				return
			}
		}
		t.Fatalf("Of = %v, neither the peer %v nor a hop of %q", got, peer, xff)
	})
}

// BenchmarkChain compares a trivial handler alone and inside the whole
// chain (without rate limiting; see the ratelimit package for that).
func BenchmarkChain(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux := http.NewServeMux()
	mux.Handle("GET /items/{id}", ok)
	chained := Chain(Routes(mux), ChainOptions{
		Log:          slog.New(slog.NewJSONHandler(io.Discard, nil)),
		CORSOrigins:  []string{"https://app.example.com"},
		MaxBodyBytes: 1 << 20,
	})
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", ok},
		{"chain", chained},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/items/42", nil)
			r.Header.Set("Origin", "https://app.example.com")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}

// BenchmarkNewRequestID is the cost of a fresh id: 16 bytes from
// crypto/rand (vDSO getrandom on Linux 6.11+) and their hex digits.
func BenchmarkNewRequestID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = newRequestID()
	}
}

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the middleware rather than a recorder.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// TestChainResolvesClientIP: handlers (login throttling, audit logs) see
// the client behind a trusted proxy, and a spoofed header from anyone else
// changes nothing.
func TestChainResolvesClientIP(t *testing.T) {
	trusted := NewClientIP([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	var got netip.Addr
	var agent string
	h := Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = ClientIPFrom(r.Context())
		agent = UserAgentFrom(r.Context())
	}), ChainOptions{Log: slog.New(slog.DiscardHandler), MaxBodyBytes: 1 << 20, ClientIP: trusted.Of})
	for _, tc := range []struct{ peer, xff, want string }{
		{"10.0.0.1:1234", "9.9.9.9, 5.6.7.8", "5.6.7.8"},
		{"203.0.113.7:1234", "1.2.3.4", "203.0.113.7"},
		{"203.0.113.7:1234", "", "203.0.113.7"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = tc.peer
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		req.Header.Set("User-Agent", "curl/8.5 "+tc.peer)
		h.ServeHTTP(httptest.NewRecorder(), req)
		if got.String() != tc.want {
			t.Errorf("peer %s, XFF %q: ClientIPFrom = %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
		if agent != "curl/8.5 "+tc.peer {
			t.Errorf("UserAgentFrom = %q, want the request's User-Agent", agent)
		}
	}
	if _, ok := ClientIPFrom(context.Background()); ok {
		t.Errorf("ClientIPFrom outside a request reported an address")
	}
	if UserAgentFrom(context.Background()) != "" {
		t.Errorf("UserAgentFrom outside a request is not empty")
	}
}

// The chain resolves the client of a plain peer without allocating: net/http
// gives RemoteAddr as host:port, parsed as such first.
func TestClientIPOfPeerAllocatesNothing(t *testing.T) {
	c := NewClientIP([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	for _, remote := range []string{"203.0.113.7:41000", "[2001:db8::1]:443"} {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{}}
		if n := testing.AllocsPerRun(100, func() { c.Of(r) }); n != 0 {
			t.Errorf("Of(%s): %v allocations, want 0", remote, n)
		}
		if got, want := c.Of(r), netip.MustParseAddrPort(remote).Addr(); got != want {
			t.Errorf("Of(%s) = %v, want %v", remote, got, want)
		}
	}
}

// Fresh request ids are 128 random bits: never repeated, never sequential.
func TestNewRequestIDUnique(t *testing.T) {
	seen := make(map[string]bool, 10_000)
	for range 10_000 {
		id := newRequestID()
		if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("id %q: want 32 lower-case hex digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q repeated", id)
		}
		seen[id] = true
	}
}

// The X-Request-ID value slice is shared with the request's info: a
// handler setting or adding the field changes the response, never the id
// the request's logs carry.
func TestRequestIDFieldSharedSafely(t *testing.T) {
	var logs bytes.Buffer
	var fromCtx string
	h := Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()[requestIDKey][0] = "changed-in-place"
		w.Header().Add(RequestIDHeader, "added")
		w.Header().Set(RequestIDHeader, "set")
		fromCtx = RequestIDFrom(r.Context())
	}), ChainOptions{Log: slog.New(slog.NewJSONHandler(&logs, nil)), MaxBodyBytes: 1 << 10})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set(RequestIDHeader, "caller-id")
	w := serve(h, r)
	if got := w.Header().Get(RequestIDHeader); got != "set" {
		t.Fatalf("response X-Request-ID = %q, want the handler's", got)
	}
	var line struct {
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", logs.String(), err)
	}
	if fromCtx != "caller-id" || line.RequestID != "caller-id" {
		t.Fatalf("RequestIDFrom = %q, logged %q; want caller-id in both", fromCtx, line.RequestID)
	}
}

// The access line is a complete slog record: time, level, message and
// every field, with the handler's types (numbers for status, bytes and
// duration), and no source (it would always be AccessLog).
func TestAccessLogLine(t *testing.T) {
	var logs bytes.Buffer
	h, _ := testChain(t, ChainOptions{Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	before := time.Now()
	serve(h, httptest.NewRequest("GET", "/ok", nil))
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("log line %q: %v", logs.String(), err)
	}
	for key, want := range map[string]any{"level": "INFO", "msg": "request", "method": "GET", "route": "GET /ok", "path": "/ok", "status": float64(200), "bytes": float64(2)} {
		if rec[key] != want {
			t.Errorf("%s = %v (%T), want %v", key, rec[key], rec[key], want)
		}
	}
	if id, _ := rec["request_id"].(string); len(id) != 32 {
		t.Errorf("request_id = %v, want a fresh id", rec["request_id"])
	}
	if d, ok := rec["duration"].(float64); !ok || d < 0 {
		t.Errorf("duration = %v, want nanoseconds", rec["duration"])
	}
	if at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(rec["time"])); err != nil || at.Before(before.Truncate(time.Millisecond)) {
		t.Errorf("time = %v, want the time of the request", rec["time"])
	}
	if _, ok := rec["source"]; ok {
		t.Errorf("source logged: %v", rec["source"])
	}
	if len(rec) != 10 {
		t.Errorf("log line has %d fields, want 10: %v", len(rec), rec)
	}
}

// The access line honours the handler's level: at warn, none.
func TestAccessLogRespectsLevel(t *testing.T) {
	var logs bytes.Buffer
	h, _ := testChain(t, ChainOptions{Log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if w := serve(h, httptest.NewRequest("GET", "/ok", nil)); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if logs.Len() != 0 {
		t.Fatalf("logged at warn level: %s", logs.String())
	}
}

// Two access logs in one chain each record the response: the recorder the
// first keeps in the request's info is not reused by the second.
func TestNestedAccessLogs(t *testing.T) {
	var outer, inner bytes.Buffer
	h := RequestID(AccessLog(slog.New(slog.NewJSONHandler(&outer, nil)))(AccessLog(slog.New(slog.NewJSONHandler(&inner, nil)))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTeapot)
			_, _ = w.Write([]byte("tea"))
		}))))
	if w := serve(h, httptest.NewRequest("GET", "/", nil)); w.Code != http.StatusTeapot || w.Body.String() != "tea" {
		t.Fatalf("answer %d %q", w.Code, w.Body)
	}
	for name, logs := range map[string]*bytes.Buffer{"outer": &outer, "inner": &inner} {
		if !strings.Contains(logs.String(), `"status":418`) || !strings.Contains(logs.String(), `"bytes":3`) {
			t.Errorf("%s access log %q: want status 418, 3 bytes", name, logs.String())
		}
	}
}

// Routes replaces only the mux's own 404 and 405: a route that answers 404
// itself keeps its body, and the access log names the route it reached,
// also when its handler panics.
func TestRoutesReplaceOnlyTheMuxAnswers(t *testing.T) {
	var logs bytes.Buffer
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("no thing " + r.PathValue("id")))
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	h := Chain(Routes(mux), ChainOptions{Log: slog.New(slog.NewJSONHandler(&logs, nil)), MaxBodyBytes: 1 << 10})
	for _, tc := range []struct {
		method, path string
		status       int
		contentType  string
		body, route  string
	}{
		{"GET", "/things/7", 404, "", "no thing 7", "GET /things/{id}"},
		{"GET", "/nothing", 404, ProblemContentType, "No route matches GET /nothing.", ""},
		{"POST", "/things/7", 405, ProblemContentType, "Method POST is not allowed here", ""},
		{"GET", "/panic", 500, ProblemContentType, "Internal error.", "GET /panic"},
	} {
		logs.Reset()
		w := serve(h, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) || (tc.contentType != "" && w.Header().Get("Content-Type") != tc.contentType) {
			t.Errorf("%s %s: %d %q %q; want %d %q with %q", tc.method, tc.path, w.Code, w.Header().Get("Content-Type"), w.Body, tc.status, tc.contentType, tc.body)
		}
		if tc.status == 405 && w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("405 Allow = %q, want GET, HEAD", w.Header().Get("Allow"))
		}
		lines := bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n"))
		var line struct{ Route string } // the access line is the last; a panic is logged before it
		if err := json.Unmarshal(lines[len(lines)-1], &line); err != nil || line.Route != tc.route {
			t.Errorf("%s %s: logged route %q (%v), want %q", tc.method, tc.path, line.Route, err, tc.route)
		}
	}
}

// chainAllocs is the most the base chain may allocate for a GET with an
// allowed Origin, through a trusted proxy: its budget toward the service's
// < 20 per request (BenchmarkChain in internal/app measures them all).
const chainAllocs = 7

// raceEnabled is set by race_test.go under the race detector, which
// changes allocation counts.
var raceEnabled bool

func TestChainAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts; run without -race")
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux := http.NewServeMux()
	mux.Handle("GET /items/{id}", ok)
	h := Chain(Routes(mux), ChainOptions{
		Log:          slog.New(slog.NewJSONHandler(io.Discard, nil)),
		HSTS:         true,
		CORSOrigins:  []string{"https://app.example.com"},
		MaxBodyBytes: 1 << 20,
		ClientIP:     NewClientIP([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}).Of,
	})
	r := httptest.NewRequest("GET", "/items/42?page=2", nil)
	r.RemoteAddr = "10.0.0.1:41000"
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	r.Header.Set("Origin", "https://app.example.com")
	w := &discardWriter{h: http.Header{}}
	n := testing.AllocsPerRun(200, func() {
		clear(w.h)
		h.ServeHTTP(w, r)
	})
	if n > chainAllocs {
		t.Fatalf("the chain allocates %v times per request, budget %d", n, chainAllocs)
	}
	t.Logf("%v allocations per request", n)
}

// Feature middleware runs by stage: Outer, Route, Guard, Inner, each in the
// order of its slice.
func TestChainStages(t *testing.T) {
	var order []string
	mark := func(name string) Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	h, _ := testChain(t, ChainOptions{
		Outer: []Middleware{mark("outer")},
		Route: []Middleware{mark("route")},
		Guard: []Middleware{mark("guard1"), mark("guard2")},
		Inner: []Middleware{mark("inner")},
	})
	if w := serve(h, httptest.NewRequest("GET", "/ok", nil)); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if got, want := strings.Join(order, ","), "outer,route,guard1,guard2,inner"; got != want {
		t.Fatalf("stages ran as %s, want %s", got, want)
	}
}

// Outer middleware reads back, after the chain has served a request, the
// route that matched and the final status and size: a route's answer, a
// miss (no route: ""), a recovered panic, a route's own 429, and a guard's
// refusal that names the route it was for (NoteRoute).
func TestObserveFromOuter(t *testing.T) {
	var got Observation
	var seen bool
	outer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			got, seen = Observe(r.Context())
		})
	}
	guard := func(next http.Handler) http.Handler { // refuses /guarded, naming the route
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/guarded" {
				NoteRoute(r.Context(), "GET /ok")
				WriteProblem(w, Problem{Status: http.StatusTooManyRequests})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	h, _ := testChain(t, ChainOptions{Outer: []Middleware{outer}, Guard: []Middleware{guard}})
	for _, c := range []struct {
		path  string
		route string
		code  int
	}{
		{"/ok", "GET /ok", http.StatusOK},
		{"/nowhere/42", "", http.StatusNotFound},
		{"/panic", "GET /panic", http.StatusInternalServerError},
		{"/limited", "GET /limited", http.StatusTooManyRequests},
		{"/guarded", "GET /ok", http.StatusTooManyRequests},
	} {
		w := serve(h, httptest.NewRequest("GET", c.path, nil))
		if !seen || got.Route != c.route || got.Status != c.code || got.Status != w.Code || got.Bytes != int64(w.Body.Len()) {
			t.Errorf("GET %s: observed %+v (ok %v), want route %q status %d bytes %d", c.path, got, seen, c.route, c.code, w.Body.Len())
		}
	}
	if _, ok := Observe(context.Background()); ok {
		t.Error("Observe outside the chain reported ok")
	}
}
