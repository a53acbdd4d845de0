package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"example.com/myapp/internal/security"
)

// Secrets are the signing secrets of one endpoint, each "whsec_<base64>"
// of 24 to 64 bytes; several, separated by spaces, while one is rotated:
// every delivery then carries a signature under each. The text form is
// never shown (String redacts it).
type Secrets [][]byte

// UnmarshalText lets configuration parse Secrets. Its errors never quote
// the secret.
func (s *Secrets) UnmarshalText(b []byte) error {
	var keys Secrets
	for i, f := range strings.Fields(string(b)) {
		if !strings.HasPrefix(f, "whsec_") {
			return fmt.Errorf("secret %d: want whsec_<base64>", i+1)
		}
		key, err := security.ParseWebhookSecret(f)
		if err != nil {
			return fmt.Errorf("secret %d: %w", i+1, err)
		}
		keys = append(keys, key)
	}
	*s = keys
	return nil
}

// String implements fmt.Stringer without showing the keys.
func (s Secrets) String() string { return fmt.Sprintf("[%d secrets redacted]", len(s)) }

// Message is one delivery: ID names the event (receivers drop the ones
// they saw; the same across retries, without '.'), Body the exact bytes
// sent and signed.
type Message struct {
	ID   string
	Body []byte
}

// StatusError is a delivery the receiver answered with a status other
// than 2xx; a 3xx is one too, since redirects are not followed.
type StatusError struct{ Status int }

func (e *StatusError) Error() string { return fmt.Sprintf("webhook: receiver answered %d", e.Status) }

// ErrGone is wrapped by the error of a delivery answered 410 Gone: the
// receiver asks for no more deliveries (Standard Webhooks); stop retrying.
var ErrGone = errors.New("webhook: endpoint gone (410)")

// Permanent reports whether a later attempt of the same delivery cannot
// succeed: the destination is refused by the guard, or the receiver
// answered 410. Every other failure (a 5xx, a 4xx, a 3xx, a timeout, a
// refused connection) is worth a retry with backoff.
func Permanent(err error) bool {
	return errors.Is(err, ErrBlocked) || errors.Is(err, ErrGone)
}

// Send posts m to dest, signed with secrets at now (the webhook-timestamp
// is the time of this attempt). It returns nil for a 2xx answer.
func (c *Client) Send(ctx context.Context, dest string, secrets Secrets, m Message, now time.Time) error {
	if strings.Contains(m.ID, ".") || m.ID == "" {
		return fmt.Errorf("%w: message id %q must be non-empty and without '.'", ErrBlocked, m.ID)
	}
	if err := CheckURL(dest, c.opts.AllowPrivate); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dest, bytes.NewReader(m.Body))
	if err != nil {
		return fmt.Errorf("%w: not a URL", ErrBlocked)
	}
	req.Header = security.WebhookHeaders(m.ID, now, m.Body, secrets...)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "myapp-webhooks/1")
	resp, err := c.http.Do(req)
	if err != nil {
		// The *url.Error quotes the URL, which may hold a token.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("webhook: post: %w", err)
	}
	defer resp.Body.Close()
	// Read a bounded part of the answer so the connection can be reused;
	// what it says is not used.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, c.opts.MaxResponseBytes))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusGone:
		return fmt.Errorf("%w: %w", ErrGone, &StatusError{Status: resp.StatusCode})
	default:
		return &StatusError{Status: resp.StatusCode}
	}
}
