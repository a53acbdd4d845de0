package httpx

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP finds the address of the client behind a request. It trusts
// X-Forwarded-For only when the connection comes from a configured proxy,
// and then walks the header from right to left, skipping trusted proxies:
// the first untrusted hop is the client. The leftmost entry is never taken
// on trust, since any client can write it (ASVS 4.1.3).
type ClientIP struct {
	trusted []netip.Prefix
}

// NewClientIP returns a resolver that trusts proxies in the given networks.
// With none, X-Forwarded-For is ignored and the peer address is the client.
func NewClientIP(trusted []netip.Prefix) ClientIP {
	return ClientIP{trusted: trusted}
}

// Of returns the client address of r, or the zero Addr when RemoteAddr is
// not an IP address (a request built by hand in a test, a Unix socket).
func (c ClientIP) Of(r *http.Request) netip.Addr {
	peer := parseHop(r.RemoteAddr)
	if !peer.IsValid() || !c.isTrusted(peer) {
		return peer
	}
	client := peer
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		hops := values[i]
		for hops != "" {
			var hop string
			if j := strings.LastIndexByte(hops, ','); j >= 0 {
				hops, hop = hops[:j], hops[j+1:]
			} else {
				hops, hop = "", hops
			}
			addr := parseHop(strings.TrimSpace(hop))
			if !addr.IsValid() {
				// Garbage passed on by a trusted proxy: nothing further left
				// can be trusted; the last proxy that spoke is the client.
				return client
			}
			client = addr
			if !c.isTrusted(addr) {
				return client
			}
		}
	}
	return client
}

func (c ClientIP) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads "1.2.3.4", "1.2.3.4:80", "::1" or "[::1]:80", without
// zone, IPv4-mapped IPv6 unmapped.
func parseHop(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	return netip.Addr{}
}
