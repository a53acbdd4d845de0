package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// SMTPConfig is how to reach an SMTP server (SMTP_*).
type SMTPConfig struct {
	Host               string
	Port               int
	Username, Password string // no authentication when Username is empty
	// TLS is "starttls" (the server must offer STARTTLS; nothing is sent
	// otherwise), "tls" (implicit TLS, usually port 465) or "off" (plain
	// text, for a local catcher only).
	TLS string
	// TLSConfig verifies the server; nil uses the system's roots and Host.
	// Tests set their own.
	TLSConfig *tls.Config
}

// SMTP sends email through an SMTP server with go-mail, one connection
// per message.
type SMTP struct {
	cfg  SMTPConfig
	opts []gomail.Option
}

var _ Mailer = (*SMTP)(nil)

// NewSMTP returns a Mailer for the server of cfg.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" || cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("email: smtp: host %q port %d: want a host and a port from 1 to 65535", cfg.Host, cfg.Port)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = cfg.Host
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTLSConfig(tc)}
	switch cfg.TLS {
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "off":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("email: smtp: TLS %q is not one of starttls, tls, off", cfg.TLS)
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	return &SMTP{cfg: cfg, opts: opts}, nil
}

// Send implements Mailer: a text part and, when m has one, an HTML
// alternative (multipart/alternative).
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	msg := gomail.NewMsg()
	fromName, fromAddr := addressOf(m.From)
	_, toAddr := addressOf(m.To)
	if err := errors.Join(msg.FromFormat(fromName, fromAddr), msg.To(toAddr)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return fmt.Errorf("%w: reply-to: %w", ErrInvalid, err)
		}
	}
	msg.Subject(m.Subject)
	if m.Text != "" {
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		if m.HTML != "" {
			msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
		}
	} else {
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}

	c, err := gomail.NewClient(s.cfg.Host, s.opts...)
	if err != nil {
		return fmt.Errorf("email: smtp: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return s.sendError(err)
	}
	return nil
}

// sendError classifies a failure: the server's reply code says whether it
// is temporary (4xx) or permanent (5xx); a failed connection or TLS
// handshake is temporary, except a server without STARTTLS when it is
// required, which stays so until someone changes the server or SMTP_TLS.
func (s *SMTP) sendError(err error) error {
	se := &SendError{Provider: "smtp", Temporary: true, Err: errors.New(redact(err.Error(), s.cfg.Password))}
	if e, ok := errors.AsType[*gomail.SendError](err); ok {
		se.Status = e.ErrorCode()
		se.Temporary = e.IsTemp()
		if se.Status >= 400 && se.Status < 500 {
			se.Temporary = true
		}
	}
	// go-mail has no sentinel for it; TestSMTPRequiresSTARTTLS pins the text.
	if strings.Contains(err.Error(), "does not support STARTTLS") || errors.Is(err, context.Canceled) {
		se.Temporary = false
	}
	return se
}
