package security

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks 1.0.0 (https://www.standardwebhooks.com): the headers
// a signed delivery carries, and how far its timestamp may be from now.
const (
	WebhookIDHeader        = "webhook-id"
	WebhookTimestampHeader = "webhook-timestamp"
	WebhookSignatureHeader = "webhook-signature"
	WebhookTolerance       = 5 * time.Minute
)

// The errors VerifyWebhook returns. Tell the sender no more than "400".
var (
	ErrWebhookHeaders   = errors.New("webhook: missing or malformed webhook-id, webhook-timestamp or webhook-signature")
	ErrWebhookTimestamp = errors.New("webhook: timestamp outside the tolerance")
	ErrWebhookSignature = errors.New("webhook: no valid signature")
)

const webhookSecretPrefix = "whsec_"

// NewWebhookSecret returns a new signing secret in the usual
// "whsec_<base64>" form, 32 random bytes. Use one per endpoint.
func NewWebhookSecret() string {
	return webhookSecretPrefix + base64.StdEncoding.EncodeToString(RandomBytes(32))
}

// ParseWebhookSecret decodes a "whsec_<base64>" secret (the prefix is
// optional) into the key bytes, which must be 24 to 64 bytes long.
func ParseWebhookSecret(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, webhookSecretPrefix))
	if err != nil {
		return nil, errors.New("webhook secret: not base64 after the whsec_ prefix")
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("webhook secret: %d bytes, want 24 to 64", len(key))
	}
	return key, nil
}

// SignWebhook returns the webhook-signature header value for a delivery:
// one "v1,<base64 HMAC-SHA256>" per secret, space separated, so receivers
// keep verifying while a secret is rotated. id must not contain '.'; the
// caller sends exactly body, the bytes signed.
func SignWebhook(id string, ts time.Time, body []byte, secrets ...[]byte) string {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(webhookMAC(s, id, ts.Unix(), body))
	}
	return strings.Join(sigs, " ")
}

// WebhookHeaders returns the three headers of a signed delivery.
func WebhookHeaders(id string, ts time.Time, body []byte, secrets ...[]byte) http.Header {
	h := http.Header{}
	h.Set(WebhookIDHeader, id)
	h.Set(WebhookTimestampHeader, strconv.FormatInt(ts.Unix(), 10))
	h.Set(WebhookSignatureHeader, SignWebhook(id, ts, body, secrets...))
	return h
}

// VerifyWebhook checks a delivery's headers against body, the raw bytes
// received. It accepts the delivery when its timestamp is within
// WebhookTolerance of now (either side) and any "v1" signature in the
// header matches any of secrets. Other signature versions are skipped. Use
// webhook-id afterwards to drop duplicates.
func VerifyWebhook(h http.Header, body []byte, now time.Time, secrets ...[]byte) error {
	id := h.Get(WebhookIDHeader)
	tsText := h.Get(WebhookTimestampHeader)
	sigHeader := h.Get(WebhookSignatureHeader)
	if id == "" || tsText == "" || sigHeader == "" {
		return ErrWebhookHeaders
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrWebhookHeaders
	}
	if d := now.Unix() - ts; d > int64(WebhookTolerance/time.Second) || d < -int64(WebhookTolerance/time.Second) {
		return ErrWebhookTimestamp
	}
	expected := make([][]byte, len(secrets))
	for i, s := range secrets {
		expected[i] = webhookMAC(s, id, ts, body)
	}
	for _, sig := range strings.Fields(sigHeader) {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		mac, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		for _, want := range expected {
			if hmac.Equal(mac, want) {
				return nil
			}
		}
	}
	return ErrWebhookSignature
}

// webhookMAC is HMAC-SHA256(secret, "{id}.{timestamp}.{body}").
func webhookMAC(secret []byte, id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}
