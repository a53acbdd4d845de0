package app

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"example.com/myapp/internal/config"
	"example.com/myapp/internal/email"
)

// useMailer makes m, the provider's Mailer, the service's mailer
// (w.mailer): with the configured sender (EMAIL_FROM, EMAIL_FROM_NAME,
// EMAIL_REPLY_TO), the header checks and EMAIL_SEND_TIMEOUT per attempt.
// A nil m (no provider configured) logs messages instead of sending them,
// outside production; in production it is an error naming setting, the
// provider's variable (SMTP_HOST, RESEND_API_KEY, ...), as is a sender
// address at localhost.
//
// Sending is direct: the caller waits for the provider. A queue that
// retries in the background wraps w.mailer here (a Mailer whose Send
// enqueues the Message, worked by a job that calls the Mailer built here
// and retries while email.Retryable says so).
func (a *App) useMailer(w *wiring, setting string, m email.Mailer) error {
	production := a.cfg.Env == config.Production
	switch {
	case m == nil && production:
		return fmt.Errorf("%s: required in production (without it emails are only logged)", setting)
	case m == nil:
		a.log.Info("email: no provider configured, emails are logged and not sent", "set", setting)
		m = email.LogMailer{Log: a.log}
	case production && strings.HasSuffix(string(a.cfg.EmailFrom), "@localhost"):
		return errors.New("EMAIL_FROM: set a sender address of your own domain in production")
	}
	from := mail.Address{Name: a.cfg.EmailFromName, Address: string(a.cfg.EmailFrom)}
	w.mailer = email.WithDefaults(m, email.Defaults{
		From:    from.String(),
		ReplyTo: string(a.cfg.EmailReplyTo),
		Timeout: a.cfg.EmailSendTimeout,
	})

	// The built-in sign-in's verification and reset emails, and the pages
	// their links open.
	w.v1.Auth.SetNotifier(email.AuthNotifier{Mailer: w.mailer, App: Name, LinkBase: a.cfg.EmailLinkBaseURL})
	email.RegisterPages(w.mux, w.v1.Auth, Name, a.log)
	return nil
}
