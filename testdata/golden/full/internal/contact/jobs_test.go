package contact_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"example.com/myapp/internal/contact"
	"example.com/myapp/internal/security"
	"example.com/myapp/internal/webhook"
)

// The webhook job: a 2xx completes it, a 5xx or a redirect is returned
// for river to retry with backoff, a 410 cancels it, and a message
// deleted meanwhile cancels it too.
func TestWebhookWorker(t *testing.T) {
	f := newFixture(t)
	sub := f.human(t, ada, valid(""))
	stored := f.stored(t)[0]
	if stored.Reference != sub.Reference {
		t.Fatal("fixture")
	}
	key := security.RandomBytes(32)
	for _, tc := range []struct {
		status        int
		retry, cancel bool
	}{
		{200, false, false}, {204, false, false}, {500, true, false}, {302, true, false}, {429, true, false}, {410, false, true},
	} {
		var got http.Header
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Clone()
			if err := security.VerifyWebhook(r.Header, mustRead(r), time.Now(), key); err != nil {
				t.Errorf("signature: %v", err)
			}
			w.WriteHeader(tc.status)
		}))
		w := &contact.WebhookWorker{
			Contact: f.svc, Client: webhook.NewClient(webhook.Options{AllowPrivate: true}), URL: srv.URL,
			Secrets: webhook.Secrets{key}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		}
		err := w.Work(context.Background(), &river.Job[contact.WebhookArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: contact.WebhookArgs{SubmissionID: stored.ID}})
		srv.Close()
		_, cancelled := errors.AsType[*river.JobCancelError](err)
		if (err != nil && !cancelled) != tc.retry || cancelled != tc.cancel {
			t.Errorf("%d: Work = %v; want retry %v, cancel %v", tc.status, err, tc.retry, tc.cancel)
		}
		if got.Get("webhook-id") != "msg_"+stored.Reference {
			t.Errorf("%d: webhook-id %q", tc.status, got.Get("webhook-id"))
		}
	}
	w := &contact.WebhookWorker{Contact: f.svc, Client: webhook.NewClient(webhook.Options{}), URL: "https://example.com/", Log: slog.Default()}
	err := w.Work(context.Background(), &river.Job[contact.WebhookArgs]{JobRow: &rivertype.JobRow{}, Args: contact.WebhookArgs{SubmissionID: 9999}})
	if _, ok := errors.AsType[*river.JobCancelError](err); !ok {
		t.Errorf("unknown message: %v, want the job cancelled", err)
	}
	if (contact.WebhookArgs{}).InsertOpts().MaxAttempts != contact.WebhookAttempts {
		t.Error("the job's attempts")
	}
}

func mustRead(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}
