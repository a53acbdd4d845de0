package email

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpSink is an in-process SMTP server (go-smtp) that keeps what it
// receives, or refuses DATA with reject.
type smtpSink struct {
	addr   string
	reject *smtp.SMTPError

	mu    sync.Mutex
	got   []received
	calls int
}

type received struct {
	from, to string
	tls      bool
	data     []byte
}

func newSMTPSink(t *testing.T, tlsConfig *tls.Config) *smtpSink {
	t.Helper()
	sink := &smtpSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &sinkSession{sink: sink, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = tlsConfig // nil: no STARTTLS offered
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return sink
}

func (s *smtpSink) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

type sinkSession struct {
	sink     *smtpSink
	conn     *smtp.Conn
	from, to string
}

func (s *sinkSession) Reset()        {}
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.sink.mu.Lock()
	defer s.sink.mu.Unlock()
	s.sink.calls++
	if s.sink.reject != nil {
		return s.sink.reject
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.sink.got = append(s.sink.got, received{from: s.from, to: s.to, tls: isTLS, data: data})
	return nil
}

// selfSigned returns a server certificate for 127.0.0.1 and a client
// configuration that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func smtpMailer(t *testing.T, sink *smtpSink, mode string, tc *tls.Config) *SMTP {
	t.Helper()
	host, port, _ := net.SplitHostPort(sink.addr)
	var p int
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	m, err := NewSMTP(SMTPConfig{Host: host, Port: p, TLS: mode, TLSConfig: tc})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The message arrives over STARTTLS as multipart/alternative: a text/plain
// part then a text/html part, with the headers of the Message.
func TestSMTPSendsMIMEOverSTARTTLS(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	sink := newSMTPSink(t, serverTLS)
	if err := smtpMailer(t, sink, "starttls", clientTLS).Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	got := sink.messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r := got[0]
	if !r.tls || r.from != "no-reply@example.com" || r.to != "ada@example.com" {
		t.Errorf("envelope from %q to %q over TLS %v; want no-reply@example.com, ada@example.com, TLS", r.from, r.to, r.tls)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(r.data)))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	from, _ := msg.Header.AddressList("From")
	replyTo, _ := msg.Header.AddressList("Reply-To")
	if subject != "Grüße, Ada" || len(from) != 1 || from[0].Name != "My App" || len(replyTo) != 1 || replyTo[0].Address != "help@example.com" {
		t.Errorf("headers: subject %q, from %v, reply-to %v", subject, from, replyTo)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	want := []struct{ typ, body string }{
		{"text/plain", testMessage().Text},
		{"text/html", testMessage().HTML},
	}
	for i, w := range want {
		p, err := parts.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		typ, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		body, _ := io.ReadAll(p) // quoted-printable is decoded by the reader
		if typ != w.typ || strings.ReplaceAll(string(body), "\r\n", "\n") != w.body {
			t.Errorf("part %d: %s %q, want %s %q", i, typ, body, w.typ, w.body)
		}
	}
	if _, err := parts.NextPart(); !errors.Is(err, io.EOF) {
		t.Errorf("a third part: %v", err)
	}
}

// SECURITY: with SMTP_TLS=starttls a server that does not offer STARTTLS
// gets nothing, and the failure is permanent (retrying will not add TLS);
// SMTP_TLS=off (a local catcher) sends in plain text.
func TestSMTPRequiresSTARTTLS(t *testing.T) {
	sink := newSMTPSink(t, nil)
	err := smtpMailer(t, sink, "starttls", nil).Send(context.Background(), testMessage())
	if err == nil || Retryable(err) || len(sink.messages()) != 0 {
		t.Fatalf("starttls against a plain server: err %v (retryable %v), %d messages; want a permanent error and none", err, Retryable(err), len(sink.messages()))
	}
	if err := smtpMailer(t, sink, "off", nil).Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	if got := sink.messages(); len(got) != 1 || got[0].tls {
		t.Errorf("off: %d messages (%+v), want one in plain text", len(got), got)
	}
}

// A certificate the client does not trust stops the send.
func TestSMTPRefusesUntrustedCertificate(t *testing.T) {
	serverTLS, _ := selfSigned(t)
	sink := newSMTPSink(t, serverTLS)
	err := smtpMailer(t, sink, "starttls", nil).Send(context.Background(), testMessage())
	if err == nil || len(sink.messages()) != 0 {
		t.Fatalf("untrusted certificate: err %v, %d messages; want an error and none", err, len(sink.messages()))
	}
}

// The server's reply code decides: 4xx is worth a retry, 5xx is not; a
// server that is not there is.
func TestSMTPErrors(t *testing.T) {
	for _, tc := range []struct {
		reject    *smtp.SMTPError
		retryable bool
	}{
		{&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}, true},
		{&smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "too many messages"}, true},
		{&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, false},
		{&smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected as spam"}, false},
	} {
		sink := newSMTPSink(t, nil)
		sink.reject = tc.reject
		err := smtpMailer(t, sink, "off", nil).Send(context.Background(), testMessage())
		se, ok := errors.AsType[*SendError](err)
		if !ok || Retryable(err) != tc.retryable || se.Provider != "smtp" {
			t.Errorf("reply %d: err %v, retryable %v; want a *SendError, retryable %v", tc.reject.Code, err, Retryable(err), tc.retryable)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	err = smtpMailer(t, &smtpSink{addr: addr}, "off", nil).Send(context.Background(), testMessage())
	if err == nil || !Retryable(err) {
		t.Errorf("server down: err %v, retryable %v; want a retryable error", err, Retryable(err))
	}
}

// SECURITY: CR/LF in an address or the subject is refused before a
// connection is made.
func TestSMTPRefusesHeaderInjection(t *testing.T) {
	sink := newSMTPSink(t, nil)
	for _, m := range injected(testMessage()) {
		err := smtpMailer(t, sink, "off", nil).Send(context.Background(), m)
		if !errors.Is(err, ErrInvalid) || Retryable(err) {
			t.Errorf("%+v: err %v, want ErrInvalid", m, err)
		}
	}
	if sink.calls != 0 || len(sink.messages()) != 0 {
		t.Errorf("the server saw %d messages", sink.calls)
	}
}

func TestNewSMTPRefuses(t *testing.T) {
	for _, cfg := range []SMTPConfig{
		{Host: "", Port: 587, TLS: "starttls"},
		{Host: "smtp.example.com", Port: 0, TLS: "starttls"},
		{Host: "smtp.example.com", Port: 587, TLS: "maybe"},
	} {
		if _, err := NewSMTP(cfg); err == nil {
			t.Errorf("NewSMTP(%+v) = nil error", cfg)
		}
	}
}
