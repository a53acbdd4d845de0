package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/httpx"
)

// Tolerance is how far a webhook's signed timestamp may be from now, in
// the past (checked by stripe-go) and in the future (checked here: the
// SDK does not).
const Tolerance = 300 * time.Second

// Webhook is the handler of POST /api/v1/billing/webhook. It reads the raw
// body under the configured cap before anything parses it, verifies the
// Stripe-Signature against every configured secret, and applies the event
// exactly once: its id is inserted in the transaction of its effects, so
// a duplicate, or a concurrent copy, changes nothing and is answered 200.
func (s *Service) Webhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if len(s.cfg.WebhookSecrets) == 0 {
			httpx.Error(w, r, apperr.Errorf(apperr.Unavailable, "The webhook is not configured on this server (STRIPE_WEBHOOK_SECRET)."))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.WebhookMaxBytes))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				httpx.WriteProblem(w, httpx.Problem{Status: http.StatusRequestEntityTooLarge, Title: http.StatusText(http.StatusRequestEntityTooLarge),
					Detail: fmt.Sprintf("The body is larger than %d bytes.", s.cfg.WebhookMaxBytes), Instance: r.URL.Path})
				return
			}
			httpx.Error(w, r, apperr.Errorf(apperr.Invalid, "The body could not be read."))
			return
		}
		ev, err := s.verify(ctx, body, r.Header.Get("Stripe-Signature"))
		if err != nil {
			httpx.WriteProblem(w, httpx.Problem{Status: http.StatusBadRequest, Title: http.StatusText(http.StatusBadRequest), Detail: err.Error(), Instance: r.URL.Path})
			return
		}
		applied, err := s.apply(ctx, ev)
		if err != nil {
			// Stripe retries a failed delivery for days: nothing was applied.
			httpx.Error(w, r, err)
			return
		}
		s.log.InfoContext(ctx, "stripe webhook", "event_id", ev.ID, "type", string(ev.Type), "applied", applied)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"received":true,"duplicate":%t}`+"\n", !applied)
	})
}

// Problems of a refused delivery; they name what is wrong and nothing of
// the secret.
var (
	errNoSignature  = errors.New("missing Stripe-Signature header")
	errBadHeader    = errors.New("malformed Stripe-Signature header")
	errBadSignature = errors.New("no valid signature for this body")
	errTooOld       = errors.New("signature timestamp is more than 300 s old")
	errFuture       = errors.New("signature timestamp is more than 300 s in the future")
	errAPIVersion   = fmt.Errorf("event API version does not match %s; create the webhook endpoint with that version", stripe.APIVersion)
	errNotEvent     = errors.New("the body is not a Stripe event")
)

// verify checks the signature with stripe-go against each secret (the
// old and the new one while rolling), then refuses timestamps in the
// future, and returns the event.
func (s *Service) verify(ctx context.Context, body []byte, header string) (stripe.Event, error) {
	if strings.TrimSpace(header) == "" {
		return stripe.Event{}, errNoSignature
	}
	var ev stripe.Event
	var err error
	for _, secret := range s.cfg.WebhookSecrets {
		ev, err = webhook.ConstructEventWithOptions(body, header, secret, webhook.ConstructEventOptions{Tolerance: Tolerance})
		if !errors.Is(err, webhook.ErrNoValidSignature) {
			break
		}
	}
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return stripe.Event{}, errNoSignature
	case errors.Is(err, webhook.ErrInvalidHeader):
		return stripe.Event{}, errBadHeader
	case errors.Is(err, webhook.ErrNoValidSignature):
		return stripe.Event{}, errBadSignature
	case errors.Is(err, webhook.ErrTooOld):
		return stripe.Event{}, errTooOld
	case err != nil:
		// The signature is good: the payload is Stripe's but not one this
		// SDK may read (a thin event, another API version's shape).
		var head struct {
			Object     string `json:"object"`
			APIVersion string `json:"api_version"`
		}
		if json.Unmarshal(body, &head) != nil || head.Object != "event" {
			return stripe.Event{}, errNotEvent
		}
		s.log.ErrorContext(ctx, "stripe webhook API version mismatch: recreate the endpoint with the SDK's version",
			"event", "stripe_api_version_mismatch", "event_api_version", head.APIVersion, "sdk_api_version", stripe.APIVersion)
		return stripe.Event{}, errAPIVersion
	}
	if t, ok := signedAt(header); !ok || t.Sub(s.now()) > Tolerance {
		return stripe.Event{}, errFuture
	}
	return ev, nil
}

// signedAt returns the t= of a header stripe-go has already accepted.
func signedAt(header string) (time.Time, bool) {
	for part := range strings.SplitSeq(header, ",") {
		if k, v, ok := strings.Cut(part, "="); ok && k == "t" {
			n, err := strconv.ParseInt(v, 10, 64)
			return time.Unix(n, 0), err == nil
		}
	}
	return time.Time{}, false
}

// apply records ev and its effects in one transaction; it returns false
// for an event already processed.
func (s *Service) apply(ctx context.Context, ev stripe.Event) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("webhook: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx,
		`INSERT INTO billing_webhook_events (event_id, type, processed_at) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING`,
		ev.ID, string(ev.Type), s.now().Unix())
	if err != nil {
		return false, fmt.Errorf("webhook %s: %w", ev.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	userID, err := s.effect(ctx, tx, ev)
	if err != nil {
		return false, fmt.Errorf("webhook %s (%s): %w", ev.ID, ev.Type, err)
	}
	if userID != 0 && s.cfg.OnPlanChange != nil {
		plan, err := s.planOf(ctx, tx, userID)
		if err != nil {
			return false, err
		}
		if err := s.cfg.OnPlanChange(ctx, tx, userID, plan); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("webhook %s: %w", ev.ID, err)
	}
	return true, nil
}

// effect applies ev and returns the user whose billing it may have
// changed (0 for none).
func (s *Service) effect(ctx context.Context, tx *sql.Tx, ev stripe.Event) (int64, error) {
	if ev.Data == nil {
		return 0, nil
	}
	switch ev.Type {
	case "checkout.session.completed":
		var cs stripe.CheckoutSession
		if err := json.Unmarshal(ev.Data.Raw, &cs); err != nil {
			return 0, err
		}
		return s.checkoutCompleted(ctx, tx, ev, &cs)
	case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted":
		var sub stripe.Subscription
		if err := json.Unmarshal(ev.Data.Raw, &sub); err != nil {
			return 0, err
		}
		return s.subscriptionChanged(ctx, tx, ev, &sub)
	case "invoice.paid", "invoice.payment_failed":
		var inv stripe.Invoice
		if err := json.Unmarshal(ev.Data.Raw, &inv); err != nil {
			return 0, err
		}
		return s.invoiceSettled(ctx, tx, ev, &inv)
	default:
		s.log.DebugContext(ctx, "stripe webhook of a type not handled", "event_id", ev.ID, "type", string(ev.Type))
		return 0, nil
	}
}

// userOfCustomer returns the user a Stripe customer was created for.
func (s *Service) userOfCustomer(ctx context.Context, tx *sql.Tx, ev stripe.Event, customer string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT user_id FROM billing_customers WHERE customer_id = $1`, customer).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		s.log.WarnContext(ctx, "stripe webhook for a customer this service did not create", "event_id", ev.ID, "customer", customer)
		return 0, nil
	}
	return id, err
}

