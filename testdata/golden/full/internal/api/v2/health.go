package v2

import (
	"context"
	"net/http"
	"time"

	"example.com/myapp/internal/health"
)

// Health is the state of the service.
type Health struct {
	Status        string       `json:"status" enum:"ok,degraded,unavailable" doc:"ok; degraded when an optional dependency is down; unavailable when a required one is"`
	StartedAt     time.Time    `json:"started_at" doc:"When the service started (UTC)"`
	UptimeSeconds float64      `json:"uptime_seconds" example:"3600.5" doc:"Seconds since the service started"`
	Dependencies  []Dependency `json:"dependencies" doc:"One entry per dependency, as /health/ready checks them"`
}

// Dependency is the state of one dependency.
type Dependency struct {
	Name      string  `json:"name" example:"database" doc:"The dependency"`
	Status    string  `json:"status" enum:"ok,degraded,unavailable" doc:"ok, or how its failure affects the service"`
	Optional  bool    `json:"optional" doc:"Whether the service works without it, degraded"`
	LatencyMS float64 `json:"latency_ms" example:"0.42" doc:"How long its check took, in milliseconds"`
}

type healthHandlers struct {
	checks  func() []health.Check
	started time.Time
}

type healthOutput struct {
	Status int
	Body   Envelope[Health]
}

// get answers 200 while the service can serve (ok or degraded) and 503
// when a required dependency is down, with the same body: the causes of
// failures are logged, not shown.
func (h healthHandlers) get(ctx context.Context, _ *struct{}) (*healthOutput, error) {
	rep := health.Run(ctx, h.checks()...)
	out := Health{
		Status:        rep.Status,
		StartedAt:     h.started.UTC(),
		UptimeSeconds: time.Since(h.started).Seconds(),
		Dependencies:  make([]Dependency, len(rep.Results)),
	}
	for i, r := range rep.Results {
		out.Dependencies[i] = Dependency{
			Name: r.Name, Status: r.Status, Optional: r.Optional,
			LatencyMS: float64(r.Latency.Microseconds()) / 1000,
		}
	}
	status := http.StatusOK
	if rep.Status == health.StatusUnavailable {
		status = http.StatusServiceUnavailable
	}
	return &healthOutput{Status: status, Body: wrap(ctx, out)}, nil
}
