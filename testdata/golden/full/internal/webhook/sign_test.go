package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"example.com/myapp/internal/security"
)

// captured is one delivery as a receiver saw it.
type captured struct {
	header http.Header
	body   []byte
}

// receiver records the deliveries it gets.
func receiver(t *testing.T) (url string, got chan captured) {
	t.Helper()
	got = make(chan captured, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- captured{r.Header.Clone(), body}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, got
}

func whsec(key []byte) string { return "whsec_" + base64.StdEncoding.EncodeToString(key) }

// A delivery verifies with the official Standard Webhooks library; a
// flipped body byte, a timestamp 6 minutes old and another secret do not.
func TestSignatureAgainstTheOfficialLibrary(t *testing.T) {
	url, got := receiver(t)
	key := security.RandomBytes(32)
	c := NewClient(Options{AllowPrivate: true})
	body := []byte(`{"type":"contact.submitted","data":{"name":"Ada"}}`)
	if err := c.Send(context.Background(), url, Secrets{key}, Message{ID: "msg_C-ABC", Body: body}, time.Now()); err != nil {
		t.Fatal(err)
	}
	d := <-got
	if !bytes.Equal(d.body, body) {
		t.Fatalf("sent %q, signed %q", d.body, body)
	}
	if d.header.Get("webhook-id") != "msg_C-ABC" || d.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers: %v", d.header)
	}
	oracle, err := standardwebhooks.NewWebhook(whsec(key))
	if err != nil {
		t.Fatal(err)
	}
	if err := oracle.Verify(d.body, d.header); err != nil {
		t.Fatalf("official library: %v", err)
	}
	flipped := bytes.Clone(d.body)
	flipped[3] ^= 1
	if oracle.Verify(flipped, d.header) == nil {
		t.Error("a flipped body byte verified")
	}
	other, _ := standardwebhooks.NewWebhook(whsec(security.RandomBytes(32)))
	if other.Verify(d.body, d.header) == nil {
		t.Error("verified under another secret")
	}

	// Signed 6 minutes ago: outside the 5 minutes receivers accept.
	if err := c.Send(context.Background(), url, Secrets{key}, Message{ID: "msg_old", Body: body}, time.Now().Add(-6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	old := <-got
	if oracle.Verify(old.body, old.header) == nil {
		t.Error("a 6 minutes old timestamp verified")
	}
	if oracle.VerifyIgnoringTimestamp(old.body, old.header) != nil {
		t.Error("the old delivery's signature itself should be valid")
	}
}

// While a secret is rotated, deliveries carry a signature under each: a
// receiver with either secret accepts them.
func TestRotationSignsWithBoth(t *testing.T) {
	url, got := receiver(t)
	oldKey, newKey := security.RandomBytes(32), security.RandomBytes(32)
	c := NewClient(Options{AllowPrivate: true})
	if err := c.Send(context.Background(), url, Secrets{oldKey, newKey}, Message{ID: "msg_rot", Body: []byte(`{}`)}, time.Now()); err != nil {
		t.Fatal(err)
	}
	d := <-got
	if n := len(strings.Fields(d.header.Get("webhook-signature"))); n != 2 {
		t.Fatalf("%d signatures, want 2: %q", n, d.header.Get("webhook-signature"))
	}
	for _, key := range [][]byte{oldKey, newKey} {
		oracle, _ := standardwebhooks.NewWebhook(whsec(key))
		if err := oracle.Verify(d.body, d.header); err != nil {
			t.Errorf("official library: %v", err)
		}
		if err := security.VerifyWebhook(d.header, d.body, time.Now(), key); err != nil {
			t.Errorf("security.VerifyWebhook: %v", err)
		}
	}
}
