package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"example.com/myapp/internal/apperr"
)

// States are the states a job can be in, in the order of its life.
var States = []string{
	string(rivertype.JobStatePending), string(rivertype.JobStateScheduled), string(rivertype.JobStateAvailable),
	string(rivertype.JobStateRunning), string(rivertype.JobStateRetryable), string(rivertype.JobStateCompleted),
	string(rivertype.JobStateCancelled), string(rivertype.JobStateDiscarded),
}

// Job is what an admin sees of a job. Its arguments are left out: they may
// hold personal data or tokens (a verification link, say).
type Job struct {
	ID          int64
	Kind        string
	Queue       string
	State       string
	Attempt     int
	MaxAttempts int
	CreatedAt   time.Time
	ScheduledAt time.Time
	AttemptedAt *time.Time
	FinalizedAt *time.Time
	Errors      []AttemptError // oldest first
}

// AttemptError is the error of one failed attempt.
type AttemptError struct {
	Attempt int
	At      time.Time
	Error   string
}

// maxErrorLen bounds each error message shown; a worker may fail with a
// long wrapped error, and the list shows many jobs.
const maxErrorLen = 1000

func toJob(r *rivertype.JobRow) Job {
	j := Job{
		ID: r.ID, Kind: r.Kind, Queue: r.Queue, State: string(r.State),
		Attempt: r.Attempt, MaxAttempts: r.MaxAttempts,
		CreatedAt: r.CreatedAt.UTC(), ScheduledAt: r.ScheduledAt.UTC(),
		Errors: make([]AttemptError, 0, len(r.Errors)),
	}
	if r.AttemptedAt != nil {
		t := r.AttemptedAt.UTC()
		j.AttemptedAt = &t
	}
	if r.FinalizedAt != nil {
		t := r.FinalizedAt.UTC()
		j.FinalizedAt = &t
	}
	for _, e := range r.Errors {
		msg := e.Error
		if len(msg) > maxErrorLen {
			msg = msg[:maxErrorLen] + "…"
		}
		j.Errors = append(j.Errors, AttemptError{Attempt: e.Attempt, At: e.At.UTC(), Error: msg})
	}
	return j
}

// List returns up to limit jobs in state (all states when empty), oldest
// first, after cursor (the next cursor of the previous page; opaque).
func (s *Service) List(ctx context.Context, state string, limit int, cursor string) (jobs []Job, next string, err error) {
	if limit < 1 || limit > 1000 {
		return nil, "", apperr.Errorf(apperr.Invalid, "limit %d is not from 1 to 1000", limit)
	}
	p := river.NewJobListParams().First(limit)
	if state != "" {
		p = p.States(rivertype.JobState(state))
	}
	if cursor != "" {
		var c river.JobListCursor
		if err := c.UnmarshalText([]byte(cursor)); err != nil {
			return nil, "", apperr.Errorf(apperr.Invalid, "cursor %q is not valid", cursor)
		}
		p = p.After(&c)
	}
	res, err := s.Client().JobList(ctx, p)
	if err != nil {
		return nil, "", fmt.Errorf("list jobs: %w", err)
	}
	jobs = make([]Job, len(res.Jobs))
	for i, r := range res.Jobs {
		jobs[i] = toJob(r)
	}
	if len(res.Jobs) == limit && res.LastCursor != nil {
		// A full page: a cursor only if another job follows.
		more, err := s.Client().JobList(ctx, p.First(1).After(res.LastCursor))
		if err != nil {
			return nil, "", fmt.Errorf("list jobs: %w", err)
		}
		if len(more.Jobs) > 0 {
			b, err := res.LastCursor.MarshalText()
			if err != nil {
				return nil, "", fmt.Errorf("list jobs: %w", err)
			}
			next = string(b)
		}
	}
	return jobs, next, nil
}

// Retry makes job id available to run again at once, whatever its state
// (a completed job runs again too); a running job is left alone.
func (s *Service) Retry(ctx context.Context, id int64) (Job, error) {
	r, err := s.Client().JobRetry(ctx, id)
	return jobResult(r, err, id, "retry")
}

// Cancel cancels job id: a job not yet running never runs, a running one
// has its context cancelled; a finished one is left alone.
func (s *Service) Cancel(ctx context.Context, id int64) (Job, error) {
	r, err := s.Client().JobCancel(ctx, id)
	return jobResult(r, err, id, "cancel")
}

func jobResult(r *rivertype.JobRow, err error, id int64, verb string) (Job, error) {
	if errors.Is(err, rivertype.ErrNotFound) {
		return Job{}, apperr.Errorf(apperr.NotFound, "job %d not found", id)
	}
	if err != nil {
		return Job{}, fmt.Errorf("%s job %d: %w", verb, id, err)
	}
	return toJob(r), nil
}

// Counts returns the number of jobs in each state (every state present,
// zero included): the depth of the queues, for readiness details.
func (s *Service) Counts(ctx context.Context) (map[string]int64, error) { return counts(ctx, s.db) }

// DashboardStats is jobs' entry of the admin dashboard (feature admin):
// the number of jobs in each state, every state present
// ({"available": 3, "retryable": 1, "completed": 40, ...}), from one
// grouped count of river_job.
func DashboardStats(ctx context.Context, db *sql.DB) (any, error) { return counts(ctx, db) }

func counts(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	counts := make(map[string]int64, len(States))
	for _, st := range States {
		counts[st] = 0
	}
	rows, err := db.QueryContext(ctx, "SELECT state, count(*) FROM river_job GROUP BY state")
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			state string
			n     int64
		)
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		counts[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	return counts, nil
}
