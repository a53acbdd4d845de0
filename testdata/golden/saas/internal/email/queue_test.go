package email

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"example.com/myapp/internal/db"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/jobs"
)

// These tests run the email_send job on this service's database: SQLite
// always, PostgreSQL when DATABASE_URL is set (see dbtest).

// logBuffer is a log destination safe for river's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mailerFunc is a Mailer made of a function.
type mailerFunc func(ctx context.Context, m Message) error

func (f mailerFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// fastRetry retries a failed job after 50 ms per attempt (river's default
// waits attempt^4 seconds), growing like it does.
type fastRetry struct{}

func (fastRetry) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(time.Duration(job.Attempt) * 50 * time.Millisecond)
}

// queueTest is the queue of a service whose email_send jobs provider
// works (through WithDefaults, as the wiring does).
type queueTest struct {
	db    *sql.DB
	svc   *jobs.Service
	queue Queue
	logs  *logBuffer
}

const testFrom = `"My App" <no-reply@example.com>`

// newQueue builds the job system with provider as the email worker's
// Mailer. With work, jobs are worked until the test ends.
func newQueue(t *testing.T, provider Mailer, work bool) *queueTest {
	t.Helper()
	ctx := context.Background()
	logs := &logBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	url := dbtest.URL(t)
	sqlDB, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	if err := db.Migrate(ctx, sqlDB, log); err != nil {
		t.Fatal(err)
	}
	svc := jobs.New(sqlDB, url, log)
	d := Defaults{From: testFrom, Timeout: 5 * time.Second}
	jobs.AddWorker(svc, &SendWorker{Mailer: WithDefaults(provider, d), SendTimeout: d.Timeout, Log: log})
	err = svc.Build(jobs.Config{
		Queues: jobs.Queues{river.QueueDefault: 2}, MaxAttempts: 5, Timeout: time.Minute,
		RescueAfter: time.Hour, RetryPolicy: fastRetry{}, PollInterval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	if work {
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- svc.Run(runCtx, 5*time.Second) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	return &queueTest{db: sqlDB, svc: svc, queue: Queue{Jobs: svc, Defaults: d}, logs: logs}
}

// only returns the one email_send job, failing when there is not exactly one.
func (q *queueTest) only(t *testing.T) *rivertype.JobRow {
	t.Helper()
	res, err := q.svc.Client().JobList(context.Background(), river.NewJobListParams().Kinds("email_send").First(10))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 1 {
		t.Fatalf("%d email_send jobs, want 1", len(res.Jobs))
	}
	return res.Jobs[0]
}

// wait waits until job id is in state and returns it.
func (q *queueTest) wait(t *testing.T, id int64, state rivertype.JobState, within time.Duration) *rivertype.JobRow {
	t.Helper()
	for deadline := time.Now().Add(within); ; {
		row, err := q.svc.Client().JobGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if row.State == state {
			return row
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %s after %s, want %s (errors %v)", id, row.State, within, state, row.Errors)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Send returns once the job is in the table, without waiting for the
// provider (here stuck until released); the worker then sends the message
// with the sender filled in.
func TestQueueSendDoesNotWaitForTheProvider(t *testing.T) {
	release := make(chan struct{})
	got := make(chan Message, 1)
	q := newQueue(t, mailerFunc(func(ctx context.Context, m Message) error {
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		got <- m
		return nil
	}), true)
	m := testMessage()
	m.From = ""
	start := time.Now()
	if err := q.queue.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Send took %s: it waited for the provider", d)
	}
	job := q.only(t)
	if job.Kind != "email_send" || job.State == rivertype.JobStateCompleted {
		t.Fatalf("job %s in state %s, want email_send not yet completed", job.Kind, job.State)
	}
	close(release)
	q.wait(t, job.ID, rivertype.JobStateCompleted, 10*time.Second)
	if sent := <-got; sent.From != testFrom || sent.To != m.To || sent.Subject != m.Subject {
		t.Fatalf("sent %+v", sent)
	}
}

// A provider that fails with retryable errors (429, 5xx, a dropped
// connection) is tried again with backoff until it takes the message.
func TestQueueRetriesTemporaryFailures(t *testing.T) {
	var calls atomic.Int32
	q := newQueue(t, mailerFunc(func(context.Context, Message) error {
		switch calls.Add(1) {
		case 1:
			return &SendError{Provider: "test", Status: 503, Temporary: true, Err: errors.New("unavailable")}
		case 2:
			return errors.New("connection refused")
		}
		return nil
	}), true)
	if err := q.queue.Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	row := q.wait(t, q.only(t).ID, rivertype.JobStateCompleted, 20*time.Second)
	if row.Attempt != 3 || len(row.Errors) != 2 || calls.Load() != 3 {
		t.Fatalf("completed at attempt %d with %d errors after %d calls, want 3, 2, 3", row.Attempt, len(row.Errors), calls.Load())
	}
	if !strings.Contains(q.logs.String(), "will retry") {
		t.Errorf("no warning about the retries:\n%s", q.logs.String())
	}
}

// A permanent refusal (bad credentials, a rejected recipient) cancels the
// job at the first attempt: a retry would fail the same way.
func TestQueueCancelsPermanentFailures(t *testing.T) {
	var calls atomic.Int32
	q := newQueue(t, mailerFunc(func(context.Context, Message) error {
		calls.Add(1)
		return &SendError{Provider: "test", Status: 401, Err: errors.New("API key is invalid")}
	}), true)
	if err := q.queue.Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	row := q.wait(t, q.only(t).ID, rivertype.JobStateCancelled, 10*time.Second)
	time.Sleep(300 * time.Millisecond) // a retry would have come by now
	if row.Attempt != 1 || calls.Load() != 1 || len(row.Errors) != 1 || !strings.Contains(row.Errors[0].Error, "401") {
		t.Fatalf("attempt %d, %d calls, errors %v; want one attempt with the 401", row.Attempt, calls.Load(), row.Errors)
	}
	if !strings.Contains(q.logs.String(), "email refused; not retrying") {
		t.Errorf("no error log for the refusal:\n%s", q.logs.String())
	}
}

// SECURITY: a line break in an address or the subject is refused by Send
// and SendTx before anything is enqueued.
func TestQueueRefusesHeaderInjection(t *testing.T) {
	q := newQueue(t, mailerFunc(func(context.Context, Message) error {
		t.Error("the provider was called")
		return nil
	}), false)
	for _, m := range injected(testMessage()) {
		if err := q.queue.Send(context.Background(), m); !errors.Is(err, ErrInvalid) {
			t.Errorf("Send(%q, %q) = %v, want ErrInvalid", m.To, m.Subject, err)
		}
	}
	res, err := q.svc.Client().JobList(context.Background(), river.NewJobListParams().First(10))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 0 {
		t.Fatalf("%d jobs enqueued from invalid messages", len(res.Jobs))
	}
}

// The same message enqueued twice while the first is waiting is one job:
// a caller retrying after an ambiguous error does not send it twice.
func TestQueueSameMessageIsOneJob(t *testing.T) {
	q := newQueue(t, mailerFunc(func(context.Context, Message) error { return nil }), false)
	for range 2 {
		if err := q.queue.Send(context.Background(), testMessage()); err != nil {
			t.Fatal(err)
		}
	}
	q.only(t)
}

// badSendArgs has email_send's kind and a payload SendArgs cannot decode:
// a job inserted by another version of the code.
type badSendArgs struct {
	Message int `json:"message"`
}

func (badSendArgs) Kind() string { return "email_send" }

// jobs' decode guard covers email_send: an undecodable job is cancelled
// with an error log, and the provider is never called.
func TestQueueUndecodableJobIsCancelled(t *testing.T) {
	var calls atomic.Int32
	q := newQueue(t, mailerFunc(func(context.Context, Message) error {
		calls.Add(1)
		return nil
	}), true)
	res, err := q.svc.Insert(context.Background(), badSendArgs{Message: 7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	row := q.wait(t, res.Job.ID, rivertype.JobStateCancelled, 10*time.Second)
	if row.Attempt != 1 || calls.Load() != 0 {
		t.Fatalf("attempt %d, %d calls; want one attempt and no call", row.Attempt, calls.Load())
	}
	if logs := q.logs.String(); !strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, "do not decode") || !strings.Contains(logs, "email_send") {
		t.Fatalf("no error log naming the job:\n%s", logs)
	}
}

// SendTx enqueues in the caller's transaction: rolled back, no email.
func TestQueueSendTx(t *testing.T) {
	q := newQueue(t, mailerFunc(func(context.Context, Message) error { return nil }), false)
	ctx := context.Background()
	sqlDB := q.db
	for _, commit := range []bool{false, true} {
		tx, err := sqlDB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.queue.SendTx(ctx, tx, testMessage()); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	q.only(t) // the committed one
	if err := q.queue.SendTx(ctx, nil, testMessage()); err == nil {
		t.Fatal("SendTx without a transaction succeeded")
	}
}

// A send interrupted by shutdown (the job's context cancelled) is an
// error river retries, not a refusal that cancels the job.
func TestSendWorkerRetriesWhenStopped(t *testing.T) {
	w := &SendWorker{Mailer: mailerFunc(func(ctx context.Context, _ Message) error { return ctx.Err() }), Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := w.Work(ctx, &river.Job[SendArgs]{JobRow: &rivertype.JobRow{ID: 1}, Args: SendArgs{Message: testMessage()}})
	var cancelled *rivertype.JobCancelError
	if err == nil || errors.As(err, &cancelled) {
		t.Fatalf("Work = %v, want a retryable error", err)
	}
	if d := (&SendWorker{SendTimeout: 15 * time.Second}).Timeout(nil); d <= 15*time.Second {
		t.Errorf("job timeout %s, want more than EMAIL_SEND_TIMEOUT", d)
	}
}
