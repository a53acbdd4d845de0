package v1

import (
	"context"
	"time"

	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/jobs"
)

// Job is the JSON form of a background job; its arguments are not shown.
type Job struct {
	ID          int64             `json:"id" example:"42" doc:"Job id"`
	Kind        string            `json:"kind" example:"item_created" doc:"Job type"`
	Queue       string            `json:"queue" example:"default" doc:"Queue"`
	State       string            `json:"state" enum:"pending,scheduled,available,running,retryable,completed,cancelled,discarded" doc:"State"`
	Attempt     int               `json:"attempt" doc:"Attempts so far"`
	MaxAttempts int               `json:"max_attempts" doc:"Attempts before the job is discarded"`
	CreatedAt   time.Time         `json:"created_at" doc:"Insertion time (UTC)"`
	ScheduledAt time.Time         `json:"scheduled_at" doc:"When it runs, or ran, next (UTC)"`
	AttemptedAt *time.Time        `json:"attempted_at,omitempty" doc:"Start of the last attempt (UTC)"`
	FinalizedAt *time.Time        `json:"finalized_at,omitempty" doc:"When it completed, was cancelled or discarded (UTC)"`
	Errors      []JobAttemptError `json:"errors" doc:"Errors of the failed attempts, oldest first"`
}

// JobAttemptError is the error of one failed attempt.
type JobAttemptError struct {
	Attempt int       `json:"attempt" doc:"Attempt number"`
	At      time.Time `json:"at" doc:"When it failed (UTC)"`
	Error   string    `json:"error" doc:"Error message"`
}

func toJob(j jobs.Job) Job {
	out := Job{
		ID: j.ID, Kind: j.Kind, Queue: j.Queue, State: j.State, Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
		CreatedAt: j.CreatedAt, ScheduledAt: j.ScheduledAt, AttemptedAt: j.AttemptedAt, FinalizedAt: j.FinalizedAt,
		Errors: make([]JobAttemptError, len(j.Errors)),
	}
	for i, e := range j.Errors {
		out.Errors[i] = JobAttemptError(e)
	}
	return out
}

type jobHandlers struct {
	svc *jobs.Service
}

type listJobsInput struct {
	State  string `query:"state" enum:"pending,scheduled,available,running,retryable,completed,cancelled,discarded" doc:"Keep jobs in this state; all states when absent"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Page size"`
	Cursor string `query:"cursor" maxLength:"1024" doc:"Opaque cursor from next_cursor of the previous page"`
}

type listJobsOutput struct {
	Body struct {
		Jobs       []Job  `json:"jobs" doc:"One page of jobs, oldest first"`
		NextCursor string `json:"next_cursor,omitempty" doc:"Cursor of the next page; absent on the last page"`
	}
}

func (h jobHandlers) list(ctx context.Context, in *listJobsInput) (*listJobsOutput, error) {
	list, next, err := h.svc.List(ctx, in.State, in.Limit, in.Cursor)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &listJobsOutput{}
	out.Body.Jobs = make([]Job, len(list))
	for i, j := range list {
		out.Body.Jobs[i] = toJob(j)
	}
	out.Body.NextCursor = next
	return out, nil
}

type jobIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"Job id"`
}

type jobOutput struct {
	Body Job
}

func (h jobHandlers) retry(ctx context.Context, in *jobIDInput) (*jobOutput, error) {
	j, err := h.svc.Retry(ctx, in.ID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &jobOutput{Body: toJob(j)}, nil
}

func (h jobHandlers) cancel(ctx context.Context, in *jobIDInput) (*jobOutput, error) {
	j, err := h.svc.Cancel(ctx, in.ID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &jobOutput{Body: toJob(j)}, nil
}