func (s *Service) checkoutCompleted(ctx context.Context, tx *sql.Tx, ev stripe.Event, cs *stripe.CheckoutSession) (int64, error) {
	if cs.Customer == nil || cs.Mode != stripe.CheckoutSessionModeSubscription || cs.Subscription == nil {
		return 0, nil // a one-off payment: nothing to keep beyond the event
	}
	userID, err := s.userOfCustomer(ctx, tx, ev, cs.Customer.ID)
	if err != nil || userID == 0 {
		return 0, err
	}
	// The session names its plan (set at checkout); the subscription
	// events that follow carry the exact state.
	plan := cs.Metadata["plan"]
	price := ""
	for _, p := range s.cfg.Plans {
		if p.Name == plan && p.Price != "" {
			price = p.Price
		}
	}
	if price == "" {
		plan = ""
	}
	status := "incomplete"
	if cs.PaymentStatus == stripe.CheckoutSessionPaymentStatusPaid || cs.PaymentStatus == stripe.CheckoutSessionPaymentStatusNoPaymentRequired {
		status = "active"
	}
	return userID, s.upsert(ctx, tx, ev, subscriptionRow{
		id: cs.Subscription.ID, userID: userID, customer: cs.Customer.ID, plan: plan, price: price, status: status,
	}, true)
}

