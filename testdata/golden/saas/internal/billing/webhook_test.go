package billing_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/billing/billingtest"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/users"
)

const (
	secret    = "whsec_test_new"
	oldSecret = "whsec_test_old"
)

var testPlans = billing.Plans{{Name: "free"}, {Name: "pro", Price: "price_pro"}, {Name: "team", Price: "price_team"}}

// syncBuffer is a log sink tests read while handlers write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	t     *testing.T
	db    *sql.DB
	svc   *billing.Service
	users *users.SQLStore
	log   *syncBuffer
	// changes counts OnPlanChange calls: the side effect to count.
	mu      sync.Mutex
	changes map[int64][]string
}

func newEnv(t *testing.T, cfg billing.Config) *env {
	t.Helper()
	e := &env{t: t, db: dbtest.Open(t), log: &syncBuffer{}, changes: map[int64][]string{}}
	e.users = users.NewSQLStore(e.db)
	if cfg.Plans == nil {
		cfg.Plans = testPlans
	}
	if cfg.WebhookSecrets == nil {
		cfg.WebhookSecrets = []string{secret}
	}
	cfg.SuccessURL, cfg.CancelURL, cfg.PortalReturnURL = "https://app.example/ok", "https://app.example/cancel", "https://app.example/billing"
	cfg.OnPlanChange = func(_ context.Context, _ *sql.Tx, userID int64, plan string) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.changes[userID] = append(e.changes[userID], plan)
		return nil
	}
	svc, err := billing.New(context.Background(), e.db, cfg, slog.New(slog.NewJSONHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

// user makes a user with a Stripe customer id of cus_<email's local part>.
func (e *env) user(email string) (users.User, string) {
	e.t.Helper()
	u, err := e.users.Create(context.Background(), users.New{Email: email, Role: users.RoleUser})
	if err != nil {
		e.t.Fatal(err)
	}
	customer := "cus_" + strings.Split(email, "@")[0]
	if _, err := e.db.Exec(`INSERT INTO billing_customers (user_id, customer_id, created_at) VALUES ($1, $2, $3)`, u.ID, customer, time.Now().Unix()); err != nil {
		e.t.Fatal(err)
	}
	return u, customer
}

func (e *env) changesOf(id int64) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.changes[id]...)
}

func (e *env) plan(id int64) string {
	e.t.Helper()
	p, err := e.svc.PlanOf(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) deliver(payload []byte, header string) (int, string) {
	w := billingtest.Deliver(e.svc.Webhook(), payload, header)
	return w.Code, w.Body.String()
}

func checkoutCompleted(id, customer, sub, plan string, at time.Time) []byte {
	return billingtest.Event(id, "checkout.session.completed", at, map[string]any{
		"id": "cs_" + id, "object": "checkout.session", "mode": "subscription", "customer": customer,
		"subscription": sub, "payment_status": "paid", "status": "complete", "metadata": map[string]string{"plan": plan},
	})
}

// SECURITY.md §3, line by line: every case of the signature table.
func TestWebhookSignature(t *testing.T) {
	e := newEnv(t, billing.Config{WebhookSecrets: []string{oldSecret, secret}})
	_, customer := e.user("ada@example.com")
	now := time.Now()
	n := 0
	payload := func() []byte {
		n++
		return checkoutCompleted(fmt.Sprintf("evt_sig%d", n), customer, "sub_1", "pro", now)
	}
	flip := func(b []byte) []byte {
		c := bytes.Clone(b)
		i := bytes.Index(c, []byte(`"pro"`)) + 1
		c[i] ^= 0x01
		return c
	}
	cases := []struct {
		name   string
		header func(p []byte) string
		body   func(p []byte) []byte
		status int
		detail string
	}{
		{"no header", func([]byte) string { return "" }, nil, 400, "missing Stripe-Signature"},
		{"malformed v1,t=1", func([]byte) string { return "v1,t=1" }, nil, 400, "malformed"},
		{"malformed t=", func([]byte) string { return "t=" }, nil, 400, "malformed"},
		{"wrong secret", func(p []byte) string { return billingtest.Sign(p, "whsec_wrong", now) }, nil, 400, "no valid signature"},
		{"valid plus a bad v1", func(p []byte) string { return billingtest.Sign(p, secret, now) + ",v1=bad_signature" }, nil, 200, ""},
		{"old secret", func(p []byte) string { return billingtest.Sign(p, oldSecret, now) }, nil, 200, ""},
		{"new secret", func(p []byte) string { return billingtest.Sign(p, secret, now) }, nil, 200, ""},
		{"old and new signatures", func(p []byte) string {
			h := billingtest.Sign(p, oldSecret, now)
			return h + "," + strings.Split(billingtest.Sign(p, secret, now), ",")[1]
		}, nil, 200, ""},
		{"unknown scheme only", func(p []byte) string {
			return strings.Replace(billingtest.Sign(p, secret, now), "v1=", "v0=", 1)
		}, nil, 400, "no valid signature"},
		{"t = now-301", func(p []byte) string { return billingtest.Sign(p, secret, now.Add(-301*time.Second)) }, nil, 400, "old"},
		{"t = now+3600", func(p []byte) string { return billingtest.Sign(p, secret, now.Add(time.Hour)) }, nil, 400, "future"},
		{"one body byte flipped", func(p []byte) string { return billingtest.Sign(p, secret, now) }, flip, 400, "no valid signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := payload()
			h := c.header(p)
			if c.body != nil {
				p = c.body(p)
			}
			status, body := e.deliver(p, h)
			if status != c.status || !strings.Contains(body, c.detail) {
				t.Fatalf("= %d %s, want %d containing %q", status, body, c.status, c.detail)
			}
			if status != 200 && !strings.Contains(body, `"status":400`) {
				t.Fatalf("not a problem: %s", body)
			}
			if strings.Contains(body, "whsec_") {
				t.Fatal("the answer shows a secret")
			}
		})
	}
	if strings.Contains(e.log.String(), "whsec_") {
		t.Fatal("a secret was logged")
	}
}

