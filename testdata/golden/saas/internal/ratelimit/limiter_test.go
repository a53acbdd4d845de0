package ratelimit

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/myapp/internal/httpx"
)

// newTestLimiter returns a handler limited by c (Mux and ClientIP filled in
// if unset) around a mux with a few routes. The proxy 10.0.0.0/8 is trusted.
func newTestLimiter(t testing.TB, c Config) http.Handler {
	t.Helper()
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	mux.HandleFunc("GET /api/v1/items", ok)
	mux.HandleFunc("POST /api/v1/items", ok)
	mux.HandleFunc("GET /api/v1/items/{id}", ok)
	mux.HandleFunc("GET /health/ready", ok)
	mux.HandleFunc("GET /metrics", ok)
	if c.Mux == nil {
		c.Mux = mux
	}
	if c.ClientIP == nil {
		c.ClientIP = httpx.NewClientIP([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}).Of
	}
	l, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return l.Middleware(mux)
}

func get(h http.Handler, method, path, remote, xff string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = remote
	if xff != "" {
		r.Header.Set("X-Forwarded-For", xff)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// sfItem is one member of an RFC 9651 List whose members are Strings with
// Integer parameters, the shape of RateLimit and RateLimit-Policy.
type sfItem struct {
	name   string
	params map[string]int64
}

// parseSFList is a strict RFC 9651 §4.2.1 parser for that shape.
func parseSFList(t *testing.T, field string) []sfItem {
	t.Helper()
	var items []sfItem
	s := field
	fail := func(why string) { t.Helper(); t.Fatalf("field %q: %s at %q", field, why, s) }
	for {
		if s == "" || s[0] != '"' {
			fail("want a String")
		}
		var name strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			c := s[i]
			if c == '\\' {
				if i++; i == len(s) || (s[i] != '"' && s[i] != '\\') {
					fail("bad escape")
				}
				c = s[i]
			} else if c < 0x20 || c > 0x7e {
				fail("bad character in String")
			}
			name.WriteByte(c)
		}
		if i == len(s) {
			fail("unterminated String")
		}
		s = s[i+1:]
		item := sfItem{name: name.String(), params: map[string]int64{}}
		for strings.HasPrefix(s, ";") {
			s = s[1:]
			j := 0
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9' || s[j] == '_' || s[j] == '-' || s[j] == '.' || s[j] == '*') {
				j++
			}
			if j == 0 || !(s[0] >= 'a' && s[0] <= 'z' || s[0] == '*') || j == len(s) || s[j] != '=' {
				fail("bad parameter key")
			}
			key := s[:j]
			s = s[j+1:]
			k := 0
			if k < len(s) && s[k] == '-' {
				k++
			}
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			v, err := strconv.ParseInt(s[:k], 10, 64)
			if err != nil || k > 15 {
				fail("bad Integer")
			}
			item.params[key] = v
			s = s[k:]
		}
		items = append(items, item)
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return items
		}
		if s[0] != ',' {
			fail("want ','")
		}
		s = strings.TrimLeft(s[1:], " \t")
	}
}

