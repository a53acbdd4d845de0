// Package webhook delivers signed webhooks (Standard Webhooks 1.0, signed
// by internal/security) to URLs that users or operators configure, through
// a client guarded against server-side request forgery: https only, no
// user info in the URL, every address the client dials checked against
// the private, loopback, link-local and other internal ranges (at dial
// time, so a name that resolves to a public address when checked and to
// 127.0.0.1 when dialed is still refused), no redirects followed, a
// timeout and a cap on the response read. See SECURITY.md §8.
package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrBlocked is wrapped by the errors of URLs and addresses the guard
// refuses. Retrying cannot help.
var ErrBlocked = errors.New("webhook: destination not allowed")

// Defaults of Options.
const (
	DefaultTimeout          = 20 * time.Second
	DefaultMaxResponseBytes = 64 << 10
)

// Resolver looks host names up; net.DefaultResolver is one. Tests pass
// their own.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Options configure a Client.
type Options struct {
	// AllowPrivate lets the client reach http URLs and every address
	// (WEBHOOK_ALLOW_PRIVATE_NETWORKS): for development and tests only.
	AllowPrivate bool
	// Timeout bounds one delivery, connection and response included
	// (DefaultTimeout when zero).
	Timeout time.Duration
	// MaxResponseBytes is how much of a response body is read (the rest is
	// discarded unread); DefaultMaxResponseBytes when zero.
	MaxResponseBytes int64
	// Resolver looks names up; net.DefaultResolver when nil.
	Resolver Resolver
	// TLS is the TLS configuration; nil for the system's roots.
	TLS *tls.Config
	// Wrap, when set, wraps the guarded transport (the service's outbound
	// tracing). What it wraps still checks every address it dials.
	Wrap func(http.RoundTripper) http.RoundTripper

	// dial connects to an address that passed the checks; tests point it
	// at a local server to play a public host.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client posts webhooks through the guard. Its zero value is not usable;
// make one with NewClient.
type Client struct {
	opts Options
	http *http.Client
}

// NewClient returns a guarded client.
func NewClient(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	c := &Client{opts: o}
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: c.control}
	if o.dial == nil {
		o.dial = dialer.DialContext
		c.opts.dial = o.dial
	}
	transport := &http.Transport{
		// No proxy from the environment: the guard checks the address it
		// dials, which would then be the proxy's.
		Proxy:                 nil,
		DialContext:           c.dialContext,
		TLSClientConfig:       o.TLS,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	var rt http.RoundTripper = transport
	if o.Wrap != nil {
		rt = o.Wrap(transport)
	}
	c.http = &http.Client{
		Transport: rt,
		Timeout:   o.Timeout,
		// A redirect is answered as it is (a 3xx, a failed delivery), never
		// followed: it could point anywhere, 127.0.0.1 included.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// CheckURL reports whether raw may be a webhook destination: an absolute
// https URL (http too with allowPrivate) with a host, no user info and no
// fragment, whose host is a domain name or an IP address in its usual
// form. Numeric forms that resolvers read as IPv4 addresses (2130706433,
// 0x7f.1, 017700000001) are refused, as is an address literal in a
// blocked range. Errors do not quote the URL, which may hold a token.
func CheckURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: not a URL", ErrBlocked)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowPrivate:
	default:
		return fmt.Errorf("%w: the scheme must be https", ErrBlocked)
	}
	if u.User != nil {
		return fmt.Errorf("%w: user info (user:password@) is not allowed", ErrBlocked)
	}
	if u.Opaque != "" || u.Host == "" || u.Fragment != "" {
		return fmt.Errorf("%w: want https://host/path, without a fragment", ErrBlocked)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%w: bad port", ErrBlocked)
		}
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		if addr.Zone() != "" {
			return fmt.Errorf("%w: an address with a zone", ErrBlocked)
		}
		if !allowPrivate && Blocked(addr) {
			return fmt.Errorf("%w: %s is an internal address", ErrBlocked, addr)
		}
		return nil
	}
	if looksNumeric(host) {
		return fmt.Errorf("%w: %q is neither a domain name nor an IP address in dotted form", ErrBlocked, host)
	}
	return nil
}

// looksNumeric reports whether host's last label is a number (decimal,
// octal or 0x hex): inet_aton reads such names as IPv4 addresses, and no
// top-level domain is numeric.
func looksNumeric(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return true
	}
	if l := strings.ToLower(last); strings.HasPrefix(l, "0x") {
		return true
	}
	for _, r := range last {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// blockedPrefixes are ranges netip's predicates do not cover.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: reaches IPv4 addresses
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: embeds an IPv4 address
	netip.MustParsePrefix("100::/64"),        // discard-only
}

// Blocked reports whether a is an address a webhook must not reach:
// loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
// (169.254/16, where cloud metadata lives, and fe80::/10), unspecified,
// multicast, CGNAT and the other special ranges above. An IPv4-mapped
// IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it is.
func Blocked(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// dialContext resolves the host itself and dials the first allowed
// address; the dialer's Control checks the address once more as the
// socket connects.
func (c *Client) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		if looksNumeric(host) {
			return nil, fmt.Errorf("%w: %q is not a domain name", ErrBlocked, host)
		}
		ips, err = c.opts.Resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("webhook: resolve %s: %w", host, err)
		}
	}
	var firstErr error
	for _, ip := range ips {
		if !c.opts.AllowPrivate && Blocked(ip) {
			if firstErr == nil {
				firstErr = fmt.Errorf("%w: %s resolves to the internal address %s", ErrBlocked, host, ip.Unmap())
			}
			continue
		}
		conn, err := c.opts.dial(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("webhook: %s has no address", host)
	}
	return nil, firstErr
}

// control runs as each socket connects, with the address being dialed.
func (c *Client) control(_, address string, _ syscall.RawConn) error {
	if c.opts.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil || Blocked(ap.Addr()) {
		return fmt.Errorf("%w: dialing %s", ErrBlocked, address)
	}
	return nil
}
