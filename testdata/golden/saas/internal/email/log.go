package email

import (
	"context"
	"log/slog"
)

// LogMailer logs messages instead of sending them: the mailer of a
// development setup with no provider configured. Addresses and subject are
// logged at info, the bodies (which hold links with tokens) only at debug.
type LogMailer struct {
	Log *slog.Logger
}

var _ Mailer = LogMailer{}

// Send implements Mailer.
func (l LogMailer) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	l.Log.InfoContext(ctx, "email not sent: no provider configured (development)", "to", m.To, "from", m.From, "subject", m.Subject)
	l.Log.DebugContext(ctx, "email body", "to", m.To, "text", m.Text, "html", m.HTML)
	return nil
}
