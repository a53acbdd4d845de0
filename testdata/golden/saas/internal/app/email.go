package app

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"example.com/myapp/internal/config"
	"example.com/myapp/internal/email"
	"example.com/myapp/internal/jobs"
)

// useMailer makes m, the provider's Mailer, the service's mailer
// (w.mailer): with the configured sender (EMAIL_FROM, EMAIL_FROM_NAME,
// EMAIL_REPLY_TO), the header checks and EMAIL_SEND_TIMEOUT per attempt.
// A nil m (no provider configured) logs messages instead of sending them,
// outside production; in production it is an error naming setting, the
// provider's variable (SMTP_HOST, RESEND_API_KEY, ...), as is a sender
// address at localhost.
//
// With jobs, w.mailer only enqueues: Send checks the message and inserts
// an email_send job, worked by email.SendWorker, which calls the provider
// and retries with backoff while email.Retryable says so. The caller never
// waits for the provider.
func (a *App) useMailer(w *wiring, setting string, m email.Mailer) error {
	if err := mailerSetupError(a.cfg, setting, m != nil); err != nil {
		return err
	}
	if m == nil {
		a.log.Info("email: no provider configured, emails are logged and not sent", "set", setting)
		m = email.LogMailer{Log: a.log}
	}
	from := mail.Address{Name: a.cfg.EmailFromName, Address: string(a.cfg.EmailFrom)}
	defaults := email.Defaults{
		From:    from.String(),
		ReplyTo: string(a.cfg.EmailReplyTo),
		Timeout: a.cfg.EmailSendTimeout,
	}
	// The worker holds the provider; wireJobsClient builds the river client
	// after this step, so registering here is in time.
	jobs.AddWorker(w.jobs, &email.SendWorker{Mailer: email.WithDefaults(m, defaults), SendTimeout: a.cfg.EmailSendTimeout, Log: a.log})
	w.mailer = email.Queue{Jobs: w.jobs, Defaults: defaults}

	// The built-in sign-in's verification and reset emails, and the pages
	// their links open.
	w.v1.Auth.SetNotifier(email.AuthNotifier{Mailer: w.mailer, App: Name, LinkBase: a.cfg.EmailLinkBaseURL})
	email.RegisterPages(w.mux, w.v1.Auth, Name, a.log)
	return nil
}

// mailerSetupError is useMailer's check of the settings: in production a
// provider must be configured (setting names its variable) and the sender
// must not be at localhost, the development default.
func mailerSetupError(cfg config.Config, setting string, configured bool) error {
	if cfg.Env != config.Production {
		return nil
	}
	if !configured {
		return fmt.Errorf("%s: required in production (without it emails are only logged)", setting)
	}
	if strings.HasSuffix(string(cfg.EmailFrom), "@localhost") {
		return errors.New("EMAIL_FROM: set a sender address of your own domain in production")
	}
	return nil
}
