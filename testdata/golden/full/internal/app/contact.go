package app

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"time"

	"example.com/myapp/internal/audit"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/contact"
	"example.com/myapp/internal/email"
	"example.com/myapp/internal/jobs"
	"example.com/myapp/internal/security"
	"example.com/myapp/internal/webhook"
)

// wireContact serves the contact form. Each stored message is emailed to
// ADMIN_EMAIL and confirmed to its sender, and posted to CONTACT_WEBHOOK_URL
// when set, signed per Standard Webhooks through the SSRF-guarded client.
// Both are jobs inserted in the transaction that stores the message: no
// message, no email or webhook; the webhook job retries for days.
func (a *App) wireContact(_ context.Context, w *wiring) error {
	if err := contactSetupError(a.cfg); err != nil {
		return err
	}
	key := []byte(a.cfg.ContactFormSecret)
	if len(key) == 0 {
		key = security.RandomBytes(32)
		a.log.Warn("contact: CONTACT_FORM_SECRET is empty, so form tokens are signed with a random key of this process: they die with it and other instances refuse them")
	}
	cfg := contact.Config{
		DB:             w.db,
		Key:            key,
		MinAge:         time.Duration(a.cfg.ContactMinSeconds) * time.Second,
		Limit:          a.cfg.ContactRateLimit,
		RequireSubject: a.cfg.ContactRequireSubject,
		RequirePhone:   a.cfg.ContactRequirePhone,
	}
	// Status changes are written to the audit log in their transaction.
	cfg.Recorder = func(ctx context.Context, tx *sql.Tx, sub contact.Submission, before contact.Status) error {
		return w.audit.Record(ctx, tx, audit.Entry{
			Action: "contact_updated", TargetType: "contact_message", TargetID: strconv.FormatInt(sub.ID, 10),
			Before: map[string]any{"status": string(before)}, After: map[string]any{"status": string(sub.Status)},
		})
	}
	svc, err := contact.New(cfg)
	if err != nil {
		return err
	}
	configured := false

	// The notification emails, through the service's mailer.
	if a.cfg.AdminEmail == "" {
		a.log.Info("contact: ADMIN_EMAIL is empty, so nobody is emailed about new contact messages")
	} else {
		configured = true
	}
	queue, ok := w.mailer.(email.Queue)
	if !ok {
		return errors.New("contact: with jobs the mailer must be an email.Queue")
	}
	svc.OnSubmitTx(func(ctx context.Context, tx *sql.Tx, sub contact.Submission) error {
		msgs, err := contact.Notifications(Name, a.cfg.AdminEmail, a.cfg.ContactSendConfirmation, sub)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if err := queue.SendTx(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})

	// The webhook.
	if a.cfg.ContactWebhookURL != "" {
		configured = true
		client := webhook.NewClient(webhook.Options{
			AllowPrivate: a.cfg.WebhookAllowPrivateNetworks,
			Wrap:         func(rt http.RoundTripper) http.RoundTripper { return w.transport("contact-webhook", rt) },
		})
		url, secrets := a.cfg.ContactWebhookURL, a.cfg.ContactWebhookSecret
		jobs.AddWorker(w.jobs, &contact.WebhookWorker{Contact: svc, Client: client, URL: url, Secrets: secrets, Log: a.log})
		svc.OnSubmitTx(func(ctx context.Context, tx *sql.Tx, sub contact.Submission) error {
			_, err := w.jobs.InsertTx(ctx, tx, contact.WebhookArgs{SubmissionID: sub.ID}, nil)
			return err
		})
	}

	// Posts older than a day only served the limit and the counters.
	w.jobs.AddCleanup("contact_attempts", time.Hour, func(ctx context.Context) (int64, error) {
		return contact.Purge(ctx, w.db, 24*time.Hour)
	})
	w.v1.Contact, w.v1.ContactConfigured = svc, configured
	return nil
}

// contactSetupError is wireContact's check of the settings: in production
// the form key must be set, or every instance would sign with a key of its
// own and the address hashes would change at each restart.
func contactSetupError(cfg config.Config) error {
	if cfg.Env == config.Production && cfg.ContactFormSecret == "" {
		return errors.New("CONTACT_FORM_SECRET: required in production, at least 32 characters (e.g. openssl rand -base64 32)")
	}
	return nil
}