func (s *Service) subscriptionChanged(ctx context.Context, tx *sql.Tx, ev stripe.Event, sub *stripe.Subscription) (int64, error) {
	if sub.Customer == nil {
		return 0, nil
	}
	userID, err := s.userOfCustomer(ctx, tx, ev, sub.Customer.ID)
	if err != nil || userID == 0 {
		return 0, err
	}
	row := subscriptionRow{id: sub.ID, userID: userID, customer: sub.Customer.ID, status: string(sub.Status), cancelAtEnd: sub.CancelAtPeriodEnd}
	if sub.Items != nil && len(sub.Items.Data) > 0 {
		item := sub.Items.Data[0]
		row.periodEnd = item.CurrentPeriodEnd
		if item.Price != nil {
			row.price = item.Price.ID
			if p, ok := s.cfg.Plans.ByPrice(row.price); ok {
				row.plan = p.Name
			} else {
				s.log.WarnContext(ctx, "subscription to a price no plan names (STRIPE_PLANS)", "event_id", ev.ID, "price", row.price)
			}
		}
	}
	if ev.Type == "customer.subscription.deleted" {
		row.status = string(stripe.SubscriptionStatusCanceled)
	}
	return userID, s.upsert(ctx, tx, ev, row, false)
}

func (s *Service) invoiceSettled(ctx context.Context, tx *sql.Tx, ev stripe.Event, inv *stripe.Invoice) (int64, error) {
	if inv.Parent == nil || inv.Parent.SubscriptionDetails == nil || inv.Parent.SubscriptionDetails.Subscription == nil {
		return 0, nil
	}
	status := "paid"
	if ev.Type == "invoice.payment_failed" {
		status = "failed"
	}
	var userID int64
	err := tx.QueryRowContext(ctx,
		`UPDATE billing_subscriptions SET payment_status = $1, invoice_event_created = $2, updated_at = $3
		 WHERE subscription_id = $4 AND invoice_event_created <= $2 RETURNING user_id`,
		status, ev.Created, s.now().Unix(), inv.Parent.SubscriptionDetails.Subscription.ID).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // unknown subscription, or a newer invoice event already applied
	}
	return userID, err
}

type subscriptionRow struct {
	id, customer, plan, price, status string
	userID, periodEnd                 int64
	cancelAtEnd                       bool
}

// upsert writes r unless the stored row came from a newer event. A
// checkout (partial) keeps the period and cancellation it does not know.
func (s *Service) upsert(ctx context.Context, tx *sql.Tx, ev stripe.Event, r subscriptionRow, partial bool) error {
	set := `plan = excluded.plan, price_id = excluded.price_id, status = excluded.status,
		current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end,`
	if partial {
		set = `plan = excluded.plan, price_id = excluded.price_id, status = excluded.status,`
	}
	_, err := tx.ExecContext(ctx,
		`INSERT INTO billing_subscriptions
		   (subscription_id, user_id, customer_id, plan, price_id, status, current_period_end, cancel_at_period_end, event_created, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		 ON CONFLICT (subscription_id) DO UPDATE SET `+set+`
		   event_created = excluded.event_created, updated_at = excluded.updated_at
		 WHERE billing_subscriptions.event_created <= excluded.event_created`,
		r.id, r.userID, r.customer, r.plan, r.price, r.status, r.periodEnd, r.cancelAtEnd, ev.Created, s.now().Unix())
	return err
}

// PurgeEvents deletes the processed webhook ids older than a week (Stripe
// retries a delivery for three days); a jobs cleanup task.
func (s *Service) PurgeEvents(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM billing_webhook_events WHERE processed_at < $1`, s.now().Add(-7*24*time.Hour).Unix())
	if err != nil {
		return 0, fmt.Errorf("purge webhook events: %w", err)
	}
	return res.RowsAffected()
}
