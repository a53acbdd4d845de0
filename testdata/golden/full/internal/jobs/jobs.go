// Package jobs works background jobs on the service's own database with
// river (https://riverqueue.com): jobs are rows of the river_job table,
// inserted in the same transaction as the data they belong to, and worked
// by `server serve` (JOBS_IN_PROCESS=true) or by `server worker`.
//
// A feature adds its work while the service is wired: AddWorker for each
// job type, AddPeriodic for jobs that run on a schedule. Build then makes
// the river client, once every feature is wired; Run works jobs until its
// context is cancelled and stops gracefully.
//
// Every job gets retries with exponential backoff (river's default
// policy: attempt^4 seconds, with jitter) up to JOBS_MAX_ATTEMPTS, after
// which it is discarded; a timeout (its type's Timeout, else JOBS_TIMEOUT);
// and, when its worker dies mid-job, a retry once JOBS_RESCUE_AFTER has
// passed. A job whose arguments no longer decode (its type changed since
// it was inserted) is cancelled with an error log instead of being
// retried to no end.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Config is what Build needs besides the database.
type Config struct {
	// Queues this process works, with the number of jobs of each worked at
	// once (JOBS_QUEUES). Jobs go to river.QueueDefault unless their
	// InsertOpts name another queue.
	Queues Queues
	// MaxAttempts before a failing job is discarded (JOBS_MAX_ATTEMPTS).
	MaxAttempts int
	// Timeout of a job whose type sets none (JOBS_TIMEOUT).
	Timeout time.Duration
	// RescueAfter is how long a job may stay running before it counts as
	// stuck and is made retryable again (JOBS_RESCUE_AFTER).
	RescueAfter time.Duration
	// RetryPolicy decides when a failed job is tried again; nil is river's
	// exponential backoff. Tests set a faster one.
	RetryPolicy river.ClientRetryPolicy
	// PollInterval is how often the database is polled for new jobs where
	// nothing notifies the workers (SQLite); zero is river's default (1 s).
	PollInterval time.Duration
}

// Service is the job system of the service: what features registered, and
// the river client built from it.
type Service struct {
	db         *sql.DB
	url        string
	log        *slog.Logger
	workers    *river.Workers
	periodic   []*river.PeriodicJob
	decoders   map[string]func([]byte) error // kind -> decodes its arguments
	cleanups   *cleanupWorker                // the tasks of AddCleanup
	middleware []rivertype.Middleware        // added with Use

	mu     sync.Mutex
	client *river.Client[*sql.Tx] // nil until Build
	close  func()                 // what Build opened besides the client
}

// New returns a Service over db (opened from url) to which features add
// their workers; Build makes it usable.
func New(db *sql.DB, url string, log *slog.Logger) *Service {
	return &Service{db: db, url: url, log: log, workers: river.NewWorkers(), decoders: map[string]func([]byte) error{}}
}

// AddWorker registers the worker of one job type. Call it while wiring,
// before Build. A worker should embed river.WorkerDefaults[T] and override
// Timeout when its jobs may take longer than JOBS_TIMEOUT.
func AddWorker[T river.JobArgs](s *Service, w river.Worker[T]) {
	s.mustNotBeBuilt("AddWorker")
	var args T
	river.AddWorker(s.workers, w)
	s.decoders[args.Kind()] = func(b []byte) error {
		var v T
		return json.Unmarshal(b, &v) // as river decodes them
	}
}

// AddPeriodic makes args be inserted every interval while some process
// works jobs (river elects one leader to insert them, so several instances
// do not multiply the runs). The job is unique per period: a slow run is
// not joined by the next one. Call it while wiring, before Build.
func (s *Service) AddPeriodic(interval time.Duration, args river.JobArgs) {
	s.addPeriodic(args.Kind(), interval, args)
}

// Use adds river middleware (or hooks that are also middleware, such as a
// tracing plugin) around every insert and every job worked, after the
// service's own. Like AddWorker, it must be called before Build.
func (s *Service) Use(mw ...rivertype.Middleware) {
	s.mustNotBeBuilt("Use")
	s.middleware = append(s.middleware, mw...)
}

func (s *Service) addPeriodic(id string, interval time.Duration, args river.JobArgs) {
	s.mustNotBeBuilt("AddPeriodic")
	s.periodic = append(s.periodic, river.NewPeriodicJob(
		river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: interval}}
		},
		&river.PeriodicJobOpts{ID: id},
	))
}

func (s *Service) mustNotBeBuilt(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		panic("jobs: " + what + " after Build; add workers while wiring")
	}
}

// Kinds returns the registered job kinds, sorted.
func (s *Service) Kinds() []string { return slices.Sorted(maps.Keys(s.decoders)) }

