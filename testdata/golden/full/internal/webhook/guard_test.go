package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// mapResolver answers from a map; other names do not exist.
type mapResolver map[string][]netip.Addr

func (m mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ips, ok := m[host]; ok {
		return ips, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// tripwire is a listener on 127.0.0.1 that counts the connections made to
// it: a guarded client must never reach it.
func tripwire(t *testing.T) (port string, hits *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	hits = &atomic.Int64{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			_ = c.Close()
		}
	}()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), hits
}

var testSecrets = Secrets{[]byte("0123456789abcdef0123456789abcdef")}

// SECURITY.md §8: every URL of the table is refused, and the listener on
// 127.0.0.1 sees no connection.
func TestSSRFTable(t *testing.T) {
	port, hits := tripwire(t)
	resolver := mapResolver{
		"localhost":   {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
		"rebind.test": {netip.MustParseAddr("127.0.0.1")}, // a name an attacker points at loopback
		"meta.test":   {netip.MustParseAddr("169.254.169.254")},
		"mapped.test": {netip.MustParseAddr("::ffff:10.0.0.1")},
	}
	c := NewClient(Options{Resolver: resolver, Timeout: 5 * time.Second})
	for _, u := range []string{
		"http://127.0.0.1:" + port + "/",
		"https://127.0.0.1:" + port + "/",
		"https://localhost:" + port + "/",
		"https://[::1]:" + port + "/",
		"https://0.0.0.0:" + port + "/",
		"https://169.254.169.254:" + port + "/latest/meta-data/",
		"https://[::ffff:127.0.0.1]:" + port + "/",
		"https://2130706433:" + port + "/",
		"https://0x7f.1:" + port + "/",
		"https://017700000001:" + port + "/",
		"https://127.1:" + port + "/",
		"https://10.0.0.1:" + port + "/",
		"https://100.64.0.1:" + port + "/",
		"https://[fd00::1]:" + port + "/",
		"https://[fe80::1]:" + port + "/",
		"https://224.0.0.1:" + port + "/",
		"https://example.com@127.0.0.1:" + port + "/",
		"https://user:pass@example.com/",
		"https://rebind.test:" + port + "/",
		"https://meta.test:" + port + "/",
		"https://mapped.test:" + port + "/",
		"ftp://example.com/",
		"//example.com/",
		"https:///path",
	} {
		err := c.Send(context.Background(), u, testSecrets, Message{ID: "msg_1", Body: []byte("{}")}, time.Now())
		if !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: Send = %v, want ErrBlocked", u, err)
		}
		if !Permanent(err) {
			t.Errorf("%s: a refused destination must not be retried", u)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the listener on 127.0.0.1 saw %d connections, want 0", n)
	}
}

// The dialer's own check refuses internal addresses however the dial was
// reached (the last line against DNS rebinding).
func TestControlRefusesInternalAddresses(t *testing.T) {
	c := NewClient(Options{})
	for _, a := range []string{"127.0.0.1:443", "[::1]:443", "[::ffff:127.0.0.1]:443", "10.1.2.3:443", "169.254.169.254:80"} {
		if err := c.control("tcp", a, nil); !errors.Is(err, ErrBlocked) {
			t.Errorf("control(%s) = %v, want ErrBlocked", a, err)
		}
	}
	if err := c.control("tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("control(public) = %v", err)
	}
}

func TestBlocked(t *testing.T) {
	for a, want := range map[string]bool{
		"127.0.0.1": true, "127.255.0.1": true, "::1": true, "0.0.0.0": true, "::": true,
		"10.0.0.1": true, "172.16.0.1": true, "172.31.255.255": true, "192.168.1.1": true,
		"169.254.169.254": true, "fe80::1": true, "100.64.0.1": true, "100.127.255.255": true,
		"fc00::1": true, "fd12:3456::1": true, "224.0.0.251": true, "ff02::1": true, "255.255.255.255": true,
		"::ffff:127.0.0.1": true, "::ffff:192.168.0.1": true, "64:ff9b::7f00:1": true, "2002:7f00:1::": true,
		"8.8.8.8": false, "93.184.216.34": false, "172.32.0.1": false, "100.128.0.1": false,
		"2606:4700:4700::1111": false, "::ffff:8.8.8.8": false,
	} {
		if got := Blocked(netip.MustParseAddr(a)); got != want {
			t.Errorf("Blocked(%s) = %v, want %v", a, got, want)
		}
	}
}

// publicServer is a TLS test server the client reaches as
// https://example.com (a public address, as far as the guard sees), so the
// tests can see what the client does with what a real receiver answers.
func publicServer(t *testing.T, h http.Handler) (*Client, string) {
	t.Helper()
	srv := httptest.NewTLSServer(h) // its certificate names example.com
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	d := &net.Dialer{}
	c := NewClient(Options{
		Resolver: mapResolver{"example.com": {netip.MustParseAddr("93.184.216.34")}},
		TLS:      &tls.Config{RootCAs: roots},
		Timeout:  2 * time.Second,
		dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != "93.184.216.34:443" {
				t.Errorf("dialing %s, want the resolved public address", addr)
			}
			return d.DialContext(ctx, network, srv.Listener.Addr().String())
		},
	})
	return c, "https://example.com/hook"
}

