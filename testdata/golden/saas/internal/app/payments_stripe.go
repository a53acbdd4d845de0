package app

import (
	"context"
	"net/http"
	"time"

	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/jobs"
)

// wirePaymentsStripe adds billing: the /billing endpoints, the Stripe
// webhook (a plain handler: it needs the raw body), the usage reporter
// and the purge of old webhook ids as jobs. The plan each webhook
// leaves a user on is written to the users' plan column in the same
// transaction, so plan_based feature flags follow the subscriptions.
func (a *App) wirePaymentsStripe(ctx context.Context, w *wiring) error {
	cfg := a.cfg
	bc := billing.Config{
		SecretKey:       cfg.StripeSecretKey,
		WebhookSecrets:  cfg.StripeWebhookSecret,
		Plans:           cfg.StripePlans,
		SuccessURL:      cfg.StripeSuccessURL,
		CancelURL:       cfg.StripeCancelURL,
		PortalReturnURL: cfg.StripePortalReturnURL,
		APIBase:         cfg.StripeAPIBase,
		WebhookMaxBytes: cfg.StripeWebhookMaxBytes,
		UsageBatch:      cfg.StripeUsageBatch,
		HTTPClient:      &http.Client{Transport: w.transport("stripe", nil), Timeout: 30 * time.Second},
	}
	bc.OnPlanChange = billing.SetUsersPlan
	svc, err := billing.New(ctx, w.db, bc, a.log)
	if err != nil {
		return err
	}
	if !svc.Configured() {
		a.log.WarnContext(ctx, "billing is off: STRIPE_SECRET_KEY is not set; the billing endpoints answer 503")
	} else if len(cfg.StripeWebhookSecret) == 0 {
		a.log.WarnContext(ctx, "the Stripe webhook is off: STRIPE_WEBHOOK_SECRET is not set; plans will not follow subscriptions")
	}
	w.v1.Billing = svc
	w.mux.Handle("POST /api/v1/billing/webhook", svc.Webhook())
	jobs.AddWorker(w.jobs, &billing.ReportUsageWorker{Billing: svc})
	w.jobs.AddPeriodic(cfg.StripeUsageInterval, billing.ReportUsageArgs{})
	w.jobs.AddCleanup("stripe_webhook_events", 6*time.Hour, svc.PurgeEvents)
	return nil
}
