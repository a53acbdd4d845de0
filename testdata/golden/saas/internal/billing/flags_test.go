package billing_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/billing/billingtest"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/flags"
	"example.com/myapp/internal/users"
)

// A webhook's plan reaches the feature flags' plan lookup in the same
// transaction; a refused delivery leaves it alone.
func TestPlanReachesFlags(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	u, err := users.NewSQLStore(db).Create(ctx, users.New{Email: "ada@example.com", Role: users.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO billing_customers (user_id, customer_id, created_at) VALUES ($1, 'cus_ada', 0)`, u.ID); err != nil {
		t.Fatal(err)
	}
	svc, err := billing.New(ctx, db, billing.Config{Plans: testPlans, WebhookSecrets: []string{secret}, OnPlanChange: billing.SetUsersPlan},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	plans := flags.NewSQLPlans(db)
	p := billingtest.Event("evt_flags", "customer.subscription.created", time.Now(),
		billingtest.Subscription("sub_1", "cus_ada", "price_team", "active", time.Now().Add(time.Hour), false))
	if w := billingtest.Deliver(svc.Webhook(), p, "t=1,v1=00"); w.Code != 400 {
		t.Fatalf("bad signature = %d", w.Code)
	}
	if plan, _ := plans.PlanOf(ctx, u.ID); plan != "" {
		t.Fatalf("plan after a refused delivery = %q", plan)
	}
	if w := billingtest.Deliver(svc.Webhook(), p, billingtest.Sign(p, secret, time.Now())); w.Code != 200 {
		t.Fatalf("webhook = %d %s", w.Code, w.Body)
	}
	if plan, err := plans.PlanOf(ctx, u.ID); plan != "team" || err != nil {
		t.Fatalf("flags see plan %q, %v; want team", plan, err)
	}
	if plan, _ := svc.PlanOf(ctx, u.ID); plan != "team" {
		t.Fatalf("billing's PlanOf = %q", plan)
	}
}
