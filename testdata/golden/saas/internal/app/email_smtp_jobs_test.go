package app_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpSink is an in-process SMTP server that keeps the messages it
// receives, or refuses them with reject.
type smtpSink struct {
	reject *smtp.SMTPError

	mu    sync.Mutex
	got   [][]byte
	calls int
}

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return sinkSession{s}, nil }

type sinkSession struct{ sink *smtpSink }

func (sinkSession) Reset()                               {}
func (sinkSession) Logout() error                        { return nil }
func (sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s sinkSession) Data(r io.Reader) error {
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
	s.sink.got = append(s.sink.got, data)
	return nil
}

// listen starts the sink on addr.
func (s *smtpSink) listen(t *testing.T, addr string) {
	t.Helper()
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}

func (s *smtpSink) received() (calls int, got [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, append([][]byte(nil), s.got...)
}

// freeAddr returns a local address nothing listens on.
func freeAddr(t *testing.T) (addr string, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String(), ln.Addr().(*net.TCPAddr).Port
}

func register(t *testing.T, base, addr string) time.Duration {
	t.Helper()
	start := time.Now()
	resp, err := http.Post(base+"/api/v1/auth/register", "application/json", strings.NewReader(`{"email":"`+addr+`","password":"correct horse battery","name":"Ada"}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("register: %d, want 202", resp.StatusCode)
	}
	return time.Since(start)
}

func waitCounts(t *testing.T, base string, within time.Duration, ok func(map[string]int) bool) map[string]int {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(50 * time.Millisecond) {
		c := jobCounts(t, base)
		if ok(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("job counts %v after %s", c, within)
		}
	}
}

// The SMTP server is down when someone registers: the request still
// answers 202 at once, the email_send job fails and is retried with
// backoff, and once the server is back the verification email arrives.
func TestRegisterWhileSMTPIsDown(t *testing.T) {
	addr, port := freeAddr(t) // the sink is not started yet
	base, _ := serve(t, map[string]string{"SMTP_HOST": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port), "SMTP_TLS": "off"})
	if d := register(t, base, "ada@example.com"); d > 2*time.Second {
		t.Errorf("register took %s: it waited for the mail server", d)
	}
	waitCounts(t, base, 10*time.Second, func(c map[string]int) bool { return c["retryable"] == 1 })

	sink := &smtpSink{}
	sink.listen(t, addr)
	// river's default backoff brings the first retry about 16 s later
	// (15.5 s measured on PostgreSQL), hence the 30 s bound.
	waitCounts(t, base, 30*time.Second, func(c map[string]int) bool { return c["completed"] == 1 })
	_, got := sink.received()
	if len(got) != 1 || !bytes.Contains(got[0], []byte("verify-email?token=")) || !bytes.Contains(got[0], []byte("To: <ada@example.com>")) {
		t.Fatalf("the sink received %d messages: %q", len(got), got)
	}
}

// A permanent refusal (SMTP 550) cancels the job at once: no retries,
// and the request that caused it still succeeded.
func TestSMTPRefusalCancelsTheJob(t *testing.T) {
	addr, port := freeAddr(t)
	sink := &smtpSink{reject: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}}
	sink.listen(t, addr)
	base, _ := serve(t, map[string]string{"SMTP_HOST": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port), "SMTP_TLS": "off"})
	register(t, base, "nobody@example.com")
	waitCounts(t, base, 10*time.Second, func(c map[string]int) bool { return c["cancelled"] == 1 })
	time.Sleep(1500 * time.Millisecond) // past the first retry's time
	if calls, _ := sink.received(); calls != 1 {
		t.Fatalf("the server was tried %d times, want once", calls)
	}
}
