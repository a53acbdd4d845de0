package config

import (
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/jobs"
)

func TestLoadJobs(t *testing.T) {
	vars := map[string]string{
		"JOBS_IN_PROCESS": "false", "JOBS_QUEUES": "default=4, email=2",
		"JOBS_MAX_ATTEMPTS": "5", "JOBS_TIMEOUT": "30s", "JOBS_RESCUE_AFTER": "10m",
	}
	cfg, err := Load(envOf(testEnv(vars)))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JobsInProcess || cfg.JobsQueues.String() != (jobs.Queues{"default": 4, "email": 2}).String() ||
		cfg.JobsMaxAttempts != 5 || cfg.JobsTimeout != 30*time.Second || cfg.JobsRescueAfter != 10*time.Minute {
		t.Fatalf("jobs settings: %v %v %d %s %s", cfg.JobsInProcess, cfg.JobsQueues, cfg.JobsMaxAttempts, cfg.JobsTimeout, cfg.JobsRescueAfter)
	}
}

// Bad job settings stop the service at start, naming the variable.
func TestLoadJobsErrors(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"JOBS_QUEUES": "default=0"}, `JOBS_QUEUES`},
		{map[string]string{"JOBS_QUEUES": "default"}, `JOBS_QUEUES`},
		{map[string]string{"JOBS_MAX_ATTEMPTS": "0"}, "JOBS_MAX_ATTEMPTS: 0 must be at least 1"},
		{map[string]string{"JOBS_TIMEOUT": "0s"}, "JOBS_TIMEOUT: 0s must be positive"},
		{map[string]string{"JOBS_TIMEOUT": "2h"}, "JOBS_RESCUE_AFTER: 1h0m0s must be longer than JOBS_TIMEOUT (2h0m0s)"},
	} {
		_, err := Load(envOf(testEnv(tc.vars)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one saying %q", tc.vars, err, tc.want)
		}
	}
}
