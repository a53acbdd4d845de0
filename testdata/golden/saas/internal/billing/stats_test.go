package billing_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/billing/billingtest"
)

func TestDashboardStats(t *testing.T) {
	e := newEnv(t, billing.Config{})
	ada, adaCus := e.user("ada@example.com")
	_, bobCus := e.user("bob@example.com")
	end := time.Now().Add(time.Hour)
	for i, s := range []map[string]any{
		billingtest.Subscription("sub_a", adaCus, "price_pro", "active", end, false),
		billingtest.Subscription("sub_b", bobCus, "price_team", "past_due", end, false),
	} {
		p := billingtest.Event("evt_s"+string(rune('0'+i)), "customer.subscription.created", time.Now(), s)
		if code, body := e.deliver(p, billingtest.Sign(p, secret, time.Now())); code != 200 {
			t.Fatalf("= %d %s", code, body)
		}
	}
	record(t, e.db, ada.ID, billing.MeterAPICalls, 2, 1)
	st, err := billing.DashboardStats(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(st)
	if string(b) != `{"active_subscriptions":2,"by_plan":{"pro":1,"team":1},"past_due":1,"unreported_usage":2}` {
		t.Fatalf("stats = %s", b)
	}
}
