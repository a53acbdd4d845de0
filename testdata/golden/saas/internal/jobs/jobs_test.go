package jobs_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/jobs"
)

// These tests run on this service's database: SQLite always, PostgreSQL
// when DATABASE_URL is set (see dbtest).

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testArgs is the job type of these tests.
type testArgs struct {
	N int `json:"n"`
}

func (testArgs) Kind() string { return "test_job" }

// testWorker runs fn for each job.
type testWorker struct {
	river.WorkerDefaults[testArgs]
	fn func(ctx context.Context, job *river.Job[testArgs]) error
}

func (w *testWorker) Work(ctx context.Context, job *river.Job[testArgs]) error { return w.fn(ctx, job) }

// testDB is a migrated database of its own and its URL.
func testDB(t *testing.T) (*sql.DB, string) {
	t.Helper()
	url := dbtest.URL(t)
	ctx := context.Background()
	sqlDB, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	if err := db.Migrate(ctx, sqlDB, quiet); err != nil {
		t.Fatal(err)
	}
	return sqlDB, url
}

func testConfig() jobs.Config {
	return jobs.Config{
		Queues:       jobs.Queues{river.QueueDefault: 4},
		MaxAttempts:  3,
		Timeout:      10 * time.Second,
		RescueAfter:  time.Hour,
		PollInterval: 100 * time.Millisecond,
	}
}

// newService builds a Service with fn as the worker of testArgs.
func newService(t *testing.T, sqlDB *sql.DB, url string, cfg jobs.Config, fn func(context.Context, *river.Job[testArgs]) error) *jobs.Service {
	t.Helper()
	svc := jobs.New(sqlDB, url, quiet)
	jobs.AddWorker(svc, &testWorker{fn: fn})
	if err := svc.Build(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	return svc
}

// run works jobs in the background until the returned stop is called (or
// the test ends); stop returns Run's error.
func run(t *testing.T, svc *jobs.Service, grace time.Duration) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, grace) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// waitState waits until job id is in state, and returns it.
func waitState(t *testing.T, svc *jobs.Service, id int64, state rivertype.JobState, within time.Duration) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		row, err := svc.Client().JobGet(context.Background(), id)
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

