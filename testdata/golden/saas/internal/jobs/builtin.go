package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// ItemCreatedArgs is the example job: creating an item enqueues one in the
// same transaction (internal/app/jobs.go), so a rolled-back create
// enqueues nothing. Copy it for real work: arguments are JSON, keep them
// small (ids, not whole records) and free of secrets.
type ItemCreatedArgs struct {
	ItemID int64 `json:"item_id"`
}

// Kind names the job type in the river_job table; never change it while
// jobs of the type may be queued.
func (ItemCreatedArgs) Kind() string { return "item_created" }

// InsertOpts makes the job unique per item: inserting it twice while the
// first is still queued adds nothing.
func (ItemCreatedArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ItemCreatedWorker works ItemCreatedArgs. The example only logs; a real
// one would index the item, notify someone, call a webhook...
type ItemCreatedWorker struct {
	river.WorkerDefaults[ItemCreatedArgs]
	Log *slog.Logger
}

// Timeout bounds one attempt.
func (w *ItemCreatedWorker) Timeout(*river.Job[ItemCreatedArgs]) time.Duration {
	return 30 * time.Second
}

// Work implements river.Worker.
func (w *ItemCreatedWorker) Work(ctx context.Context, job *river.Job[ItemCreatedArgs]) error {
	w.Log.InfoContext(ctx, "item created", "item_id", job.Args.ItemID, "job_id", job.ID, "attempt", job.Attempt)
	return nil
}

// CleanupArgs runs one cleanup task registered with AddCleanup.
type CleanupArgs struct {
	Task string `json:"task"`
}

// Kind implements river.JobArgs.
func (CleanupArgs) Kind() string { return "cleanup" }

// A Cleanup deletes what has expired and returns how many rows it deleted.
type Cleanup func(ctx context.Context) (int64, error)

// cleanupWorker runs the cleanup tasks by name.
type cleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	tasks map[string]Cleanup
	log   *slog.Logger
}

func (w *cleanupWorker) Timeout(*river.Job[CleanupArgs]) time.Duration { return 5 * time.Minute }

func (w *cleanupWorker) Work(ctx context.Context, job *river.Job[CleanupArgs]) error {
	run, ok := w.tasks[job.Args.Task]
	if !ok { // a task removed from the code: nothing to retry
		return river.JobCancel(fmt.Errorf("no cleanup task %q", job.Args.Task))
	}
	n, err := run(ctx)
	if err != nil {
		return fmt.Errorf("cleanup %s: %w", job.Args.Task, err)
	}
	w.log.InfoContext(ctx, "cleanup done", "task", job.Args.Task, "deleted", n)
	return nil
}

// AddCleanup runs fn every interval as the periodic job CleanupArgs{Task:
// name}: expired refresh tokens (auth-builtin), old processed webhook ids,
// and whatever else piles up. Call it while wiring, before Build.
func (s *Service) AddCleanup(name string, every time.Duration, fn Cleanup) {
	if s.cleanups == nil {
		s.cleanups = &cleanupWorker{tasks: map[string]Cleanup{}, log: s.log}
		AddWorker(s, s.cleanups)
	}
	if _, dup := s.cleanups.tasks[name]; dup {
		panic("jobs: cleanup task " + name + " added twice")
	}
	s.cleanups.tasks[name] = fn
	s.addPeriodic("cleanup:"+name, every, CleanupArgs{Task: name})
}
