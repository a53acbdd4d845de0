// Package billingtest helps test billing: stripe-mock (Stripe's official
// API mock) started on demand, an httptest fake of the Stripe endpoints
// billing calls with failure injection, and signed webhook deliveries.
package billingtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
)

// StripeMockInstall is the command that installs the stripe-mock binary.
const StripeMockInstall = "go install github.com/stripe/stripe-mock@v0.203.0"

// StripeMock returns the base URL of a stripe-mock: STRIPE_MOCK_URL when
// set, else one started from the stripe-mock binary on PATH for the test
// (stopped when it ends). Without either the test is skipped, saying how
// to install it; CI sets STRIPE_MOCK_URL.
func StripeMock(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("STRIPE_MOCK_URL"); u != "" {
		return u
	}
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		t.Skipf("stripe-mock not running (STRIPE_MOCK_URL unset) and not on PATH; install it with %q", StripeMockInstall)
	}
	// Both of its listeners on free ports: it serves HTTPS too, on 12112
	// unless told otherwise, which another stripe-mock may hold.
	addr, tlsAddr := freeAddr(t), freeAddr(t)
	var out bytes.Buffer
	cmd := exec.Command(bin, "-http-addr", addr, "-https-addr", tlsAddr)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.After(60 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			return "http://" + addr
		}
		select {
		case <-exited:
			t.Fatalf("stripe-mock exited: %s", out.String())
		case <-deadline:
			t.Fatalf("stripe-mock did not listen on %s within 60 s", addr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// freeAddr returns a 127.0.0.1 address no one listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// Fake is an httptest server answering the Stripe endpoints billing
// calls, written from Stripe's API reference: POST /v1/customers (the
// same customer for a repeated Idempotency-Key), GET /v1/prices/{id},
// POST /v1/checkout/sessions, POST /v1/billing_portal/sessions and POST
// /v1/billing/meter_events (deduplicated by identifier, like Stripe).
type Fake struct {
	URL string

	mu        sync.Mutex
	customers map[string]string // idempotency key → customer id
	created   int               // customers created
	meter     map[string]int64  // identifier → value, accepted events
	totals    map[string]int64  // customer/event_name → sum of accepted values
	sends     map[string]int    // identifier → requests
	requests  int               // meter event requests
	// FailAfterAccept makes this many meter event requests fail with a
	// 500 after the event was accepted (a response lost on the way).
	FailAfterAccept int
	// Refuse makes meter events of this customer fail with a 400.
	Refuse string
	// Recurring says whether prices are recurring (subscription mode).
	Recurring bool
	// LastCheckout is the form of the last checkout session request.
	LastCheckout map[string]string
}

// NewFake starts a Fake, closed when t ends.
func NewFake(t testing.TB) *Fake {
	f := &Fake{customers: map[string]string{}, meter: map[string]int64{}, totals: map[string]int64{}, sends: map[string]int{}, Recurring: true}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/customers", f.customer)
	mux.HandleFunc("GET /v1/prices/{id}", f.price)
	mux.HandleFunc("POST /v1/checkout/sessions", f.checkout)
	mux.HandleFunc("POST /v1/billing_portal/sessions", f.portal)
	mux.HandleFunc("POST /v1/billing/meter_events", f.meterEvent)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_fake")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func stripeError(w http.ResponseWriter, status int, typ, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"type": typ, "code": code, "message": msg}})
}

func (f *Fake) customer(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	key := r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	id, ok := f.customers[key]
	if !ok || key == "" {
		f.created++
		id = "cus_fake" + strconv.Itoa(f.created)
		f.customers[key] = id
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "customer", "email": r.PostForm.Get("email")})
}

func (f *Fake) price(w http.ResponseWriter, r *http.Request) {
	p := map[string]any{"id": r.PathValue("id"), "object": "price", "type": "one_time"}
	if f.Recurring {
		p["type"] = "recurring"
		p["recurring"] = map[string]any{"interval": "month", "interval_count": 1}
	}
	writeJSON(w, http.StatusOK, p)
}

func (f *Fake) checkout(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	f.mu.Lock()
	f.LastCheckout = form
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": "cs_test_fake", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_test_fake", "mode": form["mode"]})
}

func (f *Fake) portal(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"id": "bps_fake", "object": "billing_portal.session", "url": "https://billing.stripe.com/p/session/fake"})
}

func (f *Fake) meterEvent(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id, name := r.PostForm.Get("identifier"), r.PostForm.Get("event_name")
	customer := r.PostForm.Get("payload[stripe_customer_id]")
	value, err := strconv.ParseInt(r.PostForm.Get("payload[value]"), 10, 64)
	if id == "" || name == "" || customer == "" || err != nil {
		stripeError(w, http.StatusBadRequest, "invalid_request_error", "parameter_missing", "identifier, event_name, payload[stripe_customer_id] and payload[value] are required")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	f.sends[id]++
	if customer == f.Refuse {
		stripeError(w, http.StatusBadRequest, "invalid_request_error", "resource_missing", "No such customer")
		return
	}
	if _, dup := f.meter[id]; !dup {
		f.meter[id] = value
		f.totals[customer+"/"+name] += value
	}
	if f.FailAfterAccept > 0 {
		f.FailAfterAccept--
		stripeError(w, http.StatusInternalServerError, "api_error", "", "something went wrong after the event was stored")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "billing.meter_event", "identifier": id, "event_name": name, "payload": map[string]string{"stripe_customer_id": customer, "value": strconv.FormatInt(value, 10)}})
}

// Customers returns how many customers the fake created.
func (f *Fake) Customers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.created
}

// Total returns the accepted usage of meter for customer.
func (f *Fake) Total(customer, meter string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.totals[customer+"/"+meter]
}

// Sends returns how many requests carried identifier, and how many meter
// event requests there were in all.
func (f *Fake) Sends(identifier string) (n, all int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sends[identifier], f.requests
}

// Event is a Stripe event of typ about object, created at created, in
// the SDK's API version.
func Event(id, typ string, created time.Time, object any) []byte {
	raw, err := json.Marshal(object)
	if err != nil {
		panic(err)
	}
	b, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": stripe.APIVersion,
		"created": created.Unix(), "livemode": false, "pending_webhooks": 1,
		"data": map[string]json.RawMessage{"object": raw},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// Sign returns the Stripe-Signature header of payload with secret at t.
func Sign(payload []byte, secret string, t time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: t}).Header
}

// Subscription is a subscription object as Stripe sends it in events.
func Subscription(id, customer, price, status string, periodEnd time.Time, cancelAtEnd bool) map[string]any {
	return map[string]any{
		"id": id, "object": "subscription", "customer": customer, "status": status, "cancel_at_period_end": cancelAtEnd,
		"items": map[string]any{"object": "list", "data": []any{map[string]any{
			"id": "si_" + id, "object": "subscription_item", "current_period_end": periodEnd.Unix(),
			"price": map[string]any{"id": price, "object": "price"},
		}}},
	}
}

// Deliver posts payload to h as Stripe would, signed with header, and
// returns the response.
func Deliver(h http.Handler, payload []byte, header string) *httptest.ResponseRecorder {
	r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/api/v1/billing/webhook", bytes.NewReader(payload))
	r.Header.Set("Content-Type", "application/json")
	if header != "" {
		r.Header.Set("Stripe-Signature", header)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// String makes fmt print a fake's state in failures.
func (f *Fake) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("fake stripe: %d customers, %d meter events accepted, %d requests", f.created, len(f.meter), f.requests)
}
