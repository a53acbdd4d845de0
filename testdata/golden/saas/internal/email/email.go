// Package email sends the service's transactional email: one Mailer over
// the provider chosen when the service was generated, messages built from
// templates embedded in the binary (see Compose), and checks that keep
// user input out of the headers.
//
// Errors say whether trying again may help (Retryable): a malformed
// message (ErrInvalid) or credentials the provider refuses never will; a
// provider that is down or rate-limits may.
package email

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Message is one email. From and ReplyTo are "Name <addr>" or a bare
// address; a Mailer made by WithDefaults fills them when empty. It is plain
// data (JSON-encodable), so a queue can carry it.
type Message struct {
	From    string `json:"from,omitempty"`
	To      string `json:"to"`
	ReplyTo string `json:"reply_to,omitempty"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
}

// Mailer sends email.
type Mailer interface {
	// Send hands m to the provider. It returns an error wrapping ErrInvalid
	// for a message that can never be sent (checked before anything goes
	// out), a *SendError for a refusal or failure of the provider, or the
	// error of the connection. Retryable tells them apart.
	Send(ctx context.Context, m Message) error
}

// ErrInvalid is wrapped by the errors of messages that cannot be sent:
// missing fields, malformed addresses, line breaks in a header.
var ErrInvalid = errors.New("email: invalid message")

// Validate checks m before it is sent. A CR or LF in an address or the
// subject is refused: it would let the text after it become a header of
// its own (Bcc: ...), since providers and SMTP build headers from them.
func (m Message) Validate() error {
	for _, h := range []struct{ name, value string }{
		{"from", m.From}, {"to", m.To}, {"reply-to", m.ReplyTo}, {"subject", m.Subject},
	} {
		if err := CheckHeader(h.value); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalid, h.name, err)
		}
	}
	if m.To == "" || m.From == "" || m.Subject == "" {
		return fmt.Errorf("%w: to, from and subject are required", ErrInvalid)
	}
	if m.Text == "" && m.HTML == "" {
		return fmt.Errorf("%w: no body", ErrInvalid)
	}
	for _, a := range []struct{ name, value string }{{"from", m.From}, {"to", m.To}, {"reply-to", m.ReplyTo}} {
		if a.value == "" {
			continue
		}
		if _, err := mail.ParseAddress(a.value); err != nil {
			return fmt.Errorf("%w: %s: %q is not an email address", ErrInvalid, a.name, a.value)
		}
	}
	return nil
}

// CheckHeader refuses a header value with a line break (CR, LF) or
// another control character.
func CheckHeader(v string) error {
	if strings.ContainsAny(v, "\r\n") {
		return errors.New("contains a line break")
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
		return errors.New("contains a control character")
	}
	return nil
}

// Address is a bare email address (ada@example.com, no display name),
// checked when the configuration is read (EMAIL_FROM, EMAIL_REPLY_TO).
type Address string

// UnmarshalText lets configuration parse an Address.
func (a *Address) UnmarshalText(b []byte) error {
	s := string(b)
	if err := CheckHeader(s); err != nil {
		return err
	}
	if p, err := mail.ParseAddress(s); err != nil || p.Address != s || p.Name != "" {
		return fmt.Errorf("%q is not a bare email address such as no-reply@example.com", s)
	}
	*a = Address(s)
	return nil
}

// addressOf splits a checked From, To or ReplyTo into name and address.
func addressOf(s string) (name, addr string) {
	p, err := mail.ParseAddress(s)
	if err != nil { // Validate ran first; keep the text as it is
		return "", s
	}
	return p.Name, p.Address
}

// SendError is a provider's refusal or failure to take a message.
type SendError struct {
	Provider string // "resend", "sendgrid" or "smtp"
	// Status is the provider's HTTP status or SMTP reply code; 0 when none
	// came back (the connection failed).
	Status int
	// Temporary says a later attempt may succeed (rate limit, outage).
	Temporary bool
	Err       error // never holds the API key or password
}

// Error implements the error interface.
func (e *SendError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("email: %s: %v", e.Provider, e.Err)
	}
	return fmt.Sprintf("email: %s: status %d: %v", e.Provider, e.Status, e.Err)
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

// Retryable reports whether sending again later may succeed: not for an
// invalid message nor a permanent refusal (bad credentials, a rejected
// recipient), but for a temporary one (429, 5xx, SMTP 4xx) and for errors
// of the connection, timeouts included.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, ErrInvalid) || errors.Is(err, context.Canceled) {
		return false
	}
	if se, ok := errors.AsType[*SendError](err); ok {
		return se.Temporary
	}
	return true
}

// temporaryStatus says which HTTP statuses of a provider are worth a retry:
// timeouts, rate limits and server errors. 400, 401, 403, 422 are not:
// the same request fails the same way.
func temporaryStatus(code int) bool {
	return code == 0 || code == 408 || code == 409 || code == 429 || code >= 500
}

// redact removes secret (an API key, a password) from a provider's error
// text, which may quote what it was sent.
func redact(text, secret string) string {
	if secret == "" {
		return text
	}
	return strings.ReplaceAll(text, secret, "[redacted]")
}

// Defaults are what WithDefaults adds to every message.
type Defaults struct {
	From    string        // used when Message.From is empty
	ReplyTo string        // used when Message.ReplyTo is empty; "" for none
	Timeout time.Duration // bounds each Send; 0 for none
}

// WithDefaults returns a Mailer that fills From and ReplyTo from d, checks
// the message (before anything is sent) and bounds the attempt by
// d.Timeout, then hands it to next.
func WithDefaults(next Mailer, d Defaults) Mailer { return defaults{next: next, d: d} }

type defaults struct {
	next Mailer
	d    Defaults
}

func (s defaults) Send(ctx context.Context, m Message) error {
	if m.From == "" {
		m.From = s.d.From
	}
	if m.ReplyTo == "" {
		m.ReplyTo = s.d.ReplyTo
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if s.d.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.d.Timeout)
		defer cancel()
	}
	return s.next.Send(ctx, m)
}
