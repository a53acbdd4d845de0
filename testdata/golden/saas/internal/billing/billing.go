// Package billing is the service's side of Stripe: customers linked to
// users, Checkout and Customer Portal sessions, the plan each user is on
// (kept in the database from verified webhooks, never fetched per
// request), and usage events reported to Stripe's billing meters.
package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v85"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/users"
)

// Config is what the service needs, from the STRIPE_* variables.
type Config struct {
	SecretKey       string   // empty: not configured, the endpoints answer 503
	WebhookSecrets  []string // endpoint signing secrets; several while rolling one
	Plans           Plans
	SuccessURL      string
	CancelURL       string
	PortalReturnURL string
	APIBase         string // empty: Stripe's own API
	WebhookMaxBytes int64  // 0: 65536
	UsageBatch      int    // 0: 100
	HTTPClient      *http.Client
	// OnPlanChange runs in the transaction of every webhook that may
	// have changed a user's plan, with the plan the user is on after it
	// (feature-flags keeps the users' plan column with it).
	OnPlanChange func(ctx context.Context, tx *sql.Tx, userID int64, plan string) error
}

// Service is billing. It is safe for concurrent use.
type Service struct {
	db    *sql.DB
	cfg   Config
	sc    *stripe.Client // nil without a secret key
	log   *slog.Logger
	now   func() time.Time
	modes sync.Map // price id → checkout mode, "subscription" or "payment"
}

// ErrNotConfigured answers every billing call of a server without
// STRIPE_SECRET_KEY.
var ErrNotConfigured = apperr.Errorf(apperr.Unavailable, "Billing is not configured on this server.")

// errStripe is what a caller sees of a failed Stripe call; the details
// are logged.
var errStripe = apperr.Errorf(apperr.Unavailable, "Stripe could not be reached or refused the request; retry later.")