// Build makes the river client from what was registered. Before it, the
// Service can only take registrations; after it, only jobs.
func (s *Service) Build(cfg Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return errors.New("jobs: Build called twice")
	}
	if len(s.decoders) == 0 {
		return errors.New("jobs: no job type is registered")
	}
	queues := map[string]river.QueueConfig{}
	for name, n := range cfg.Queues {
		queues[name] = river.QueueConfig{MaxWorkers: n}
	}
	driver, closeDriver, err := newDriver(s.db, s.url)
	if err != nil {
		return err
	}
	client, err := river.NewClient[*sql.Tx](driver, &river.Config{
		Queues:               queues,
		Workers:              s.workers,
		PeriodicJobs:         s.periodic,
		MaxAttempts:          cfg.MaxAttempts,
		JobTimeout:           cfg.Timeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		RetryPolicy:          cfg.RetryPolicy,
		FetchPollInterval:    cfg.PollInterval,
		Logger:               s.log.With("component", "jobs"),
		Middleware:           append([]rivertype.Middleware{&decodeGuard{decoders: s.decoders, log: s.log}}, s.middleware...),
	})
	if err != nil {
		closeDriver()
		return fmt.Errorf("jobs: %w", err)
	}
	s.client, s.close = client, closeDriver
	return nil
}

// Client is the river client, for what this package does not wrap; nil
// before Build.
func (s *Service) Client() *river.Client[*sql.Tx] {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// InsertTx enqueues a job in tx: it exists, and runs, only if tx commits.
func (s *Service) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := s.Client().InsertTx(ctx, tx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

// Insert enqueues a job on its own.
func (s *Service) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := s.Client().Insert(ctx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

// Run works jobs until ctx is cancelled. Then it stops fetching, lets the
// running jobs finish for up to grace, and cancels those still running:
// river puts them back as available, so they run again (nothing is lost).
func (s *Service) Run(ctx context.Context, grace time.Duration) error {
	client := s.Client()
	if client == nil {
		return errors.New("jobs: Run before Build")
	}
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	s.log.InfoContext(ctx, "working jobs", "kinds", strings.Join(s.Kinds(), ","))
	select {
	case <-ctx.Done():
	case <-client.Stopped():
		return errors.New("jobs: the client stopped by itself")
	}

	s.log.Info("jobs: stopping", "timeout", grace.String())
	soft, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := client.Stop(soft)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("jobs: running jobs outlived the shutdown timeout; cancelling them (they will run again)")
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = client.StopAndCancel(hard)
	}
	if err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	s.log.Info("jobs: stopped")
	return nil
}

// Close releases what Build opened. Call it after Run has returned.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.close != nil {
		s.close()
		s.close = nil
	}
	return nil
}

// decodeGuard cancels, with an error log, a job whose arguments do not
// decode into its type any more (the code changed since it was inserted):
// retrying it could never succeed.
type decodeGuard struct {
	river.MiddlewareDefaults
	decoders map[string]func([]byte) error
	log      *slog.Logger
}

func (g *decodeGuard) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	if decode, ok := g.decoders[job.Kind]; ok {
		if err := decode(job.EncodedArgs); err != nil {
			g.log.ErrorContext(ctx, "job arguments do not decode; cancelling the job", "job_id", job.ID, "kind", job.Kind, "error", err.Error())
			return river.JobCancel(fmt.Errorf("arguments do not decode: %w", err))
		}
	}
	return doInner(ctx)
}

var _ rivertype.WorkerMiddleware = (*decodeGuard)(nil)

// Queues are the queues a process works: name -> jobs worked at once. As
// text (JOBS_QUEUES): "default=10,email=5".
type Queues map[string]int

// UnmarshalText lets configuration parse Queues.
func (q *Queues) UnmarshalText(b []byte) error {
	out := Queues{}
	for part := range strings.SplitSeq(string(b), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, n, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return fmt.Errorf("queue %q: want name=workers, e.g. default=10", part)
		}
		if len(name) > 128 || strings.ContainsFunc(name, func(r rune) bool {
			return !(r == '_' || r == '-' || r == '.' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
		}) {
			return fmt.Errorf("queue %q: the name may have letters, digits, _ - . and at most 128 of them", name)
		}
		workers, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || workers < 1 || workers > 10_000 {
			return fmt.Errorf("queue %q: workers must be a whole number from 1 to 10000, got %q", name, strings.TrimSpace(n))
		}
		if _, dup := out[name]; dup {
			return fmt.Errorf("queue %q is listed twice", name)
		}
		out[name] = workers
	}
	if len(out) == 0 {
		return errors.New("name at least one queue, e.g. default=10")
	}
	*q = out
	return nil
}

// String is the text form of q, queues sorted by name.
func (q Queues) String() string {
	parts := make([]string, 0, len(q))
	for _, name := range slices.Sorted(maps.Keys(q)) {
		parts = append(parts, name+"="+strconv.Itoa(q[name]))
	}
	return strings.Join(parts, ",")
}
