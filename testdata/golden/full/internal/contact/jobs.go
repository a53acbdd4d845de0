package contact

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/webhook"
)

// WebhookArgs is the job that delivers the webhook of one message (kind
// contact_webhook). It holds the id only: the worker reads the message,
// so no personal data sits in river_job.
type WebhookArgs struct {
	SubmissionID int64 `json:"submission_id"`
}

// Kind names the job type; never change it while jobs of the type may be
// queued.
func (WebhookArgs) Kind() string { return "contact_webhook" }

// WebhookAttempts is how often a delivery is tried: with river's backoff
// (attempt⁴ seconds, with jitter) the last try comes about four days
// after the first.
const WebhookAttempts = 18

// InsertOpts gives the job its attempts.
func (WebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: WebhookAttempts}
}

// WebhookWorker works WebhookArgs: one delivery per attempt. A failure is
// returned so river retries it with backoff, except a permanent one (410
// Gone, a destination the guard refuses), which cancels the job.
type WebhookWorker struct {
	river.WorkerDefaults[WebhookArgs]
	Contact *Service
	Client  *webhook.Client
	URL     string
	Secrets webhook.Secrets
	Log     *slog.Logger
}

// Timeout bounds one attempt: the client's own timeout fires first.
func (w *WebhookWorker) Timeout(*river.Job[WebhookArgs]) time.Duration {
	return webhook.DefaultTimeout + 10*time.Second
}

// Work implements river.Worker.
func (w *WebhookWorker) Work(ctx context.Context, job *river.Job[WebhookArgs]) error {
	sub, err := w.Contact.Get(ctx, job.Args.SubmissionID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return river.JobCancel(err) // deleted meanwhile
	}
	if err != nil {
		return err
	}
	m := WebhookMessage(sub)
	err = w.Client.Send(ctx, w.URL, w.Secrets, m, time.Now())
	switch {
	case err == nil:
		return nil
	case webhook.Permanent(err):
		w.Log.ErrorContext(ctx, "webhook refused; not retrying", "webhook_id", m.ID, "attempt", job.Attempt, "error", err.Error())
		return river.JobCancel(err)
	case errors.Is(err, context.Canceled):
		return err
	default:
		w.Log.WarnContext(ctx, "webhook not delivered; will retry", "webhook_id", m.ID, "attempt", job.Attempt, "error", err.Error())
		return err
	}
}