// New returns the billing service over db and writes cfg.Plans into the
// plans table.
func New(ctx context.Context, db *sql.DB, cfg Config, log *slog.Logger) (*Service, error) {
	if cfg.WebhookMaxBytes <= 0 {
		cfg.WebhookMaxBytes = 65536
	}
	if cfg.UsageBatch <= 0 {
		cfg.UsageBatch = 100
	}
	s := &Service{db: db, cfg: cfg, log: log, now: time.Now}
	if cfg.SecretKey != "" {
		s.sc = NewClient(cfg.SecretKey, cfg.APIBase, cfg.HTTPClient)
	}
	if err := s.syncPlans(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// NewClient returns a Stripe client with key, on base (empty: Stripe's
// API), that retries network failures twice and logs nothing itself.
func NewClient(key, base string, hc *http.Client) *stripe.Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	retries := int64(2)
	bc := &stripe.BackendConfig{
		HTTPClient:        hc,
		MaxNetworkRetries: &retries,
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if base != "" {
		bc.URL = &base
	}
	return stripe.NewClient(key, stripe.WithBackends(stripe.NewBackendsWithConfig(bc)))
}

// Configured reports whether a secret key is set.
func (s *Service) Configured() bool { return s.sc != nil }

// Plans returns the configured plans, lowest first.
func (s *Service) Plans() Plans { return s.cfg.Plans }

func (s *Service) syncPlans(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("billing plans: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `DELETE FROM billing_plans`); err != nil {
		return fmt.Errorf("billing plans: %w", err)
	}
	for i, p := range s.cfg.Plans {
		if _, err := tx.ExecContext(ctx, `INSERT INTO billing_plans (name, price_id, rank) VALUES ($1, $2, $3)`, p.Name, p.Price, i); err != nil {
			return fmt.Errorf("billing plans: %w", err)
		}
	}
	return tx.Commit()
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// live are the subscription statuses that give their plan: Stripe keeps
// past_due subscriptions while it retries the payment.
const live = `status IN ('active', 'trialing', 'past_due')`

// PlanOf returns the plan of the user with id: that of their newest live
// subscription, else the default plan (Plans.Default). It implements the
// feature flags' PlanSource.
func (s *Service) PlanOf(ctx context.Context, userID int64) (string, error) {
	return s.planOf(ctx, s.db, userID)
}

func (s *Service) planOf(ctx context.Context, q querier, userID int64) (string, error) {
	var plan string
	err := q.QueryRowContext(ctx,
		`SELECT plan FROM billing_subscriptions WHERE user_id = $1 AND `+live+` AND plan <> ''
		 ORDER BY event_created DESC, subscription_id LIMIT 1`, userID).Scan(&plan)
	if errors.Is(err, sql.ErrNoRows) {
		return s.cfg.Plans.Default(), nil
	}
	if err != nil {
		return "", fmt.Errorf("plan of user %d: %w", userID, err)
	}
	return plan, nil
}

// HasPlan reports whether the user with id is on plan or a higher one.
func (s *Service) HasPlan(ctx context.Context, userID int64, plan string) (bool, error) {
	current, err := s.PlanOf(ctx, userID)
	if err != nil {
		return false, err
	}
	r := s.cfg.Plans.Rank(current)
	return r >= 0 && r >= s.cfg.Plans.Rank(plan), nil
}

// State is a user's billing as the service knows it.
type State struct {
	Plan              string
	Status            string // the subscription's Stripe status; "" without one
	SubscriptionID    string
	PriceID           string
	CurrentPeriodEnd  time.Time // zero when unknown
	CancelAtPeriodEnd bool
	PaymentStatus     string // the last invoice: "", paid or failed
	CustomerID        string
}

// StateOf returns the billing state of the user with id: the newest live
// subscription, or the newest of any status when none is live.
func (s *Service) StateOf(ctx context.Context, userID int64) (State, error) {
	var st State
	var end int64
	err := s.db.QueryRowContext(ctx,
		`SELECT subscription_id, plan, price_id, status, current_period_end, cancel_at_period_end, payment_status
		 FROM billing_subscriptions WHERE user_id = $1
		 ORDER BY CASE WHEN `+live+` THEN 0 ELSE 1 END, event_created DESC, subscription_id LIMIT 1`, userID).
		Scan(&st.SubscriptionID, &st.Plan, &st.PriceID, &st.Status, &end, &st.CancelAtPeriodEnd, &st.PaymentStatus)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return State{}, fmt.Errorf("billing state of user %d: %w", userID, err)
	}
	if end > 0 {
		st.CurrentPeriodEnd = time.Unix(end, 0).UTC()
	}
	if st.Plan, err = s.PlanOf(ctx, userID); err != nil {
		return State{}, err
	}
	if st.CustomerID, err = s.customerOf(ctx, userID); err != nil {
		return State{}, err
	}
	return st, nil
}

func (s *Service) customerOf(ctx context.Context, userID int64) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT customer_id FROM billing_customers WHERE user_id = $1`, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("customer of user %d: %w", userID, err)
	}
	return id, nil
}

// Customer returns the Stripe customer of u, creating it first. The
// creation's idempotency key is derived from the user, so two concurrent
// first checkouts make one customer at Stripe.
func (s *Service) Customer(ctx context.Context, u users.User) (string, error) {
	if s.sc == nil {
		return "", ErrNotConfigured
	}
	if id, err := s.customerOf(ctx, u.ID); err != nil || id != "" {
		return id, err
	}
	params := &stripe.CustomerCreateParams{Email: stripe.String(u.Email)}
	params.AddMetadata("user_id", strconv.FormatInt(u.ID, 10))
	params.SetIdempotencyKey(fmt.Sprintf("customer-for-user-%d-%d", u.ID, u.CreatedAt.Unix()))
	c, err := s.sc.V1Customers.Create(ctx, params)
	if err != nil {
		return "", s.stripeError(ctx, "create customer", err)
	}
	if _, err := s.db.ExecContext(ctx,
		`INSERT INTO billing_customers (user_id, customer_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		u.ID, c.ID, s.now().Unix()); err != nil {
		return "", fmt.Errorf("store customer: %w", err)
	}
	// A concurrent first call may have stored its own (the same, thanks
	// to the idempotency key): the stored one wins.
	return s.customerOf(ctx, u.ID)
}

// Checkout opens a Stripe Checkout session for u to buy quantity of
// price, which must be the price of a configured plan, and returns its
// URL. The mode follows the price: subscription for a recurring one,
// payment otherwise.
func (s *Service) Checkout(ctx context.Context, u users.User, price string, quantity int64) (string, error) {
	if s.sc == nil {
		return "", ErrNotConfigured
	}
	plan, ok := s.cfg.Plans.ByPrice(price)
	if !ok {
		return "", apperr.Field("price", "is not the price of a plan of this service (see GET /billing/plans)")
	}
	if quantity < 1 || quantity > 1000 {
		return "", apperr.Field("quantity", "must be 1 to 1000")
	}
	customer, err := s.Customer(ctx, u)
	if err != nil {
		return "", err
	}
	mode, err := s.modeOf(ctx, price)
	if err != nil {
		return "", err
	}
	uid := strconv.FormatInt(u.ID, 10)
	params := &stripe.CheckoutSessionCreateParams{
		Customer:          stripe.String(customer),
		Mode:              stripe.String(mode),
		ClientReferenceID: stripe.String(uid),
		SuccessURL:        stripe.String(s.cfg.SuccessURL),
		CancelURL:         stripe.String(s.cfg.CancelURL),
		LineItems:         []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(price), Quantity: stripe.Int64(quantity)}},
		Metadata:          map[string]string{"user_id": uid, "plan": plan.Name},
	}
	if mode == string(stripe.CheckoutSessionModeSubscription) {
		params.SubscriptionData = &stripe.CheckoutSessionCreateSubscriptionDataParams{Metadata: map[string]string{"user_id": uid, "plan": plan.Name}}
	}
	cs, err := s.sc.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return "", s.stripeError(ctx, "create checkout session", err)
	}
	return cs.URL, nil
}

