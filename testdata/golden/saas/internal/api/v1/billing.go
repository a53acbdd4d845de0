package v1

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/users"
)

// billingHandlers serve /billing for the signed-in user. Changes to
// billing are refused while an admin impersonates the user.
type billingHandlers struct {
	svc *billing.Service
}

// caller returns the signed-in user, or 503 when billing is off.
func (h billingHandlers) caller(ctx context.Context, change bool) (users.User, error) {
	if h.svc == nil || !h.svc.Configured() {
		return users.User{}, httpx.HumaError(ctx, billing.ErrNotConfigured)
	}
	if change {
		if err := users.ForbidWhileImpersonating(ctx); err != nil {
			return users.User{}, httpx.HumaError(ctx, err)
		}
	}
	u, ok := users.FromContext(ctx)
	if !ok {
		return users.User{}, httpx.HumaError(ctx, apperr.Errorf(apperr.Unauthorized, "Authentication required."))
	}
	return u, nil
}

type billingCheckoutInput struct {
	Body struct {
		Price    string `json:"price" minLength:"1" maxLength:"255" doc:"The Stripe price id of a plan (GET /billing/plans)"`
		Quantity int64  `json:"quantity,omitempty" minimum:"1" maximum:"1000" default:"1" doc:"How many (seats); 1 when absent"`
	}
}

type billingSessionOutput struct {
	Body struct {
		URL string `json:"url" doc:"Where to send the user's browser (a Stripe-hosted page)"`
	}
}

func (h billingHandlers) checkout(ctx context.Context, in *billingCheckoutInput) (*billingSessionOutput, error) {
	u, err := h.caller(ctx, true)
	if err != nil {
		return nil, err
	}
	q := in.Body.Quantity
	if q == 0 {
		q = 1
	}
	url, err := h.svc.Checkout(ctx, u, in.Body.Price, q)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &billingSessionOutput{}
	out.Body.URL = url
	return out, nil
}

func (h billingHandlers) portal(ctx context.Context, _ *struct{}) (*billingSessionOutput, error) {
	u, err := h.caller(ctx, true)
	if err != nil {
		return nil, err
	}
	url, err := h.svc.Portal(ctx, u)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &billingSessionOutput{}
	out.Body.URL = url
	return out, nil
}

// BillingSubscription is the caller's billing.
type BillingSubscription struct {
	Plan              string     `json:"plan" doc:"The plan the user is on (the default plan without a live subscription)"`
	Status            string     `json:"status" doc:"Stripe's subscription status (active, trialing, past_due, canceled, ...); empty without a subscription"`
	CurrentPeriodEnd  *time.Time `json:"current_period_end,omitempty" doc:"When the paid period ends"`
	CancelAtPeriodEnd bool       `json:"cancel_at_period_end" doc:"Whether the subscription ends then"`
	PaymentStatus     string     `json:"payment_status" doc:"The last invoice: paid, failed, or empty"`
	HasCustomer       bool       `json:"has_customer" doc:"Whether a Stripe customer exists for the user"`
}

type billingSubscriptionOutput struct {
	Body BillingSubscription
}

func (h billingHandlers) subscription(ctx context.Context, _ *struct{}) (*billingSubscriptionOutput, error) {
	u, err := h.caller(ctx, false)
	if err != nil {
		return nil, err
	}
	st, err := h.svc.StateOf(ctx, u.ID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &billingSubscriptionOutput{Body: BillingSubscription{
		Plan: st.Plan, Status: st.Status, CancelAtPeriodEnd: st.CancelAtPeriodEnd,
		PaymentStatus: st.PaymentStatus, HasCustomer: st.CustomerID != "",
	}}
	if !st.CurrentPeriodEnd.IsZero() {
		out.Body.CurrentPeriodEnd = &st.CurrentPeriodEnd
	}
	return out, nil
}

// BillingPlan is one configured plan.
type BillingPlan struct {
	Name  string `json:"name"`
	Price string `json:"price" doc:"The Stripe price id to check out; empty for the plan of users without a subscription"`
}

type billingPlansOutput struct {
	Body struct {
		Plans []BillingPlan `json:"plans" doc:"Lowest first"`
	}
}

func (h billingHandlers) plans(ctx context.Context, _ *struct{}) (*billingPlansOutput, error) {
	if _, err := h.caller(ctx, false); err != nil {
		return nil, err
	}
	out := &billingPlansOutput{}
	out.Body.Plans = []BillingPlan{}
	for _, p := range h.svc.Plans() {
		out.Body.Plans = append(out.Body.Plans, BillingPlan{Name: p.Name, Price: p.Price})
	}
	return out, nil
}

// BillingMeterUsage is the caller's usage of one meter in the current period.
type BillingMeterUsage struct {
	Meter    string `json:"meter"`
	Quantity int64  `json:"quantity"`
	Reported int64  `json:"reported" doc:"Of quantity, what Stripe has accepted so far"`
}

type billingUsageOutput struct {
	Body struct {
		Since time.Time           `json:"since" doc:"Start of the current period"`
		Usage []BillingMeterUsage `json:"usage"`
	}
}

func (h billingHandlers) usage(ctx context.Context, _ *struct{}) (*billingUsageOutput, error) {
	u, err := h.caller(ctx, false)
	if err != nil {
		return nil, err
	}
	since, rows, err := h.svc.Usage(ctx, u.ID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &billingUsageOutput{}
	out.Body.Since = since
	out.Body.Usage = []BillingMeterUsage{}
	for _, r := range rows {
		out.Body.Usage = append(out.Body.Usage, BillingMeterUsage{Meter: r.Meter, Quantity: r.Quantity, Reported: r.Reported})
	}
	return out, nil
}

// RequirePlan is route middleware for after the auth guard: it admits a
// user on plan or a higher one (STRIPE_PLANS order) and answers others 402
// with the plan needed. Use it as
//
//	secured(op(...), authed), then o.Middlewares = append(o.Middlewares, RequirePlan(api, d.Billing, "pro"))
func RequirePlan(api huma.API, svc *billing.Service, plan string) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		u, ok := users.FromContext(ctx.Context())
		if !ok {
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "Authentication required.")
			return
		}
		if svc == nil {
			_ = huma.WriteErr(api, ctx, http.StatusServiceUnavailable, "Billing is not configured on this server.")
			return
		}
		has, err := svc.HasPlan(ctx.Context(), u.ID, plan)
		if err != nil {
			httpx.Logger(ctx.Context()).ErrorContext(ctx.Context(), "plan check failed", "error", err)
			_ = huma.WriteErr(api, ctx, http.StatusServiceUnavailable, "The plan could not be checked; retry later.")
			return
		}
		if !has {
			_ = huma.WriteErr(api, ctx, http.StatusPaymentRequired, "This needs the "+plan+" plan; see POST /api/v1/billing/checkout.")
			return
		}
		next(ctx)
	}
}
