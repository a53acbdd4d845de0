package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/myapp/internal/app"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db/dbtest"
)

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lastLink returns the path and query of the last link to page in an email
// the development log mailer logged (bodies at debug), waiting a few
// seconds for the first one (the email_send job logs it).
func lastLink(t *testing.T, logs *lockedBuffer, page string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var link string
		for line := range strings.Lines(logs.String()) {
			var rec struct{ Msg, Text string }
			if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "email body" {
				continue
			}
			if m := regexp.MustCompile(`http://localhost:8080(` + page + `\?token=[A-Za-z0-9_%-]+)`).FindStringSubmatch(rec.Text); m != nil {
				link = m[1]
			}
		}
		if link != "" {
			return link
		}
		if time.Now().After(deadline) {
			t.Fatalf("no email with a link to %s was logged:\n%s", page, logs.String())
		}
	}
}

func postForm(t *testing.T, srv string, path string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(srv+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// The whole path of a verification and a reset email, through the wiring:
// register, the email (logged by the development mailer), its link page,
// the form's POST, and the account changes.
func TestEmailLinks(t *testing.T) {
	logs := &lockedBuffer{}
	// The schema is made once: a lookup per variable would make one each.
	env := map[string]string{"APP_ENV": "test", "DATABASE_URL": dbtest.URL(t), "LOG_LEVEL": "debug"}
	cfg, err := config.Load(func(key string) string { return env[key] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	// The emails are sent by the email_send job: work jobs as serve does.
	ctx, cancel := context.WithCancel(context.Background())
	worked := make(chan error, 1)
	go func() { worked <- a.Work(ctx) }()
	t.Cleanup(func() { cancel(); <-worked })
	hs := httptest.NewServer(a.Handler())
	t.Cleanup(hs.Close)
	srv := hs.URL

	resp, err := http.Post(srv+"/api/v1/auth/register", "application/json", strings.NewReader(`{"email":"ada@example.com","password":"correct horse battery","name":"Ada"}`))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("register: %v %v", resp, err)
	}
	resp.Body.Close()

	// Opening the link shows a button and changes nothing.
	link := lastLink(t, logs, "/verify-email")
	resp, err = http.Get(srv + link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	u, _ := url.Parse(link)
	token := u.Query().Get("token")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `name="token" value="`+token+`"`) {
		t.Fatalf("GET %s = %d:\n%s", link, resp.StatusCode, page)
	}
	if code, body := postForm(t, srv, "/verify-email", url.Values{"token": {token}}); code != http.StatusOK || !strings.Contains(body, "verified") {
		t.Fatalf("POST /verify-email = %d:\n%s", code, body)
	}
	if code, body := postForm(t, srv, "/verify-email", url.Values{"token": {token}}); code != http.StatusBadRequest || !strings.Contains(body, "invalid or has expired") {
		t.Errorf("the token works twice: %d:\n%s", code, body)
	}
	if code, _ := postForm(t, srv, "/verify-email", url.Values{"token": {"forged"}}); code != http.StatusBadRequest {
		t.Errorf("forged token: %d, want 400", code)
	}
	if me := signIn(t, srv, "correct horse battery"); me["email_verified"] != true {
		t.Errorf("after verification, me = %v", me)
	}

	// Reset: ask on the page, follow the email's link, set a password.
	if code, body := postForm(t, srv, "/reset-password", url.Values{"email": {"ada@example.com"}}); code != http.StatusOK || !strings.Contains(body, "on its way") {
		t.Fatalf("POST /reset-password (email) = %d:\n%s", code, body)
	}
	link = lastLink(t, logs, "/reset-password")
	u, _ = url.Parse(link)
	token = u.Query().Get("token")
	if code, body := postForm(t, srv, "/reset-password", url.Values{"token": {token}, "password": {"short"}}); code != http.StatusBadRequest || !strings.Contains(body, "at least 8 characters") {
		t.Errorf("weak password: %d:\n%s", code, body)
	}
	if code, body := postForm(t, srv, "/reset-password", url.Values{"token": {token}, "password": {"a brand new passphrase"}}); code != http.StatusOK || !strings.Contains(body, "password is changed") {
		t.Fatalf("POST /reset-password = %d:\n%s", code, body)
	}
	signIn(t, srv, "a brand new passphrase")

	// SECURITY: tokens are in the bodies, logged only at debug; never at info.
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, token) && !strings.Contains(line, `"level":"DEBUG"`) {
			t.Errorf("a token in a log line above debug: %s", line)
		}
	}
}

// signIn logs ada@example.com in with password and returns /auth/me.
func signIn(t *testing.T, srv, password string) map[string]any {
	t.Helper()
	resp, err := http.Post(srv+"/api/v1/auth/login", "application/json", strings.NewReader(`{"email":"ada@example.com","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("login with %q = %d", password, resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, srv+"/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&me)
	return me
}
