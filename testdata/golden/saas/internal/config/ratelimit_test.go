package config

import (
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/ratelimit"
)

func TestLoadRateLimits(t *testing.T) {
	vars := map[string]string{
		"RATE_LIMIT_DEFAULT": "100/hour",
		"RATE_LIMIT_ROUTES":  "POST /api/v1/items=10/minute, GET /api/v1/items/{id}=5/second",
	}
	cfg, err := Load(envOf(testEnv(vars)))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RateLimitDefault != (ratelimit.Spec{Limit: 100, Window: time.Hour}) || len(cfg.RateLimitRoutes) != 2 ||
		cfg.RateLimitRoutes[1] != (ratelimit.Route{Pattern: "GET /api/v1/items/{id}", Spec: ratelimit.Spec{Limit: 5, Window: time.Second}}) {
		t.Fatalf("RateLimitDefault %v, RateLimitRoutes %v", cfg.RateLimitDefault, cfg.RateLimitRoutes)
	}
}

// A malformed limit stops the service at start, naming the variable and
// the offending value.
func TestLoadRateLimitErrors(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"RATE_LIMIT_DEFAULT", "60/fortnight", `RATE_LIMIT_DEFAULT: "60/fortnight"`},
		{"RATE_LIMIT_DEFAULT", "0/minute", `RATE_LIMIT_DEFAULT: "0/minute"`},
		{"RATE_LIMIT_DEFAULT", "-1/s", `RATE_LIMIT_DEFAULT: "-1/s"`},
		{"RATE_LIMIT_DEFAULT", "sixty", `RATE_LIMIT_DEFAULT: "sixty"`},
		{"RATE_LIMIT_ROUTES", "POST /api/v1/items", `RATE_LIMIT_ROUTES: "POST /api/v1/items"`},
		{"RATE_LIMIT_ROUTES", "POST /api/v1/items=10/week", `"10/week"`},
		{"RATE_LIMIT_ROUTES", "post /x=1/second", `"post /x"`},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			vars := map[string]string{tc.key: tc.value}
			_, err := Load(envOf(testEnv(vars)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
