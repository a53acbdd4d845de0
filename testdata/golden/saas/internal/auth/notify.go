package auth

import (
	"context"
	"log/slog"
)

// Kinds of Message.
const (
	KindVerifyEmail   = "verify_email"   // Token verifies the address
	KindPasswordReset = "password_reset" // Token resets the password
	KindAccountExists = "account_exists" // someone tried to register with this address
)

// Message is something to tell a user out of band, usually by email.
type Message struct {
	Kind   string
	To     string
	UserID int64
	Token  string // secret: never log it outside development
}

// Notifier delivers Messages. An email feature provides one that sends
// them; LogNotifier stands in without one.
type Notifier interface {
	Notify(ctx context.Context, m Message) error
}

// LogNotifier logs Messages instead of sending them. With ShowTokens (in
// development only) the token is logged too, so you can finish a reset or
// verification by hand; otherwise it is left out.
type LogNotifier struct {
	Log        *slog.Logger
	ShowTokens bool
}

// Notify implements Notifier.
func (n LogNotifier) Notify(ctx context.Context, m Message) error {
	attrs := []any{"kind", m.Kind, "user_id", m.UserID}
	if n.ShowTokens {
		attrs = append(attrs, "to", m.To, "token", m.Token)
		n.Log.InfoContext(ctx, "auth message (development: not sent)", attrs...)
		return nil
	}
	n.Log.WarnContext(ctx, "auth message not sent: no email feature configured", attrs...)
	return nil
}
