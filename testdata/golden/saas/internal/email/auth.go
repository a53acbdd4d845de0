package email

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"example.com/myapp/internal/auth"
)

// AuthNotifier sends the built-in sign-in's messages (verification,
// password reset, registration with a taken address) as email, with links
// to the pages of Pages.
type AuthNotifier struct {
	Mailer Mailer
	App    string // the service's name, shown in the messages
	// LinkBase is the public URL the links start with (EMAIL_LINK_BASE_URL).
	LinkBase string
}

var _ auth.Notifier = AuthNotifier{}

// Notify implements auth.Notifier. The message is sent even when the
// request that caused it ends first (the client went away): the token is
// already issued.
func (n AuthNotifier) Notify(ctx context.Context, m auth.Message) error {
	var kind, page string
	switch m.Kind {
	case auth.KindVerifyEmail:
		kind, page = KindVerifyEmail, "/verify-email"
	case auth.KindPasswordReset:
		kind, page = KindPasswordReset, "/reset-password"
	case auth.KindAccountExists:
		kind, page = KindAccountExists, "/reset-password" // the page asks for an address when there is no token
	default:
		return fmt.Errorf("%w: unknown auth message %q", ErrInvalid, m.Kind)
	}
	link, err := url.JoinPath(n.LinkBase, page)
	if err != nil {
		return fmt.Errorf("email: link base %q: %w", n.LinkBase, err)
	}
	if m.Token != "" {
		link += "?" + url.Values{"token": {m.Token}}.Encode()
	}
	msg, err := Compose(kind, m.To, Data{App: n.App, Link: link})
	if err != nil {
		return err
	}
	if n.Mailer == nil {
		return errors.New("email: AuthNotifier has no Mailer")
	}
	return n.Mailer.Send(context.WithoutCancel(ctx), msg)
}
