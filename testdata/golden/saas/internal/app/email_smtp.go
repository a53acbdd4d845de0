package app

import (
	"context"

	"example.com/myapp/internal/email"
)

// wireEmailSMTP sends email through the SMTP server at SMTP_HOST. Without
// one (development) emails are logged instead.
func (a *App) wireEmailSMTP(_ context.Context, w *wiring) error {
	cfg := a.cfg
	if cfg.SMTPHost == "" {
		return a.useMailer(w, "SMTP_HOST", nil)
	}
	m, err := email.NewSMTP(email.SMTPConfig{
		Host: cfg.SMTPHost, Port: int(cfg.SMTPPort), TLS: cfg.SMTPTLS,
		Username: cfg.SMTPUsername, Password: cfg.SMTPPassword,
	})
	if err != nil {
		return err
	}
	return a.useMailer(w, "SMTP_HOST", m)
}
