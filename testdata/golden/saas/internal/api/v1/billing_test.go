package v1_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/billing/billingtest"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/users"
)

type billingAPI struct {
	*usersAPI
	svc  *billing.Service
	fake *billingtest.Fake
}

// newBillingAPI serves v1 with billing on a fake Stripe (no key: off),
// and a route only the pro plan (or higher) may call. The header
// X-Test-Impersonated marks a request as made by an impersonating admin.
func newBillingAPI(t *testing.T, configured bool) *billingAPI {
	t.Helper()
	db := dbtest.Open(t)
	store := users.NewSQLStore(db)
	fake := billingtest.NewFake(t)
	cfg := billing.Config{
		Plans:      billing.Plans{{Name: "free"}, {Name: "pro", Price: "price_pro"}, {Name: "team", Price: "price_team"}},
		SuccessURL: "https://app.example/ok", CancelURL: "https://app.example/cancel", PortalReturnURL: "https://app.example/billing",
		WebhookSecrets: []string{"whsec_test"},
	}
	if configured {
		cfg.SecretKey, cfg.APIBase = "sk_test_fake", fake.URL
	}
	svc, err := billing.New(context.Background(), db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a := api.New(mux, "test", "1.0.0")
	v1.Register(a, v1.Deps{Items: items.NewSQLStore(db), Users: store, Authenticator: tokenAuth{store}, Billing: svc})
	guard := api.NewGuard(a, tokenAuth{store})
	huma.Register(a, huma.Operation{
		OperationID: "pro-only", Method: http.MethodGet, Path: "/pro-only",
		Middlewares: huma.Middlewares{guard.RequireAuth, v1.RequirePlan(a, svc, "pro")},
	}, func(context.Context, *struct{}) (*struct{}, error) { return nil, nil })
	mux.Handle("POST /api/v1/billing/webhook", svc.Webhook())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test-Impersonated") != "" {
			r = r.WithContext(users.WithImpersonation(r.Context(), users.Impersonation{ActorID: 99, SubjectID: 1, SessionID: "imp"}))
		}
		mux.ServeHTTP(w, r)
	})
	return &billingAPI{usersAPI: &usersAPI{t: t, h: h, store: store}, svc: svc, fake: fake}
}

func billingProblem(t *testing.T, w *httptest.ResponseRecorder, status int, detail string) {
	t.Helper()
	if w.Code != status || w.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(w.Body.String(), detail) {
		t.Fatalf("= %d %s %s, want %d problem+json saying %q", w.Code, w.Header().Get("Content-Type"), w.Body, status, detail)
	}
}

var billingRoutes = [][3]string{
	{"GET", "/api/v1/billing/plans", ""},
	{"POST", "/api/v1/billing/checkout", `{"price":"price_pro"}`},
	{"POST", "/api/v1/billing/portal", ""},
	{"GET", "/api/v1/billing/subscription", ""},
	{"GET", "/api/v1/billing/usage", ""},
}

func TestBillingNeedsSignIn(t *testing.T) {
	a := newBillingAPI(t, true)
	for _, r := range billingRoutes {
		if w := a.do(0, r[0], r[1], r[2]); w.Code != http.StatusUnauthorized {
			t.Errorf("%s %s anonymous = %d, want 401", r[0], r[1], w.Code)
		}
	}
}

func TestBillingOffWithoutKey(t *testing.T) {
	a := newBillingAPI(t, false)
	u := a.user("ada@example.com", users.RoleUser)
	for _, r := range billingRoutes {
		billingProblem(t, a.do(u.ID, r[0], r[1], r[2]), http.StatusServiceUnavailable, "not configured")
	}
}