func TestHeadersAndQuota(t *testing.T) {
	h := newTestLimiter(t, Config{Default: Spec{Limit: 60, Window: time.Minute}})
	for i := range 60 {
		w := get(h, "GET", "/api/v1/items", "192.0.2.1:1234", "")
		if w.Code != http.StatusNoContent {
			t.Fatalf("request %d: status %d", i+1, w.Code)
		}
		pol := parseSFList(t, w.Header().Get("RateLimit-Policy"))
		if len(pol) != 1 || pol[0].name != "default" || pol[0].params["q"] != 60 || pol[0].params["w"] != 60 {
			t.Fatalf("RateLimit-Policy %q, want \"default\";q=60;w=60", w.Header().Get("RateLimit-Policy"))
		}
		rl := parseSFList(t, w.Header().Get("RateLimit"))
		if len(rl) != 1 || rl[0].name != "default" || rl[0].params["r"] != int64(59-i) {
			t.Fatalf("request %d: RateLimit %q, want r=%d", i+1, w.Header().Get("RateLimit"), 59-i)
		}
		if _, ok := rl[0].params["t"]; !ok || len(w.Header().Values("RateLimit")) != 1 {
			t.Fatalf("RateLimit %q: want one field with t", w.Header().Get("RateLimit"))
		}
	}
	w := get(h, "GET", "/api/v1/items", "192.0.2.1:1234", "")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("request 61: status %d, want 429", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != httpx.ProblemContentType {
		t.Fatalf("429 Content-Type %q, want problem+json", ct)
	}
	if !strings.Contains(w.Body.String(), QuotaExceededType) {
		t.Fatalf("429 body %s lacks the quota-exceeded type", w.Body)
	}
	retry, err := strconv.Atoi(w.Header().Get("Retry-After"))
	rl := parseSFList(t, w.Header().Get("RateLimit"))
	if err != nil || retry < 1 || int64(retry) < rl[0].params["t"] || rl[0].params["r"] != 0 {
		t.Fatalf("Retry-After %q, RateLimit %q: want an integer ≥ 1 and ≥ t, r=0", w.Header().Get("Retry-After"), w.Header().Get("RateLimit"))
	}
}

// t never exceeds w, also after a burst at the very start of a window,
// where the sliding estimate alone would say more than a window.
func TestResetNeverExceedsWindow(t *testing.T) {
	m, _ := newMemoryAt(time.Unix(1_700_000_040, 0)) // a minute boundary
	h := newTestLimiter(t, Config{Default: Spec{Limit: 60, Window: time.Minute}, Store: m})
	for i := range 61 {
		w := get(h, "GET", "/api/v1/items", "192.0.2.1:1234", "")
		rl := parseSFList(t, w.Header().Get("RateLimit"))
		if tt := rl[0].params["t"]; tt > 60 {
			t.Fatalf("request %d: RateLimit %q, want t <= w = 60", i+1, w.Header().Get("RateLimit"))
		}
		if retry := w.Header().Get("Retry-After"); retry != "" {
			if n, err := strconv.Atoi(retry); err != nil || n > 60 {
				t.Fatalf("request %d: Retry-After %q, want at most 60", i+1, retry)
			}
		}
	}
}

func TestConcurrentExactlyN(t *testing.T) {
	h := newTestLimiter(t, Config{Default: Spec{Limit: 60, Window: time.Minute}})
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			w := get(h, "GET", "/api/v1/items", "192.0.2.1:1234", "")
			mu.Lock()
			codes[w.Code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[http.StatusNoContent] != 60 || codes[http.StatusTooManyRequests] != 140 {
		t.Fatalf("status counts %v, want exactly 60 allowed and 140 × 429", codes)
	}
}

func TestSpoofedXForwardedForDoesNotResetWindow(t *testing.T) {
	h := newTestLimiter(t, Config{Default: Spec{Limit: 5, Window: time.Minute}})
	for i := range 20 {
		// An untrusted peer rotates X-Forwarded-For on every request.
		w := get(h, "GET", "/api/v1/items", "203.0.113.7:4000", fmt.Sprintf("198.51.100.%d", i))
		if want := i < 5; (w.Code == http.StatusNoContent) != want {
			t.Fatalf("request %d: status %d; a fake X-Forwarded-For reset the window", i+1, w.Code)
		}
	}
}

func TestTrustedProxyKeysByClient(t *testing.T) {
	h := newTestLimiter(t, Config{Default: Spec{Limit: 2, Window: time.Minute}})
	for range 2 {
		get(h, "GET", "/api/v1/items", "10.0.0.1:80", "9.9.9.9, 5.6.7.8")
	}
	// 5.6.7.8 is the client (rightmost untrusted hop), whatever it claims to its left.
	if w := get(h, "GET", "/api/v1/items", "10.0.0.1:80", "1.1.1.1, 5.6.7.8"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("same client via the proxy: status %d, want 429", w.Code)
	}
	if w := get(h, "GET", "/api/v1/items", "10.0.0.1:80", "9.9.9.9, 5.6.7.9"); w.Code != http.StatusNoContent {
		t.Fatalf("another client via the proxy: status %d, want 204", w.Code)
	}
}

// Inside httpx.Chain the limiter keys by the client the chain resolved,
// without resolving it again; outside, by its own ClientIP.
func TestLimiterUsesTheChainsClient(t *testing.T) {
	trusted := httpx.NewClientIP([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	calls := 0
	resolve := func(r *http.Request) netip.Addr { calls++; return trusted.Of(r) }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/items", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	lim, err := New(Config{Default: Spec{Limit: 1, Window: time.Minute}, Mux: mux, ClientIP: resolve})
	if err != nil {
		t.Fatal(err)
	}
	h := httpx.Chain(httpx.Routes(mux), httpx.ChainOptions{
		Log: slog.New(slog.DiscardHandler), MaxBodyBytes: 1 << 10, ClientIP: resolve,
		Guard: []httpx.Middleware{lim.Middleware},
	})
	if w := get(h, "GET", "/api/v1/items", "10.0.0.1:80", "5.6.7.8"); w.Code != http.StatusNoContent {
		t.Fatalf("first request: status %d", w.Code)
	}
	if calls != 1 {
		t.Fatalf("client resolved %d times for one request, want once (by the chain)", calls)
	}
	// The same client through the proxy is over its limit; another is not.
	if w := get(h, "GET", "/api/v1/items", "10.0.0.2:80", "5.6.7.8"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("same client: status %d, want 429", w.Code)
	}
	if w := get(h, "GET", "/api/v1/items", "10.0.0.1:80", "5.6.7.9"); w.Code != http.StatusNoContent {
		t.Fatalf("another client: status %d, want 204", w.Code)
	}
	// Without the chain, the limiter resolves the client itself.
	calls = 0
	if w := get(lim.Middleware(mux), "GET", "/api/v1/items", "10.0.0.1:80", "5.6.7.10"); w.Code != http.StatusNoContent || calls != 1 {
		t.Fatalf("outside the chain: status %d, %d resolutions; want 204, 1", w.Code, calls)
	}
}

// The RateLimit field value is built the same for short and long policy
// names (a per-route policy is named by its pattern).
func TestRateLimitFieldValue(t *testing.T) {
	for _, name := range []string{"default", "GET /api/v1/" + strings.Repeat("x", 200) + "/{id}"} {
		p := newPolicy(name, Spec{Limit: 60, Window: time.Minute})
		if got, want := p.rateLimit(1_000_000_000, 60), strconv.Quote(name)+";r=1000000000;t=60"; got != want {
			t.Errorf("rateLimit = %q, want %q", got, want)
		}
		if got, want := p.rateLimit(0, 0), strconv.Quote(name)+";r=0;t=0"; got != want {
			t.Errorf("rateLimit = %q, want %q", got, want)
		}
	}
}

func TestIPv6LimitedPer64(t *testing.T) {
	h := newTestLimiter(t, Config{Default: Spec{Limit: 2, Window: time.Minute}})
	get(h, "GET", "/api/v1/items", "[2001:db8:1:2::1]:80", "")
	get(h, "GET", "/api/v1/items", "[2001:db8:1:2::2]:80", "")
	if w := get(h, "GET", "/api/v1/items", "[2001:db8:1:2:ffff::9]:80", ""); w.Code != http.StatusTooManyRequests {
		t.Fatalf("third address in the same /64: status %d, want 429", w.Code)
	}
	if w := get(h, "GET", "/api/v1/items", "[2001:db8:1:3::1]:80", ""); w.Code != http.StatusNoContent {
		t.Fatalf("another /64: status %d, want 204", w.Code)
	}
}

func TestRouteLimits(t *testing.T) {
	h := newTestLimiter(t, Config{
		Default: Spec{Limit: 100, Window: time.Minute},
		Routes: Routes{
			{Pattern: "POST /api/v1/items", Spec: Spec{Limit: 2, Window: time.Minute}},
			{Pattern: "GET /api/v1/items/{id}", Spec: Spec{Limit: 1, Window: time.Second}},
		},
	})
	for range 2 {
		if w := get(h, "POST", "/api/v1/items", "192.0.2.1:1", ""); w.Code != http.StatusNoContent {
			t.Fatalf("POST: status %d", w.Code)
		}
	}
	w := get(h, "POST", "/api/v1/items", "192.0.2.1:1", "")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("RateLimit-Policy") != `"POST /api/v1/items";q=2;w=60` {
		t.Fatalf("third POST: status %d, policy %q", w.Code, w.Header().Get("RateLimit-Policy"))
	}
	if w := get(h, "GET", "/api/v1/items", "192.0.2.1:1", ""); w.Code != http.StatusNoContent || w.Header().Get("RateLimit") != `"default";r=99;t=1` && !strings.HasPrefix(w.Header().Get("RateLimit"), `"default";r=99;`) {
		t.Fatalf("GET under the default: status %d, RateLimit %q", w.Code, w.Header().Get("RateLimit"))
	}
	get(h, "GET", "/api/v1/items/1", "192.0.2.1:1", "")
	if w := get(h, "GET", "/api/v1/items/2", "192.0.2.1:1", ""); w.Code != http.StatusTooManyRequests {
		t.Fatalf("wildcard route pattern not limited: status %d", w.Code)
	}
}

func TestExemptRoutes(t *testing.T) {
	h := newTestLimiter(t, Config{Default: Spec{Limit: 1, Window: time.Minute}})
	for _, path := range []string{"/health/ready", "/metrics"} {
		for range 5 {
			w := get(h, "GET", path, "192.0.2.1:1", "")
			if w.Code != http.StatusNoContent || w.Header().Get("RateLimit") != "" {
				t.Fatalf("%s: status %d, RateLimit %q; want exempt", path, w.Code, w.Header().Get("RateLimit"))
			}
		}
	}
}

func TestUnknownRoutePatternIsStartupError(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/items", func(http.ResponseWriter, *http.Request) {})
	for _, pattern := range []string{"POST /api/v1/item", "GET /api/v1/items", "/api/v1/items"} {
		_, err := New(Config{Default: minute, Mux: mux, Routes: Routes{
			{Pattern: pattern, Spec: minute},
		}})
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(pattern)) || !strings.Contains(err.Error(), "RATE_LIMIT_ROUTES") {
			t.Errorf("New with route %q: error %v, want one naming RATE_LIMIT_ROUTES and the pattern", pattern, err)
		}
	}
	if _, err := New(Config{Default: minute, Mux: mux, Routes: Routes{
		{Pattern: "POST /api/v1/items", Spec: minute},
	}}); err != nil {
		t.Errorf("registered pattern refused: %v", err)
	}
}

// BenchmarkChain compares a trivial handler alone and behind the service's
// whole middleware chain, rate limiting included (a limit never reached).
func BenchmarkChain(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/items/{id}", ok)
	lim, err := New(Config{
		Default:  Spec{Limit: 1_000_000_000, Window: time.Second},
		Mux:      mux,
		ClientIP: httpx.NewClientIP(nil).Of,
	})
	if err != nil {
		b.Fatal(err)
	}
	chained := httpx.Chain(httpx.Routes(mux), httpx.ChainOptions{
		Log:          slog.New(slog.NewJSONHandler(io.Discard, nil)),
		CORSOrigins:  []string{"https://app.example.com"},
		MaxBodyBytes: 1 << 20,
		Guard:        []httpx.Middleware{lim.Middleware},
	})
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", ok},
		{"chain", chained},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/api/v1/items/42", nil)
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

// discardWriter keeps nothing, so the benchmark measures the middleware.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// A refused request is named after the route it was for, as a served one
// is by the routes: metrics, traces and the access log count a 429 on
// "GET /api/v1/items/{id}", not on no route.
func TestRefusalNamesTheRoute(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	lim, err := New(Config{Default: Spec{Limit: 1, Window: time.Minute}, Mux: mux})
	if err != nil {
		t.Fatal(err)
	}
	var seen []httpx.Observation
	outer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			o, _ := httpx.Observe(r.Context())
			seen = append(seen, o)
		})
	}
	h := httpx.Chain(httpx.Routes(mux), httpx.ChainOptions{
		Log: slog.New(slog.DiscardHandler), MaxBodyBytes: 1 << 10,
		Outer: []httpx.Middleware{outer}, Guard: []httpx.Middleware{lim.Middleware},
	})
	for _, id := range []string{"1", "2"} {
		get(h, "GET", "/api/v1/items/"+id, "203.0.113.5:80", "")
	}
	if len(seen) != 2 || seen[0].Status != http.StatusNoContent || seen[1].Status != http.StatusTooManyRequests {
		t.Fatalf("observed %+v, want a 204 then a 429", seen)
	}
	for _, o := range seen {
		if o.Route != "GET /api/v1/items/{id}" {
			t.Errorf("observed route %q (status %d), want GET /api/v1/items/{id}", o.Route, o.Status)
		}
	}
}
