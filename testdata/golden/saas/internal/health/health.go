// Package health serves the liveness and readiness probes.
//
// Liveness says the process is up; readiness says it can serve traffic,
// which means every dependency answers. Orchestrators restart on failed
// liveness and stop routing traffic on failed readiness.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"example.com/myapp/internal/httpx"
)

// Check is one dependency the service needs to be ready.
type Check struct {
	Name string                          // shown in responses and logs, e.g. "database"
	Ping func(ctx context.Context) error // nil error means healthy
	// Optional marks a dependency the service can work without, in a
	// degraded mode (e.g. Redis: rate limits fall back to memory). Its
	// failure makes the answer 200 with status "degraded", not 503, so an
	// outage of it does not take every instance out of the load balancer.
	Optional bool
	// Details, when set, reports facts about the dependency once Ping has
	// passed (e.g. queue depth per state), shown under details.<Name> of a
	// 200 answer. An error from it fails the check like one from Ping.
	Details func(ctx context.Context) (any, error)
}

// timeout bounds every readiness check, so a hung dependency cannot hang
// the probe.
const timeout = 2 * time.Second

// Live answers 200 as long as the process can serve HTTP at all.
func Live(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]string{"status": "ok"})
}

// The states of a check and of a whole report.
const (
	StatusOK          = "ok"
	StatusDegraded    = "degraded"    // an optional check failed
	StatusUnavailable = "unavailable" // a required check failed
)

// Result is the outcome of one check.
type Result struct {
	Name     string
	Status   string        // StatusOK, StatusDegraded (optional check failed) or StatusUnavailable
	Optional bool          // the check's Optional
	Latency  time.Duration // how long the ping took
	Details  any           // what the check's Details reported; nil for none
}

// Report is the outcome of every check.
type Report struct {
	Status  string // StatusUnavailable if a required check failed, else StatusDegraded if any failed, else StatusOK
	Results []Result
}

// Failed returns the names of the required checks that failed.
func (r Report) Failed() []string {
	var names []string
	for _, res := range r.Results {
		if res.Status == StatusUnavailable {
			names = append(names, res.Name)
		}
	}
	return names
}

// Run runs every check, in order, within one timeout, and logs the causes
// of failures: they are not for clients, since they may contain addresses
// or credentials.
func Run(ctx context.Context, checks ...Check) Report {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rep := Report{Status: StatusOK, Results: make([]Result, len(checks))}
	for i, c := range checks {
		start := time.Now()
		err := c.Ping(ctx)
		res := Result{Name: c.Name, Status: StatusOK, Optional: c.Optional, Latency: time.Since(start)}
		if err == nil && c.Details != nil {
			res.Details, err = c.Details(ctx)
		}
		switch {
		case err == nil:
		case c.Optional:
			httpx.Logger(ctx).WarnContext(ctx, "readiness check failed", "check", c.Name, "optional", true, "error", err.Error())
			res.Status = StatusDegraded
			if rep.Status == StatusOK {
				rep.Status = StatusDegraded
			}
		default:
			httpx.Logger(ctx).WarnContext(ctx, "readiness check failed", "check", c.Name, "optional", false, "error", err.Error())
			res.Status, rep.Status = StatusUnavailable, StatusUnavailable
		}
		rep.Results[i] = res
	}
	return rep
}

// Ready returns a handler that runs every check and answers 200 (status
// "ok", or "degraded" when only optional checks fail), or 503 with
// problem details naming the failed required checks.
func Ready(checks ...Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rep := Run(r.Context(), checks...)
		if failed := rep.Failed(); len(failed) > 0 {
			httpx.WriteProblem(w, httpx.Problem{
				Status:   http.StatusServiceUnavailable,
				Detail:   "Unavailable: " + strings.Join(failed, " ") + ".",
				Instance: r.URL.Path,
			})
			return
		}
		status := make(map[string]string, len(rep.Results))
		details := map[string]any{}
		for _, res := range rep.Results {
			status[res.Name] = res.Status
			if res.Status == StatusOK && res.Details != nil {
				details[res.Name] = res.Details
			}
		}
		body := map[string]any{"status": rep.Status, "checks": status}
		if len(details) > 0 {
			body["details"] = details
		}
		writeJSON(w, body)
	}
}

// Drain marks the instance as shutting down. Once Start is called, a
// handler wrapped by Wrap answers 503, so load balancers stop routing new
// traffic here while in-flight and late requests are still served. The
// zero value is ready.
type Drain struct{ draining atomic.Bool }

// Start begins the drain; it cannot be undone.
func (d *Drain) Start() { d.draining.Store(true) }

// Draining reports whether Start was called.
func (d *Drain) Draining() bool { return d.draining.Load() }

// Wrap returns ready, answering 503 instead once the drain has started
// (without running the checks: the answer no longer depends on them).
func (d *Drain) Wrap(ready http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.Draining() {
			w.Header().Set("Cache-Control", "no-store")
			httpx.WriteProblem(w, httpx.Problem{
				Status:   http.StatusServiceUnavailable,
				Detail:   "Shutting down.",
				Instance: r.URL.Path,
			})
			return
		}
		ready.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}