func TestBillingCheckoutAndPortal(t *testing.T) {
	a := newBillingAPI(t, true)
	u := a.user("ada@example.com", users.RoleUser)
	w := a.do(u.ID, "POST", "/api/v1/billing/checkout", `{"price":"price_team","quantity":2}`)
	if w.Code != 200 || decode[struct{ URL string }](t, w).URL != "https://checkout.stripe.com/c/pay/cs_test_fake" {
		t.Fatalf("checkout = %d %s", w.Code, w.Body)
	}
	if a.fake.LastCheckout["success_url"] != "https://app.example/ok" || a.fake.LastCheckout["line_items[0][quantity]"] != "2" {
		t.Fatalf("checkout sent %v", a.fake.LastCheckout)
	}
	w = a.do(u.ID, "POST", "/api/v1/billing/portal", "")
	if w.Code != 200 || decode[struct{ URL string }](t, w).URL != "https://billing.stripe.com/p/session/fake" {
		t.Fatalf("portal = %d %s", w.Code, w.Body)
	}
	if a.fake.Customers() != 1 {
		t.Fatalf("%d customers, want 1 for both sessions", a.fake.Customers())
	}
	w = a.do(u.ID, "GET", "/api/v1/billing/plans", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `{"name":"team","price":"price_team"}`) {
		t.Fatalf("plans = %d %s", w.Code, w.Body)
	}
}

func TestBillingBadInput(t *testing.T) {
	a := newBillingAPI(t, true)
	u := a.user("ada@example.com", users.RoleUser)
	for _, c := range []struct{ body, where string }{
		{`{"price":"price_other"}`, "body.price"},
		{`{"price":""}`, "body.price"},
		{`{"price":"price_pro","quantity":0}`, "body.quantity"},
		{`{"price":"price_pro","quantity":5000}`, "body.quantity"},
		{`{"price":"price_pro","success_url":"https://evil.example"}`, "success_url"},
	} {
		billingProblem(t, a.do(u.ID, "POST", "/api/v1/billing/checkout", c.body), http.StatusUnprocessableEntity, c.where)
	}
	if a.fake.Customers() != 0 {
		t.Fatal("a refused checkout reached Stripe")
	}
}

func TestBillingRefusedWhileImpersonating(t *testing.T) {
	a := newBillingAPI(t, true)
	u := a.user("ada@example.com", users.RoleUser)
	for _, path := range []string{"/api/v1/billing/checkout", "/api/v1/billing/portal"} {
		billingProblem(t, a.do(u.ID, "POST", path, `{"price":"price_pro"}`, "X-Test-Impersonated", "1"), http.StatusForbidden, "impersonating")
	}
	if w := a.do(u.ID, "GET", "/api/v1/billing/subscription", "", "X-Test-Impersonated", "1"); w.Code != 200 {
		t.Fatalf("reading while impersonating = %d", w.Code)
	}
	if a.fake.Customers() != 0 {
		t.Fatal("an impersonator reached Stripe")
	}
}

// A signed webhook moves the user to pro: the subscription says so, and
// the pro-only route lets them in.
func TestBillingPlanFromWebhook(t *testing.T) {
	a := newBillingAPI(t, true)
	u := a.user("ada@example.com", users.RoleUser)
	billingProblem(t, a.do(u.ID, "GET", "/pro-only", ""), http.StatusPaymentRequired, "pro plan")
	if w := a.do(u.ID, "POST", "/api/v1/billing/checkout", `{"price":"price_pro"}`); w.Code != 200 {
		t.Fatalf("checkout = %d %s", w.Code, w.Body)
	}
	end := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second).UTC()
	p := billingtest.Event("evt_1", "customer.subscription.created", time.Now(), billingtest.Subscription("sub_1", "cus_fake1", "price_pro", "active", end, false))
	if w := a.do(0, "POST", "/api/v1/billing/webhook", string(p), "Stripe-Signature", billingtest.Sign(p, "whsec_test", time.Now())); w.Code != 200 {
		t.Fatalf("webhook = %d %s", w.Code, w.Body)
	}
	w := a.do(u.ID, "GET", "/api/v1/billing/subscription", "")
	var s v1.BillingSubscription
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil || s.Plan != "pro" || s.Status != "active" || s.CurrentPeriodEnd == nil || !s.CurrentPeriodEnd.Equal(end) || !s.HasCustomer {
		t.Fatalf("subscription = %s", w.Body)
	}
	if w := a.do(u.ID, "GET", "/pro-only", ""); w.Code != http.StatusNoContent && w.Code != http.StatusOK {
		t.Fatalf("pro-only as pro = %d %s", w.Code, w.Body)
	}
}

func TestBillingUsage(t *testing.T) {
	a := newBillingAPI(t, true)
	u := a.user("ada@example.com", users.RoleUser)
	w := a.do(u.ID, "GET", "/api/v1/billing/usage", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"usage":[]`) {
		t.Fatalf("usage = %d %s", w.Code, w.Body)
	}
}