// An allowed host that redirects to 127.0.0.1 is not followed: the 302 is
// a failed delivery, and the listener sees nothing.
func TestRedirectIsNotFollowed(t *testing.T) {
	port, hits := tripwire(t)
	c, u := publicServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://127.0.0.1:"+port+"/", http.StatusFound)
	}))
	err := c.Send(context.Background(), u, testSecrets, Message{ID: "msg_1", Body: []byte("{}")}, time.Now())
	if se, ok := errors.AsType[*StatusError](err); !ok || se.Status != http.StatusFound {
		t.Fatalf("Send = %v, want a 302 StatusError", err)
	}
	if Permanent(err) {
		t.Error("a 3xx is a failure worth a retry, not a permanent one")
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the redirect target saw %d connections, want 0", n)
	}
}

func TestStatuses(t *testing.T) {
	for _, tc := range []struct {
		status   int
		ok, perm bool
	}{
		{200, true, false}, {204, true, false}, {301, false, false}, {400, false, false},
		{410, false, true}, {429, false, false}, {500, false, false}, {503, false, false},
	} {
		c, u := publicServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tc.status) }))
		err := c.Send(context.Background(), u, testSecrets, Message{ID: "msg_1", Body: []byte("{}")}, time.Now())
		if (err == nil) != tc.ok || Permanent(err) != tc.perm {
			t.Errorf("%d: Send = %v; want ok %v, permanent %v", tc.status, err, tc.ok, tc.perm)
		}
		if tc.status == 410 && !errors.Is(err, ErrGone) {
			t.Errorf("410: %v, want ErrGone", err)
		}
	}
}

// A receiver that never answers costs Timeout, not more; its error is
// worth a retry and does not show the URL (it may hold a token).
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	c, _ := publicServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer close(release)
	c.http.Timeout = 200 * time.Millisecond
	start := time.Now()
	err := c.Send(context.Background(), "https://example.com/hook?token=s3cret", testSecrets, Message{ID: "msg_1", Body: []byte("{}")}, time.Now())
	if err == nil || Permanent(err) {
		t.Fatalf("Send = %v, want a retryable timeout", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %s", d)
	}
	if s := err.Error(); strings.Contains(s, "s3cret") || strings.Contains(s, "example.com/hook") {
		t.Errorf("the error shows the URL: %s", s)
	}
}

// Only MaxResponseBytes of an answer are read: a receiver streaming
// without end does not hold the sender.
func TestResponseIsCapped(t *testing.T) {
	c, u := publicServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 32<<10)
		for {
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	}))
	c.opts.MaxResponseBytes = 1 << 10
	if err := c.Send(context.Background(), u, testSecrets, Message{ID: "msg_1", Body: []byte("{}")}, time.Now()); err != nil {
		t.Fatalf("Send = %v", err)
	}
}

// WEBHOOK_ALLOW_PRIVATE_NETWORKS: a local receiver over http is reached.
func TestAllowPrivate(t *testing.T) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	defer srv.Close()
	c := NewClient(Options{AllowPrivate: true})
	if err := c.Send(context.Background(), srv.URL, testSecrets, Message{ID: "msg_1", Body: []byte("{}")}, time.Now()); err != nil {
		t.Fatalf("Send = %v", err)
	}
	if got.Load() != 1 {
		t.Errorf("receiver got %d requests", got.Load())
	}
	// Still no user info, and ids without '.'.
	if err := c.Send(context.Background(), "http://u:p@"+srv.Listener.Addr().String(), testSecrets, Message{ID: "msg_1"}, time.Now()); !errors.Is(err, ErrBlocked) {
		t.Errorf("user info: %v", err)
	}
	if err := c.Send(context.Background(), srv.URL, testSecrets, Message{ID: "a.b"}, time.Now()); !errors.Is(err, ErrBlocked) {
		t.Errorf("id with a dot: %v", err)
	}
}

func TestSecrets(t *testing.T) {
	var s Secrets
	good := "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	if err := s.UnmarshalText([]byte(good + " " + good)); err != nil || len(s) != 2 {
		t.Fatalf("two secrets: %v, %d", err, len(s))
	}
	for _, bad := range []string{"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "whsec_!!!", "whsec_c2hvcnQ="} {
		err := s.UnmarshalText([]byte(bad))
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), bad) {
			t.Errorf("the error quotes the secret: %v", err)
		}
	}
	if str := s.String(); strings.Contains(str, "MDEy") {
		t.Errorf("String shows the secret: %s", str)
	}
}