func TestCommittedJobRuns(t *testing.T) {
	sqlDB, url := testDB(t)
	ran := make(chan int, 1)
	svc := newService(t, sqlDB, url, testConfig(), func(_ context.Context, job *river.Job[testArgs]) error {
		ran <- job.Args.N
		return nil
	})
	run(t, svc, time.Second)

	ctx := context.Background()
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.InsertTx(ctx, tx, testArgs{N: 7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-ran:
		if n != 7 {
			t.Fatalf("worked args N=%d, want 7", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the committed job did not run within 10 s")
	}
	waitState(t, svc, res.Job.ID, rivertype.JobStateCompleted, 5*time.Second)
}

func TestRolledBackJobNeverRuns(t *testing.T) {
	sqlDB, url := testDB(t)
	var runs atomic.Int32
	svc := newService(t, sqlDB, url, testConfig(), func(context.Context, *river.Job[testArgs]) error {
		runs.Add(1)
		return nil
	})
	ctx := context.Background()
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.InsertTx(ctx, tx, testArgs{N: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// A committed job inserted afterwards runs: once it has, the rolled
	// back one would have had its chance too.
	later, err := svc.Insert(ctx, testArgs{N: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, svc, time.Second)
	waitState(t, svc, later.Job.ID, rivertype.JobStateCompleted, 10*time.Second)
	if n := runs.Load(); n != 1 {
		t.Fatalf("%d jobs ran, want only the committed one", n)
	}
	// Only the committed job is in the table (SQLite may give it the id
	// the rolled-back insert had, so ids prove nothing).
	var rows int
	if err := sqlDB.QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("river_job has %d rows (err %v), want 1; the rolled-back insert had id %d", rows, err, res.Job.ID)
	}
}

// fastRetry retries after attempt x 50 ms, and records what it was asked.
type fastRetry struct {
	mu    sync.Mutex
	asked []time.Duration // the delay chosen for each failed attempt
}

func (p *fastRetry) NextRetry(job *rivertype.JobRow) time.Time {
	d := time.Duration(job.Attempt) * 50 * time.Millisecond
	p.mu.Lock()
	p.asked = append(p.asked, d)
	p.mu.Unlock()
	return time.Now().Add(d)
}

func TestFailingJobIsRetriedThenDiscarded(t *testing.T) {
	sqlDB, url := testDB(t)
	cfg := testConfig()
	policy := &fastRetry{}
	cfg.RetryPolicy = policy
	var attempts atomic.Int32
	svc := newService(t, sqlDB, url, cfg, func(context.Context, *river.Job[testArgs]) error {
		attempts.Add(1)
		return errors.New("provider down")
	})
	run(t, svc, time.Second)
	res, err := svc.Insert(context.Background(), testArgs{N: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	row := waitState(t, svc, res.Job.ID, rivertype.JobStateDiscarded, 40*time.Second)
	if row.Attempt != 3 || len(row.Errors) != 3 || attempts.Load() != 3 {
		t.Fatalf("discarded after attempt %d with %d errors and %d runs, want 3 of each", row.Attempt, len(row.Errors), attempts.Load())
	}
	if row.Errors[2].Error != "provider down" {
		t.Fatalf("last error = %q", row.Errors[2].Error)
	}
	policy.mu.Lock()
	defer policy.mu.Unlock()
	// Backoff: asked after the first two failures (not the last), each
	// delay longer than the one before.
	if len(policy.asked) != 2 || policy.asked[1] <= policy.asked[0] {
		t.Fatalf("retry delays %v, want two, growing", policy.asked)
	}
}

// badArgs has testArgs' kind and a payload testArgs cannot decode: a job
// inserted by an older version of the code.
type badArgs struct {
	N string `json:"n"`
}

func (badArgs) Kind() string { return "test_job" }

func TestUndecodableJobIsCancelledNotRetried(t *testing.T) {
	sqlDB, url := testDB(t)
	var runs atomic.Int32
	svc := newService(t, sqlDB, url, testConfig(), func(context.Context, *river.Job[testArgs]) error {
		runs.Add(1)
		return nil
	})
	run(t, svc, time.Second)
	res, err := svc.Insert(context.Background(), badArgs{N: "seven"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	row := waitState(t, svc, res.Job.ID, rivertype.JobStateCancelled, 10*time.Second)
	if row.Attempt != 1 || runs.Load() != 0 || len(row.Errors) != 1 {
		t.Fatalf("attempt %d, %d runs, errors %v; want one attempt, the worker never called, the decode error", row.Attempt, runs.Load(), row.Errors)
	}
}

// Shutdown while a job runs: it finishes within the grace period and
// completes.
func TestStopLetsRunningJobFinish(t *testing.T) {
	sqlDB, url := testDB(t)
	started := make(chan struct{})
	svc := newService(t, sqlDB, url, testConfig(), func(ctx context.Context, _ *river.Job[testArgs]) error {
		close(started)
		select {
		case <-time.After(500 * time.Millisecond): // the work
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	stop := run(t, svc, 5*time.Second)
	res, err := svc.Insert(context.Background(), testArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if err := stop(); err != nil { // what SIGTERM does in serve and worker
		t.Fatal(err)
	}
	row, err := svc.Client().JobGet(context.Background(), res.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if row.State != rivertype.JobStateCompleted {
		t.Fatalf("after a graceful stop the running job is %s (errors %v), want completed", row.State, row.Errors)
	}
}

// A job outliving the grace period is cancelled and put back: it is not
// lost, and it did not use up an attempt.
func TestStopPutsBackJobsOutlivingGrace(t *testing.T) {
	sqlDB, url := testDB(t)
	started := make(chan struct{})
	svc := newService(t, sqlDB, url, testConfig(), func(ctx context.Context, _ *river.Job[testArgs]) error {
		close(started)
		<-ctx.Done() // never finishes on its own
		return ctx.Err()
	})
	stop := run(t, svc, 200*time.Millisecond)
	res, err := svc.Insert(context.Background(), testArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	begin := time.Now()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Fatalf("stop took %s with a 200 ms grace", took)
	}
	row, err := svc.Client().JobGet(context.Background(), res.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if row.State != rivertype.JobStateAvailable || row.Attempt != 0 {
		t.Fatalf("interrupted job: state %s, attempt %d; want available again at attempt 0", row.State, row.Attempt)
	}
}

// Two workers on one database never run a job twice.
func TestTwoWorkersRunEachJobOnce(t *testing.T) {
	sqlDB, url := testDB(t)
	const n = 40
	var mu sync.Mutex
	seen := map[int]int{}
	var wg sync.WaitGroup
	wg.Add(n)
	work := func(_ context.Context, job *river.Job[testArgs]) error {
		mu.Lock()
		seen[job.Args.N]++
		mu.Unlock()
		wg.Done()
		return nil
	}
	a := newService(t, sqlDB, url, testConfig(), work)
	// The second worker has its own pool, as another process would.
	otherDB, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = otherDB.Close() })
	b := newService(t, otherDB, url, testConfig(), work)
	run(t, a, time.Second)
	run(t, b, time.Second)
	for i := range n {
		if _, err := a.Insert(context.Background(), testArgs{N: i}, nil); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the jobs did not all run within 30 s")
	}
	time.Sleep(200 * time.Millisecond) // a duplicate run would show now
	mu.Lock()
	defer mu.Unlock()
	for i := range n {
		if seen[i] != 1 {
			t.Fatalf("job %d ran %d times, want once (all: %v)", i, seen[i], seen)
		}
	}
}

func TestAdminOperations(t *testing.T) {
	sqlDB, url := testDB(t)
	svc := newService(t, sqlDB, url, testConfig(), func(context.Context, *river.Job[testArgs]) error { return nil })
	ctx := context.Background()
	var ids []int64
	for i := range 3 { // not worked: nothing runs them
		res, err := svc.Insert(ctx, testArgs{N: i}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Job.ID)
	}

	page, next, err := svc.List(ctx, "available", 2, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || next == "" || page[0].ID != ids[0] {
		t.Fatalf("first page %+v, next %q; want 2 jobs from %d and a cursor", page, next, ids[0])
	}
	page, next, err = svc.List(ctx, "available", 2, next)
	if err != nil || len(page) != 1 || page[0].ID != ids[2] || next != "" {
		t.Fatalf("second page %+v, next %q, err %v; want job %d alone", page, next, err, ids[2])
	}
	if _, _, err := svc.List(ctx, "", 2, "not-a-cursor"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("bad cursor: err = %v, want invalid", err)
	}

	j, err := svc.Cancel(ctx, ids[0])
	if err != nil || j.State != "cancelled" {
		t.Fatalf("Cancel: %+v, %v", j, err)
	}
	j, err = svc.Retry(ctx, ids[0])
	if err != nil || j.State != "available" {
		t.Fatalf("Retry of a cancelled job: %+v, %v; want available", j, err)
	}
	if _, err := svc.Retry(ctx, 999999); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("Retry of a missing job: err = %v, want not found", err)
	}
	if _, err := svc.Cancel(ctx, 999999); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("Cancel of a missing job: err = %v, want not found", err)
	}

	counts, err := svc.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts["available"] != 3 || counts["completed"] != 0 || len(counts) != len(jobs.States) {
		t.Fatalf("Counts = %v, want 3 available and every state listed", counts)
	}
}

// The admin dashboard's jobs entry: one count per state, zeros included,
// encoding to a JSON object with the states as keys.
func TestDashboardStats(t *testing.T) {
	sqlDB, url := testDB(t)
	svc := newService(t, sqlDB, url, testConfig(), func(context.Context, *river.Job[testArgs]) error { return nil })
	ctx := context.Background()
	var ids []int64
	for i := range 3 { // not worked
		res, err := svc.Insert(ctx, testArgs{N: i}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Job.ID)
	}
	if _, err := svc.Cancel(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	stats, err := jobs.DashboardStats(ctx, sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(stats)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]int64
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s is not a JSON object of counts: %v", b, err)
	}
	if got["available"] != 2 || got["cancelled"] != 1 || got["running"] != 0 || len(got) != len(jobs.States) {
		t.Fatalf("DashboardStats = %s, want 2 available, 1 cancelled and every state", b)
	}
	// Its error fails the dashboard rather than showing zeros.
	_ = sqlDB.Close()
	if _, err := jobs.DashboardStats(ctx, sqlDB); err == nil {
		t.Fatal("DashboardStats on a closed database succeeded")
	}
}

func TestRegistrationAfterBuildPanics(t *testing.T) {
	sqlDB, url := testDB(t)
	svc := newService(t, sqlDB, url, testConfig(), func(context.Context, *river.Job[testArgs]) error { return nil })
	defer func() {
		if recover() == nil {
			t.Fatal("AddPeriodic after Build did not panic")
		}
	}()
	svc.AddPeriodic(time.Hour, testArgs{})
}

func TestBuildNeedsAWorker(t *testing.T) {
	sqlDB, url := testDB(t)
	if err := jobs.New(sqlDB, url, quiet).Build(testConfig()); err == nil {
		t.Fatal("Build with no worker: no error")
	}
}

func TestQueuesUnmarshalText(t *testing.T) {
	tests := []struct {
		in      string
		want    string // String() of the result; "" = error
		wantErr string
	}{
		{"default=10", "default=10", ""},
		{" email = 5 , default=10 ", "default=10,email=5", ""},
		{"", "", "at least one queue"},
		{"default", "", "name=workers"},
		{"=3", "", "name=workers"},
		{"default=0", "", "from 1 to 10000"},
		{"default=x", "", "from 1 to 10000"},
		{"default=10001", "", "from 1 to 10000"},
		{"a b=1", "", "letters, digits"},
		{"a=1,a=2", "", "listed twice"},
	}
	for _, tt := range tests {
		var q jobs.Queues
		err := q.UnmarshalText([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want one saying %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || q.String() != tt.want {
			t.Errorf("%q: %v, %v; want %s", tt.in, q, err, tt.want)
		}
	}
}

// countingMiddleware counts the inserts and the jobs worked it wraps.
type countingMiddleware struct {
	river.MiddlewareDefaults
	inserts, works atomic.Int64
}

func (m *countingMiddleware) InsertMany(ctx context.Context, manyParams []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	m.inserts.Add(int64(len(manyParams)))
	return doInner(ctx)
}

func (m *countingMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	m.works.Add(1)
	return doInner(ctx)
}

// Middleware added with Use wraps every insert and every job worked; Use
// after Build panics like the other registrations.
func TestUseWrapsInsertsAndWork(t *testing.T) {
	sqlDB, url := testDB(t)
	mw := &countingMiddleware{}
	svc := jobs.New(sqlDB, url, quiet)
	ran := make(chan struct{}, 1)
	jobs.AddWorker(svc, &testWorker{fn: func(context.Context, *river.Job[testArgs]) error { ran <- struct{}{}; return nil }})
	svc.Use(mw)
	if err := svc.Build(testConfig()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	run(t, svc, time.Second)
	res, err := svc.Insert(context.Background(), testArgs{N: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not run within 10 s")
	}
	waitState(t, svc, res.Job.ID, rivertype.JobStateCompleted, 5*time.Second)
	if mw.inserts.Load() != 1 || mw.works.Load() != 1 {
		t.Fatalf("middleware saw %d inserts and %d works, want 1 and 1", mw.inserts.Load(), mw.works.Load())
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Use after Build did not panic")
		}
	}()
	svc.Use(mw)
}
