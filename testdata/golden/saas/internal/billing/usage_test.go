package billing_test

import (
	"context"
	"database/sql"
	"testing"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/billing/billingtest"
	"example.com/myapp/internal/users"
)

// record stores n events of quantity q for user in one transaction each
// batch of 1,000 (the work they measure would be the transaction).
func record(t *testing.T, db *sql.DB, user int64, meter string, n int, q int64) {
	t.Helper()
	ctx := context.Background()
	for done := 0; done < n; {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 1000 && done < n; i++ {
			if err := billing.Record(ctx, tx, user, meter, q); err != nil {
				t.Fatal(err)
			}
			done++
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecordIsTransactional(t *testing.T) {
	e := newEnv(t, billing.Config{})
	u, _ := e.user("ada@example.com")
	ctx := context.Background()
	tx, _ := e.db.BeginTx(ctx, nil)
	if err := billing.Record(ctx, tx, u.ID, billing.MeterAPICalls, 5); err != nil {
		t.Fatal(err)
	}
	_ = tx.Rollback()
	record(t, e.db, u.ID, billing.MeterAITokens, 2, 21)
	_, usage, err := e.svc.Usage(ctx, u.ID)
	if err != nil || len(usage) != 1 || usage[0].Meter != billing.MeterAITokens || usage[0].Quantity != 42 || usage[0].Reported != 0 {
		t.Fatalf("usage %+v %v; want only the committed 42 ai_tokens", usage, err)
	}
	tx, _ = e.db.BeginTx(ctx, nil)
	defer func() { _ = tx.Rollback() }()
	for _, c := range []struct {
		meter string
		q     int64
	}{{"Bad Meter!", 1}, {"ok", 0}, {"ok", -3}} {
		if err := billing.Record(ctx, tx, u.ID, c.meter, c.q); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("Record(%q, %d) = %v, want invalid", c.meter, c.q, err)
		}
	}
}

// The first send is accepted and its answer lost: the retry carries the
// same identifier, and Stripe's totals are exact.
func TestReportUsageRetryNeverDoubleBills(t *testing.T) {
	fake := billingtest.NewFake(t)
	e := newEnv(t, billing.Config{SecretKey: "sk_test_fake", APIBase: fake.URL, UsageBatch: 10})
	u, customer := e.user("ada@example.com")
	record(t, e.db, u.ID, billing.MeterAPICalls, 3, 7)
	fake.FailAfterAccept = 1 // a 500 to a POST: stripe-go does not retry it
	ctx := context.Background()
	if n, err := e.svc.ReportUsage(ctx); err == nil || n != 0 {
		t.Fatalf("first run = %d, %v; want an error and nothing reported", n, err)
	}
	var first string
	if err := e.db.QueryRow(`SELECT identifier FROM billing_usage_events ORDER BY id LIMIT 1`).Scan(&first); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.ReportUsage(ctx); err != nil || n != 3 {
		t.Fatalf("second run = %d, %v; want 3", n, err)
	}
	if sends, _ := fake.Sends(first); sends != 2 {
		t.Fatalf("the first event was sent %d times, want 2 (the lost answer, the retry)", sends)
	}
	if got := fake.Total(customer, billing.MeterAPICalls); got != 21 {
		t.Fatalf("Stripe total %d, want exactly 21 (%s)", got, fake)
	}
	if n, err := e.svc.ReportUsage(ctx); err != nil || n != 0 {
		t.Fatalf("third run = %d, %v; want nothing left", n, err)
	}
	_, usage, _ := e.svc.Usage(ctx, u.ID)
	if len(usage) != 1 || usage[0].Reported != 21 {
		t.Fatalf("usage %+v, want all 21 reported", usage)
	}
}

// 10,000 events in batches of 100: all reported once, none twice, and
// events of users without a customer wait.
func TestReportUsageManyEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 events; -short runs the small cases only")
	}
	fake := billingtest.NewFake(t)
	e := newEnv(t, billing.Config{SecretKey: "sk_test_fake", APIBase: fake.URL, UsageBatch: 100})
	u, customer := e.user("ada@example.com")
	record(t, e.db, u.ID, billing.MeterAITokens, 10000, 3)
	nobody, err := e.users.Create(context.Background(), users.New{Email: "bob@example.com", Role: users.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	record(t, e.db, nobody.ID, billing.MeterAITokens, 5, 1)
	n, err := e.svc.ReportUsage(context.Background())
	if err != nil || n != 10000 {
		t.Fatalf("reported %d, %v; want 10000", n, err)
	}
	if got := fake.Total(customer, billing.MeterAITokens); got != 30000 {
		t.Fatalf("Stripe total %d, want 30000", got)
	}
	if _, all := fake.Sends(""); all != 10000 {
		t.Fatalf("%d requests, want 10000 (one per event, none repeated)", all)
	}
}

// A customer Stripe refuses for good does not block the others.
func TestReportUsageRefused(t *testing.T) {
	fake := billingtest.NewFake(t)
	e := newEnv(t, billing.Config{SecretKey: "sk_test_fake", APIBase: fake.URL})
	bad, badCustomer := e.user("gone@example.com")
	good, goodCustomer := e.user("ada@example.com")
	fake.Refuse = badCustomer
	record(t, e.db, bad.ID, billing.MeterAPICalls, 1, 1)
	record(t, e.db, good.ID, billing.MeterAPICalls, 1, 2)
	if n, err := e.svc.ReportUsage(context.Background()); err != nil || n != 1 {
		t.Fatalf("= %d, %v; want 1 reported", n, err)
	}
	if fake.Total(goodCustomer, billing.MeterAPICalls) != 2 {
		t.Fatal("the good customer's usage was not reported")
	}
	var failure string
	if err := e.db.QueryRow(`SELECT error FROM billing_usage_events WHERE user_id = $1`, bad.ID).Scan(&failure); err != nil || failure == "" {
		t.Fatalf("refused event error %q, %v", failure, err)
	}
	if n, err := e.svc.ReportUsage(context.Background()); err != nil || n != 0 {
		t.Fatalf("rerun = %d, %v; the refused event was sent again", n, err)
	}
}