func (s *Service) modeOf(ctx context.Context, price string) (string, error) {
	if m, ok := s.modes.Load(price); ok {
		return m.(string), nil
	}
	p, err := s.sc.V1Prices.Retrieve(ctx, price, nil)
	if err != nil {
		return "", s.stripeError(ctx, "retrieve price", err)
	}
	mode := string(stripe.CheckoutSessionModePayment)
	if p.Type == stripe.PriceTypeRecurring || p.Recurring != nil {
		mode = string(stripe.CheckoutSessionModeSubscription)
	}
	s.modes.Store(price, mode)
	return mode, nil
}

// Portal opens a Stripe Customer Portal session for u and returns its URL.
func (s *Service) Portal(ctx context.Context, u users.User) (string, error) {
	if s.sc == nil {
		return "", ErrNotConfigured
	}
	customer, err := s.Customer(ctx, u)
	if err != nil {
		return "", err
	}
	ps, err := s.sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
		Customer:  stripe.String(customer),
		ReturnURL: stripe.String(s.cfg.PortalReturnURL),
	})
	if err != nil {
		return "", s.stripeError(ctx, "create portal session", err)
	}
	return ps.URL, nil
}

// stripeError logs a failed Stripe call (its status, type, code and
// request id: never the key) and returns what the caller may see.
func (s *Service) stripeError(ctx context.Context, what string, err error) error {
	attrs := []any{"op", what}
	if se, ok := errors.AsType[*stripe.Error](err); ok {
		attrs = append(attrs, "status", se.HTTPStatusCode, "type", string(se.Type), "code", string(se.Code), "request_id", se.RequestID)
	} else {
		attrs = append(attrs, "error", err.Error())
	}
	s.log.ErrorContext(ctx, "stripe call failed", attrs...)
	return errStripe
}
