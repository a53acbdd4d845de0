package app_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"example.com/myapp/internal/security"
)

// webhookReceiver is a local receiver that verifies every delivery with
// the official Standard Webhooks library and passes on the verified ones.
func webhookReceiver(t *testing.T) (url, secret string, got chan map[string]any) {
	t.Helper()
	secret = "whsec_" + base64.StdEncoding.EncodeToString(security.RandomBytes(32))
	verifier, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	got = make(chan map[string]any, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verifier.Verify(body, r.Header); err != nil {
			t.Errorf("webhook signature: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var event map[string]any
		if err := json.Unmarshal(body, &event); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		event["webhook-id"] = r.Header.Get("webhook-id")
		got <- event
	}))
	t.Cleanup(srv.Close)
	return srv.URL, secret, got
}

// postContact fetches a form token (unless bot) and sends a message.
func postContact(t *testing.T, base string, bot bool) string {
	t.Helper()
	token := ""
	if !bot {
		resp, err := http.Get(base + "/api/v1/contact/form")
		if err != nil {
			t.Fatal(err)
		}
		var form struct{ Token string }
		_ = json.NewDecoder(resp.Body).Decode(&form)
		_ = resp.Body.Close()
		token = form.Token
	}
	body, _ := json.Marshal(map[string]any{
		"name": "Ada Lovelace", "email": "ada@example.com", "subject": "Pricing", "message": "How much is the team plan?",
		"source": "/pricing", "fields": map[string]string{"plan": "team"}, "token": token,
	})
	resp, err := http.Post(base+"/api/v1/contact", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Reference string }
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusOK || out.Reference == "" {
		t.Fatalf("POST /contact = %d", resp.StatusCode)
	}
	return out.Reference
}

// The wired service: a bot's post is dropped (no webhook); a person's is
// stored and posted, signed, to CONTACT_WEBHOOK_URL.
func TestContactWebhookDelivered(t *testing.T) {
	url, secret, got := webhookReceiver(t)
	vars := map[string]string{
		"CONTACT_MIN_SECONDS": "0", "CONTACT_WEBHOOK_URL": url, "CONTACT_WEBHOOK_SECRET": secret,
		"WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
	}
	base, _ := serve(t, vars)
	postContact(t, base, true)
	ref := postContact(t, base, false)
	select {
	case event := <-got:
		data, _ := event["data"].(map[string]any)
		if event["type"] != "contact.submitted" || data["reference"] != ref || data["email"] != "ada@example.com" ||
			event["webhook-id"] != "msg_"+ref {
			t.Errorf("event %v", event)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook within 30 s")
	}
	select {
	case event := <-got:
		t.Errorf("a second delivery (the bot's?): %v", event)
	default:
	}
}

// With email: the operators get the message (Reply-To the sender) and the
// sender a confirmation with the reference, through the email_send job;
// a bot gets nothing.
func TestContactEmails(t *testing.T) {
	addr, port := freeAddr(t)
	sink := &smtpSink{}
	sink.listen(t, addr)
	base, _ := serve(t, map[string]string{
		"SMTP_HOST": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port), "SMTP_TLS": "off",
		"ADMIN_EMAIL": "ops@example.com", "CONTACT_MIN_SECONDS": "0",
	})
	postContact(t, base, true)
	ref := postContact(t, base, false)
	var got [][]byte
	for deadline := time.Now().Add(30 * time.Second); len(got) < 2; time.Sleep(50 * time.Millisecond) {
		_, got = sink.received()
		if time.Now().After(deadline) {
			t.Fatalf("%d emails after 30 s, want 2", len(got))
		}
	}
	var toOps, toAda string
	for _, m := range got {
		if s := string(m); strings.Contains(s, "We received your message") {
			toAda = s
		} else {
			toOps = s
		}
	}
	if !strings.Contains(toOps, "ops@example.com") || !strings.Contains(toOps, ref) || !strings.Contains(toOps, "team plan") ||
		!strings.Contains(toOps, "Reply-To: <ada@example.com>") {
		t.Errorf("operators' email:\n%s", toOps)
	}
	if !strings.Contains(toAda, "ada@example.com") || !strings.Contains(toAda, ref) {
		t.Errorf("confirmation:\n%s", toAda)
	}
	if len(got) != 2 {
		t.Errorf("%d emails, want 2 (none for the bot)", len(got))
	}
}
