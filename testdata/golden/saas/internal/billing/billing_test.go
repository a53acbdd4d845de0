package billing_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/billing/billingtest"
	"example.com/myapp/internal/users"
)

func TestPlansParse(t *testing.T) {
	var p billing.Plans
	if err := p.UnmarshalText([]byte(" free: , pro:price_123,team:price_456 ")); err != nil {
		t.Fatal(err)
	}
	if p.String() != "free:,pro:price_123,team:price_456" || p.Default() != "free" || p.Rank("team") != 2 || p.Rank("gold") != -1 {
		t.Fatalf("plans %v", p)
	}
	if pl, ok := p.ByPrice("price_456"); !ok || pl.Name != "team" {
		t.Fatalf("ByPrice = %v %v", pl, ok)
	}
	if _, ok := p.ByPrice(""); ok {
		t.Fatal("the empty price names a plan")
	}
	for _, bad := range []string{"Pro:price_1", "pro:prod_1", "pro:price_1,pro:price_2", "a:price_1,b:price_1", ":price_1"} {
		if err := p.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNotConfigured(t *testing.T) {
	e := newEnv(t, billing.Config{})
	u, _ := e.user("ada@example.com")
	ctx := context.Background()
	if _, err := e.svc.Checkout(ctx, u, "price_pro", 1); err != billing.ErrNotConfigured {
		t.Fatalf("checkout = %v", err)
	}
	if _, err := e.svc.Portal(ctx, u); err != billing.ErrNotConfigured {
		t.Fatalf("portal = %v", err)
	}
	if n, err := e.svc.ReportUsage(ctx); n != 0 || err != nil {
		t.Fatalf("report = %d %v", n, err)
	}
}

func newUser(t *testing.T, e *env, email string) users.User {
	t.Helper()
	u, err := e.users.Create(context.Background(), users.New{Email: email, Role: users.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Through the real SDK to stripe-mock: customer, checkout, portal and a
// meter event.
func TestStripeMock(t *testing.T) {
	base := billingtest.StripeMock(t)
	e := newEnv(t, billing.Config{SecretKey: "sk_test_123", APIBase: base})
	u := newUser(t, e, "ada@example.com")
	ctx := context.Background()
	url, err := e.svc.Checkout(ctx, u, "price_pro", 2)
	if err != nil || url == "" {
		t.Fatalf("checkout = %q, %v (%s)", url, err, e.log)
	}
	st, err := e.svc.StateOf(ctx, u.ID)
	if err != nil || !strings.HasPrefix(st.CustomerID, "cus_") {
		t.Fatalf("customer %q, %v: not stored before the checkout", st.CustomerID, err)
	}
	again, err := e.svc.Customer(ctx, u)
	if err != nil || again != st.CustomerID {
		t.Fatalf("second Customer = %q, %v; want the stored %q", again, err, st.CustomerID)
	}
	if url, err := e.svc.Portal(ctx, u); err != nil || url == "" {
		t.Fatalf("portal = %q, %v", url, err)
	}
	record(t, e.db, u.ID, billing.MeterAPICalls, 3, 1)
	if n, err := e.svc.ReportUsage(ctx); err != nil || n != 3 {
		t.Fatalf("report = %d, %v (%s)", n, err, e.log)
	}
}

// A price no plan names is refused before Stripe is called.
func TestCheckoutUnknownPrice(t *testing.T) {
	fake := billingtest.NewFake(t)
	e := newEnv(t, billing.Config{SecretKey: "sk_test_fake", APIBase: fake.URL})
	u := newUser(t, e, "ada@example.com")
	for _, c := range []struct {
		price string
		q     int64
		field string
	}{{"price_other", 1, "price"}, {"", 1, "price"}, {"price_pro", 0, "quantity"}, {"price_pro", 1001, "quantity"}} {
		_, err := e.svc.Checkout(context.Background(), u, c.price, c.q)
		if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("Checkout(%q, %d) = %v, want invalid %s", c.price, c.q, err, c.field)
		}
	}
	if fake.Customers() != 0 {
		t.Fatal("Stripe was called")
	}
}

// The session's URLs come from the configuration; the mode from the price.
func TestCheckoutSession(t *testing.T) {
	fake := billingtest.NewFake(t)
	e := newEnv(t, billing.Config{SecretKey: "sk_test_fake", APIBase: fake.URL})
	u := newUser(t, e, "ada@example.com")
	if _, err := e.svc.Checkout(context.Background(), u, "price_team", 3); err != nil {
		t.Fatal(err)
	}
	f := fake.LastCheckout
	if f["mode"] != "subscription" || f["success_url"] != "https://app.example/ok" || f["cancel_url"] != "https://app.example/cancel" ||
		f["line_items[0][price]"] != "price_team" || f["line_items[0][quantity]"] != "3" || f["customer"] != "cus_fake1" || f["metadata[plan]"] != "team" {
		t.Fatalf("checkout form %v", f)
	}
	fake2 := billingtest.NewFake(t)
	fake2.Recurring = false
	e2 := newEnv(t, billing.Config{SecretKey: "sk_test_fake", APIBase: fake2.URL})
	if _, err := e2.svc.Checkout(context.Background(), newUser(t, e2, "bob@example.com"), "price_pro", 1); err != nil || fake2.LastCheckout["mode"] != "payment" {
		t.Fatalf("one-off price: mode %q, %v", fake2.LastCheckout["mode"], err)
	}
}

// Two concurrent first checkouts make one customer: the idempotency key
// is the user's.
func TestCustomerOnce(t *testing.T) {
	fake := billingtest.NewFake(t)
	e := newEnv(t, billing.Config{SecretKey: "sk_test_fake", APIBase: fake.URL})
	u := newUser(t, e, "ada@example.com")
	ids := make([]string, 4)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			var err error
			if ids[i], err = e.svc.Customer(context.Background(), u); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if fake.Customers() != 1 || ids[0] != ids[1] || ids[1] != ids[2] || ids[2] != ids[3] {
		t.Fatalf("customers %v, %d created at Stripe; want one", ids, fake.Customers())
	}
}

// Stripe down: a clear 503 for the caller, the key in no log.
func TestStripeDown(t *testing.T) {
	e := newEnv(t, billing.Config{SecretKey: "sk_test_secretvalue", APIBase: "http://127.0.0.1:1", HTTPClient: &http.Client{}})
	u := newUser(t, e, "ada@example.com")
	_, err := e.svc.Checkout(context.Background(), u, "price_pro", 1)
	if apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("= %v, want unavailable", err)
	}
	if strings.Contains(e.log.String(), "sk_test_secretvalue") || !strings.Contains(e.log.String(), "stripe call failed") {
		t.Fatalf("log: %s", e.log)
	}
}
