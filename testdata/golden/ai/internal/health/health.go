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
}

// timeout bounds every readiness check, so a hung dependency cannot hang
// the probe.
const timeout = 2 * time.Second

// Live answers 200 as long as the process can serve HTTP at all.
func Live(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]string{"status": "ok"})
}

// Ready returns a handler that runs every check and answers 200 (status
// "ok", or "degraded" when only optional checks fail), or 503 with
// problem details naming the failed required checks. Failure causes are logged, not
// shown, since they may contain addresses or credentials.
func Ready(checks ...Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		status := map[string]string{}
		var failed []string
		overall := "ok"
		for _, c := range checks {
			if err := c.Ping(ctx); err != nil {
				httpx.Logger(ctx).WarnContext(ctx, "readiness check failed", "check", c.Name, "optional", c.Optional, "error", err.Error())
				if c.Optional {
					status[c.Name], overall = "degraded", "degraded"
					continue
				}
				status[c.Name] = "unavailable"
				failed = append(failed, c.Name)
				continue
			}
			status[c.Name] = "ok"
		}
		if len(failed) > 0 {
			detail := "Unavailable:"
			for _, name := range failed {
				detail += " " + name
			}
			httpx.WriteProblem(w, httpx.Problem{
				Status:   http.StatusServiceUnavailable,
				Detail:   detail + ".",
				Instance: r.URL.Path,
			})
			return
		}
		writeJSON(w, map[string]any{"status": overall, "checks": status})
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
