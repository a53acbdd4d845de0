package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// recorder is a Mailer that keeps what it is given.
type recorder struct {
	got      []Message
	deadline time.Time
	err      error
}

func (r *recorder) Send(ctx context.Context, m Message) error {
	r.got = append(r.got, m)
	r.deadline, _ = ctx.Deadline()
	return r.err
}

func TestValidate(t *testing.T) {
	good := Message{From: `"App" <a@example.com>`, To: "b@example.com", Subject: "Hi", Text: "hello"}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", good, err)
	}
	bad := injected(good)
	for _, f := range []func(*Message){
		func(m *Message) { m.To = "" },
		func(m *Message) { m.From = "" },
		func(m *Message) { m.Subject = "" },
		func(m *Message) { m.Text, m.HTML = "", "" },
		func(m *Message) { m.To = "not an address" },
		func(m *Message) { m.ReplyTo = "a@b@c" },
	} {
		m := good
		f(&m)
		bad = append(bad, m)
	}
	for _, m := range bad {
		if err := m.Validate(); !errors.Is(err, ErrInvalid) || Retryable(err) {
			t.Errorf("Validate(%q) = %v, want ErrInvalid, not retryable", fmt.Sprintf("%+v", m), err)
		}
	}
}

func TestAddress(t *testing.T) {
	for _, s := range []string{"no-reply@example.com", "a.b+c@sub.example.org"} {
		var a Address
		if err := a.UnmarshalText([]byte(s)); err != nil || string(a) != s {
			t.Errorf("UnmarshalText(%q) = %v, %q", s, err, a)
		}
	}
	for _, s := range []string{"", "nobody", "App <a@example.com>", "a@example.com\r\nBcc: x@evil.example", "a@example.com\n"} {
		var a Address
		if err := a.UnmarshalText([]byte(s)); err == nil {
			t.Errorf("UnmarshalText(%q) = nil, want an error", s)
		}
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{fmt.Errorf("%w: to", ErrInvalid), false},
		{&SendError{Provider: "x", Status: 401, Temporary: temporaryStatus(401)}, false},
		{&SendError{Provider: "x", Status: 403, Temporary: temporaryStatus(403)}, false},
		{&SendError{Provider: "x", Status: 422, Temporary: temporaryStatus(422)}, false},
		{&SendError{Provider: "x", Status: 429, Temporary: temporaryStatus(429)}, true},
		{&SendError{Provider: "x", Status: 500, Temporary: temporaryStatus(500)}, true},
		{&SendError{Provider: "x", Status: 503, Temporary: temporaryStatus(503)}, true},
		{fmt.Errorf("send: %w", &SendError{Provider: "x", Temporary: true}), true},
		{context.DeadlineExceeded, true},
		{context.Canceled, false},
		{errors.New("connection reset by peer"), true},
	} {
		if got := Retryable(tc.err); got != tc.want {
			t.Errorf("Retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestWithDefaults(t *testing.T) {
	rec := &recorder{}
	m := WithDefaults(rec, Defaults{From: `"App" <no-reply@example.com>`, ReplyTo: "help@example.com", Timeout: time.Minute})
	if err := m.Send(context.Background(), Message{To: "ada@example.com", Subject: "Hi", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != 1 || rec.got[0].From != `"App" <no-reply@example.com>` || rec.got[0].ReplyTo != "help@example.com" {
		t.Fatalf("sent %+v", rec.got)
	}
	if left := time.Until(rec.deadline); left <= 0 || left > time.Minute {
		t.Errorf("deadline in %s, want within the minute of Timeout", left)
	}
	// An own From wins; header injection never reaches the provider.
	if err := m.Send(context.Background(), Message{From: "me@example.com", To: "ada@example.com", Subject: "Hi", Text: "x"}); err != nil || rec.got[1].From != "me@example.com" {
		t.Errorf("own From: %v, %+v", err, rec.got)
	}
	for _, bad := range injected(Message{To: "ada@example.com", Subject: "Hi", Text: "x", From: "me@example.com", ReplyTo: "r@example.com"}) {
		if err := m.Send(context.Background(), bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Send(%q) = %v, want ErrInvalid", fmt.Sprintf("%+v", bad), err)
		}
	}
	if len(rec.got) != 2 {
		t.Errorf("the provider got %d messages, want 2", len(rec.got))
	}
}

// The log mailer shows addresses and subject at info and the bodies (links
// with tokens) only at debug.
func TestLogMailer(t *testing.T) {
	msg := Message{From: "a@example.com", To: "ada@example.com", Subject: "Verify", Text: "token=SECRET-TOKEN", HTML: "<p>SECRET-TOKEN</p>"}
	for _, tc := range []struct {
		level    slog.Level
		wantBody bool
	}{{slog.LevelInfo, false}, {slog.LevelDebug, true}} {
		var buf bytes.Buffer
		m := LogMailer{Log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tc.level}))}
		if err := m.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.Contains(out, "ada@example.com") || !strings.Contains(out, "Verify") {
			t.Errorf("%s: log %q lacks the address or subject", tc.level, out)
		}
		if got := strings.Contains(out, "SECRET-TOKEN"); got != tc.wantBody {
			t.Errorf("%s: body logged %v, want %v: %q", tc.level, got, tc.wantBody, out)
		}
	}
	if err := (LogMailer{Log: slog.New(slog.DiscardHandler)}).Send(context.Background(), Message{To: "x\r\nBcc: y@evil.example", From: "a@example.com", Subject: "s", Text: "t"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("log mailer took an injected header: %v", err)
	}
}

// Every template renders a one-line subject, a text and an HTML body, and
// escapes user data in the HTML.
func TestCompose(t *testing.T) {
	data := Data{
		App: "myapp", Link: "https://app.example.com/verify-email?token=abc&x=1",
		Name: `Ada <script>alert(1)</script>`, Text: "I wrote <b>this</b>",
		Fields: []Field{{Label: "From", Value: `<img src=x onerror=alert(1)>`}},
	}
	for _, kind := range []string{KindVerifyEmail, KindPasswordReset, KindAccountExists, KindContactConfirmation, KindAdminNotification} {
		t.Run(kind, func(t *testing.T) {
			m, err := Compose(kind, "ada@example.com", data)
			if err != nil {
				t.Fatal(err)
			}
			if m.To != "ada@example.com" || m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") || m.Text == "" || !strings.Contains(m.HTML, "</html>") {
				t.Fatalf("Compose = %+v", m)
			}
			for _, raw := range []string{"<script>", "<b>this</b>", "<img"} {
				if strings.Contains(m.HTML, raw) {
					t.Errorf("HTML has unescaped %q:\n%s", raw, m.HTML)
				}
			}
			if kind == KindVerifyEmail || kind == KindPasswordReset {
				if !strings.Contains(m.Text, data.Link) || !strings.Contains(m.HTML, `href="https://app.example.com/verify-email?token=abc&amp;x=1"`) {
					t.Errorf("the link is missing:\n%s\n%s", m.Text, m.HTML)
				}
			}
		})
	}
	if _, err := Compose("no_such_kind", "ada@example.com", data); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown kind: %v", err)
	}
}

// addressOf, which the SMTP and SendGrid providers use, splits a checked
// address into its name and address, and keeps text it cannot parse whole.
func TestAddressOf(t *testing.T) {
	for _, c := range []struct{ in, name, addr string }{
		{"Ada <ada@example.com>", "Ada", "ada@example.com"},
		{"ada@example.com", "", "ada@example.com"},
		{`"Lovelace, Ada" <ada@example.com>`, "Lovelace, Ada", "ada@example.com"},
		{"not an address", "", "not an address"},
	} {
		if name, addr := addressOf(c.in); name != c.name || addr != c.addr {
			t.Errorf("addressOf(%q) = %q, %q; want %q, %q", c.in, name, addr, c.name, c.addr)
		}
	}
}