func TestWebhookTooLarge(t *testing.T) {
	e := newEnv(t, billing.Config{})
	_, customer := e.user("ada@example.com")
	obj := map[string]any{"id": "cs_big", "object": "checkout.session", "customer": customer, "metadata": map[string]string{"pad": strings.Repeat("x", 70*1024)}}
	p := billingtest.Event("evt_big", "checkout.session.completed", time.Now(), obj)
	if status, body := e.deliver(p, billingtest.Sign(p, secret, time.Now())); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "65536") {
		t.Fatalf("70 KB = %d %s, want 413", status, body)
	}
	var n int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM billing_webhook_events`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("events stored: %d %v", n, err)
	}
}

func TestWebhookAPIVersionMismatch(t *testing.T) {
	e := newEnv(t, billing.Config{})
	_, customer := e.user("ada@example.com")
	p := checkoutCompleted("evt_version", customer, "sub_1", "pro", time.Now())
	p = bytes.Replace(p, []byte(stripe.APIVersion), []byte("2024-06-20"), 1)
	status, body := e.deliver(p, billingtest.Sign(p, secret, time.Now()))
	if status != 400 || !strings.Contains(body, stripe.APIVersion) {
		t.Fatalf("= %d %s, want 400 naming %s", status, body, stripe.APIVersion)
	}
	logs := e.log.String()
	if !strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, `"event_api_version":"2024-06-20"`) || !strings.Contains(logs, `"sdk_api_version":"`+stripe.APIVersion+`"`) {
		t.Fatalf("no error log naming both versions: %s", logs)
	}
	// Another release train is refused too.
	p = bytes.Replace(checkoutCompleted("evt_train", customer, "sub_1", "pro", time.Now()), []byte(stripe.APIVersion), []byte("2099-01-01.zzz"), 1)
	if status, _ := e.deliver(p, billingtest.Sign(p, secret, time.Now())); status != 400 {
		t.Fatalf("other train = %d, want 400", status)
	}
	if e.plan(1) != "free" {
		t.Fatal("a refused event changed the plan")
	}
}

func TestWebhookNotConfigured(t *testing.T) {
	e := newEnv(t, billing.Config{WebhookSecrets: []string{}})
	p := checkoutCompleted("evt_1", "cus_x", "sub_1", "pro", time.Now())
	if status, _ := e.deliver(p, billingtest.Sign(p, secret, time.Now())); status != http.StatusServiceUnavailable {
		t.Fatalf("= %d, want 503", status)
	}
}

// The checkout changes the plan; the same event again changes nothing.
func TestWebhookCheckoutOnce(t *testing.T) {
	e := newEnv(t, billing.Config{})
	u, customer := e.user("ada@example.com")
	if e.plan(u.ID) != "free" {
		t.Fatal("a new user is not on the default plan")
	}
	p := checkoutCompleted("evt_once", customer, "sub_1", "pro", time.Now())
	for i, dup := range []string{"false", "true"} {
		status, body := e.deliver(p, billingtest.Sign(p, secret, time.Now()))
		if status != 200 || !strings.Contains(body, `"duplicate":`+dup) {
			t.Fatalf("delivery %d = %d %s", i+1, status, body)
		}
	}
	if got := e.changesOf(u.ID); len(got) != 1 || got[0] != "pro" || e.plan(u.ID) != "pro" {
		t.Fatalf("plan changes %v, plan %s; want one, to pro", got, e.plan(u.ID))
	}
}

// Two concurrent copies of one event (run with -race): one effect.
func TestWebhookConcurrentCopies(t *testing.T) {
	e := newEnv(t, billing.Config{})
	u, customer := e.user("ada@example.com")
	p := checkoutCompleted("evt_concurrent", customer, "sub_1", "team", time.Now())
	h := billingtest.Sign(p, secret, time.Now())
	const copies = 8
	statuses := make([]int, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Go(func() { statuses[i], _ = e.deliver(p, h) })
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Fatalf("copy %d = %d, want 200", i, s)
		}
	}
	if got := e.changesOf(u.ID); len(got) != 1 || got[0] != "team" {
		t.Fatalf("plan changes %v, want exactly one, to team", got)
	}
}

// An older event never overwrites a newer one, whatever the arrival order.
func TestWebhookOrder(t *testing.T) {
	e := newEnv(t, billing.Config{})
	u, customer := e.user("ada@example.com")
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	end := t0.Add(30 * 24 * time.Hour)
	newer := billingtest.Event("evt_new", "customer.subscription.updated", t0.Add(10*time.Second),
		billingtest.Subscription("sub_1", customer, "price_team", "active", end, true))
	older := billingtest.Event("evt_old", "customer.subscription.created", t0,
		billingtest.Subscription("sub_1", customer, "price_pro", "incomplete", end, false))
	for _, p := range [][]byte{newer, older} {
		if status, body := e.deliver(p, billingtest.Sign(p, secret, time.Now())); status != 200 {
			t.Fatalf("= %d %s", status, body)
		}
	}
	st, err := e.svc.StateOf(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Plan != "team" || st.Status != "active" || !st.CancelAtPeriodEnd || !st.CurrentPeriodEnd.Equal(end.Truncate(time.Second)) {
		t.Fatalf("state %+v: the older event won", st)
	}
	// Deleted: back to the default plan.
	del := billingtest.Event("evt_del", "customer.subscription.deleted", t0.Add(20*time.Second),
		billingtest.Subscription("sub_1", customer, "price_team", "canceled", end, false))
	if status, _ := e.deliver(del, billingtest.Sign(del, secret, time.Now())); status != 200 || e.plan(u.ID) != "free" {
		t.Fatalf("after deletion: %d, plan %s", status, e.plan(u.ID))
	}
	if got := e.changesOf(u.ID); strings.Join(got, ",") != "team,team,free" {
		t.Fatalf("plan changes %v", got)
	}
}

func TestWebhookInvoices(t *testing.T) {
	e := newEnv(t, billing.Config{})
	u, customer := e.user("ada@example.com")
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	sub := billingtest.Event("evt_sub", "customer.subscription.created", t0,
		billingtest.Subscription("sub_1", customer, "price_pro", "active", t0.Add(time.Hour), false))
	invoice := func(id, typ string, at time.Time) []byte {
		return billingtest.Event(id, typ, at, map[string]any{"id": "in_" + id, "object": "invoice", "customer": customer,
			"parent": map[string]any{"type": "subscription_details", "subscription_details": map[string]any{"subscription": "sub_1"}}})
	}
	for _, p := range [][]byte{sub, invoice("evt_failed", "invoice.payment_failed", t0.Add(2*time.Second)), invoice("evt_paid_late", "invoice.paid", t0.Add(time.Second))} {
		if status, body := e.deliver(p, billingtest.Sign(p, secret, time.Now())); status != 200 {
			t.Fatalf("= %d %s", status, body)
		}
	}
	st, _ := e.svc.StateOf(context.Background(), u.ID)
	if st.PaymentStatus != "failed" {
		t.Fatalf("payment status %q, want failed (the older paid event must not win)", st.PaymentStatus)
	}
}

func TestWebhookUnknownType(t *testing.T) {
	e := newEnv(t, billing.Config{})
	p := billingtest.Event("evt_unknown", "charge.refunded", time.Now(), map[string]any{"id": "ch_1", "object": "charge"})
	if status, _ := e.deliver(p, billingtest.Sign(p, secret, time.Now())); status != 200 {
		t.Fatalf("= %d, want 200", status)
	}
	if !strings.Contains(e.log.String(), `"level":"DEBUG"`) || !strings.Contains(e.log.String(), "charge.refunded") {
		t.Fatalf("not logged at debug: %s", e.log.String())
	}
}

func TestPurgeEvents(t *testing.T) {
	e := newEnv(t, billing.Config{})
	old := time.Now().Add(-8 * 24 * time.Hour).Unix()
	if _, err := e.db.Exec(`INSERT INTO billing_webhook_events (event_id, type, processed_at) VALUES ('evt_old', 'x', $1), ('evt_new', 'x', $2)`, old, time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	n, err := e.svc.PurgeEvents(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want 1", n, err)
	}
}
