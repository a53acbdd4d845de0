package app

import (
	"context"
	"database/sql"
	"time"

	"example.com/myapp/internal/health"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/jobs"
)

// wireJobs creates the job system. Features wired after it add their
// workers and periodic jobs to w.jobs in their own wire step
// (jobs.AddWorker(w.jobs, ...), w.jobs.AddPeriodic, w.jobs.AddCleanup);
// wireJobsClient builds the river client once they all have.
func (a *App) wireJobs(_ context.Context, w *wiring) error {
	svc := jobs.New(w.db, a.cfg.DatabaseURL, a.log)
	a.jobs, w.jobs = svc, svc
	a.closers = append(a.closers, svc.Close)

	// The example: creating an item enqueues a job in the same transaction.
	jobs.AddWorker(svc, &jobs.ItemCreatedWorker{Log: a.log})
	w.items.AfterCreate(func(ctx context.Context, tx *sql.Tx, it items.Item) error {
		_, err := svc.InsertTx(ctx, tx, jobs.ItemCreatedArgs{ItemID: it.ID}, nil)
		return err
	})

	// Refresh and one-time tokens nobody can use any more.
	svc.AddCleanup("auth_tokens", time.Hour, w.v1.Auth.PurgeExpired)

	// Queue depth per state in /health/ready; the database check covers
	// the connection itself.
	w.checks = append(w.checks, health.Check{
		Name:    "jobs",
		Ping:    func(context.Context) error { return nil },
		Details: func(ctx context.Context) (any, error) { return svc.Counts(ctx) },
	})
	w.v1.Jobs = svc
	if err := w.metrics.Register(jobs.NewMetrics(w.db, 2*time.Second)); err != nil { // jobs_by_state{state}
		return err
	}
	return nil
}

// wireJobsClient builds the river client, after every feature has added
// its workers (it runs after all the app.services steps) and, with
// JOBS_IN_PROCESS, works jobs beside the HTTP server in Run.
func (a *App) wireJobsClient(context.Context, *wiring) error {
	err := a.jobs.Build(jobs.Config{
		Queues:      a.cfg.JobsQueues,
		MaxAttempts: a.cfg.JobsMaxAttempts,
		Timeout:     a.cfg.JobsTimeout,
		RescueAfter: a.cfg.JobsRescueAfter,
	})
	if err != nil {
		return err
	}
	if a.cfg.JobsInProcess {
		a.background = append(a.background, a.Work)
	} else {
		a.log.Info("JOBS_IN_PROCESS=false: jobs are enqueued here and worked by `server worker`")
	}
	return nil
}

// Work works jobs until ctx is cancelled, then stops within
// SHUTDOWN_TIMEOUT: running jobs finish, or are cancelled and run again
// later. `server worker` runs it alone, serve beside the HTTP server.
func (a *App) Work(ctx context.Context) error {
	return a.jobs.Run(ctx, a.cfg.ShutdownTimeout)
}
