package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
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
	} {
		if got := RedactQuery(tc.in); got != tc.want {
			t.Errorf("RedactQuery(%q) = %q, want %q", tc.in, got, tc.want)
		}
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
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {xff}}}
		got := c.Of(r)
		peer := parseHop(remote)
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
	h := Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = ClientIPFrom(r.Context())
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
		h.ServeHTTP(httptest.NewRecorder(), req)
		if got.String() != tc.want {
			t.Errorf("peer %s, XFF %q: ClientIPFrom = %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
	if _, ok := ClientIPFrom(context.Background()); ok {
		t.Errorf("ClientIPFrom outside a request reported an address")
	}
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
