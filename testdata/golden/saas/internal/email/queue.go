package email

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"example.com/myapp/internal/jobs"
)

// SendArgs is the job that sends one Message (kind email_send). The
// message is stored in the river_job table until river deletes the
// finished job (a day later by default): it holds the bodies, links with
// their single-use tokens included, so keep secrets that outlive a link
// out of emails.
type SendArgs struct {
	Message Message `json:"message"`
}

// Kind names the job type; never change it while jobs of the type may be
// queued.
func (SendArgs) Kind() string { return "email_send" }

// InsertOpts makes the job unique by its arguments while it is waiting or
// being tried: the same message enqueued again (a caller retrying after an
// ambiguous error) is not sent twice. Once the first copy is sent or given
// up on, the same message may be enqueued again.
func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled,
		},
	}}
}

// SendWorker works SendArgs through Mailer, the provider (with the
// defaults and the per-attempt timeout of WithDefaults). A failure a
// retry may fix (Retryable: 429, 5xx, SMTP 4xx, a connection error) is
// returned, so river tries again with backoff; any other (an invalid
// message, 401, SMTP 550) cancels the job at once.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	Mailer Mailer
	// SendTimeout is what one attempt may take (EMAIL_SEND_TIMEOUT); the
	// job gets a little more, so the provider's timeout fires first and
	// its error is the one recorded.
	SendTimeout time.Duration
	Log         *slog.Logger
}

// Timeout bounds one attempt of the job.
func (w *SendWorker) Timeout(*river.Job[SendArgs]) time.Duration {
	return w.SendTimeout + 5*time.Second
}

// Work implements river.Worker.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	err := w.Mailer.Send(ctx, job.Args.Message)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		// Stopped (shutdown) or out of time: not the message's fault; the
		// job is tried again.
		return err
	case !Retryable(err):
		// Addresses stay out of the log; the job's id leads to them.
		w.Log.ErrorContext(ctx, "email refused; not retrying", "job_id", job.ID, "attempt", job.Attempt, "error", err.Error())
		return river.JobCancel(err)
	default:
		w.Log.WarnContext(ctx, "email not sent; will retry", "job_id", job.ID, "attempt", job.Attempt, "error", err.Error())
		return err
	}
}

// Queue is a Mailer whose Send enqueues the message as a SendArgs job
// instead of waiting for the provider: the caller returns at once and the
// job retries while the provider is down. The message is completed from
// Defaults (From, ReplyTo) and checked (header injection) before anything
// is enqueued; the worker checks it again before sending.
type Queue struct {
	Jobs     *jobs.Service
	Defaults Defaults // Timeout is not used: enqueueing is a database write
}

// Send implements Mailer: m is enqueued, in a transaction of its own.
func (q Queue) Send(ctx context.Context, m Message) error {
	return q.enqueue(ctx, nil, m)
}

// SendTx enqueues m in tx, the transaction that writes what the email is
// about: it is sent only if tx commits.
func (q Queue) SendTx(ctx context.Context, tx *sql.Tx, m Message) error {
	if tx == nil {
		return errors.New("email: SendTx without a transaction")
	}
	return q.enqueue(ctx, tx, m)
}

func (q Queue) enqueue(ctx context.Context, tx *sql.Tx, m Message) error {
	if m.From == "" {
		m.From = q.Defaults.From
	}
	if m.ReplyTo == "" {
		m.ReplyTo = q.Defaults.ReplyTo
	}
	if err := m.Validate(); err != nil {
		return err
	}
	var err error
	if tx != nil {
		_, err = q.Jobs.InsertTx(ctx, tx, SendArgs{Message: m}, nil)
	} else {
		_, err = q.Jobs.Insert(ctx, SendArgs{Message: m}, nil)
	}
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	return nil
}
