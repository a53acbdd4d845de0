package app

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Outbound clients go through every w.outbound wrapper, the last one
// appended outermost, each told the client's service; with none, the
// transport is http.DefaultTransport itself.
func TestTransportWrapsInOrder(t *testing.T) {
	w := &wiring{}
	if got := w.transport("vendor", nil); got != http.DefaultTransport {
		t.Fatalf("transport without wrappers = %T, want http.DefaultTransport", got)
	}
	var calls []string
	for _, name := range []string{"first", "second"} {
		w.outbound = append(w.outbound, func(service string, rt http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				calls = append(calls, name+":"+service)
				return rt.RoundTrip(r)
			})
		})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	client := &http.Client{Transport: w.transport("vendor", nil)}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d, want 204", resp.StatusCode)
	}
	if want := []string{"second:vendor", "first:vendor"}; !slices.Equal(calls, want) {
		t.Fatalf("wrappers ran as %v, want %v", calls, want)
	}
}
