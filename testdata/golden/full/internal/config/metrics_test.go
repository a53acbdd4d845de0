package config

import (
	"strings"
	"testing"
)

// The metrics settings that cannot work, or are too weak for production,
// stop the service at start with a message naming the variable and the fix.
func TestMetricsValidation(t *testing.T) {
	long := strings.Repeat("k", 32)
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string // "" for no METRICS_ error
	}{
		{"short token in production", map[string]string{"APP_ENV": "production", "METRICS_TOKEN": "short-token"}, "METRICS_TOKEN: 11 characters is too short for production; use at least 32"},
		{"31 characters in production", map[string]string{"APP_ENV": "production", "METRICS_TOKEN": long[:31]}, "METRICS_TOKEN: 31 characters"},
		{"32 characters in production", map[string]string{"APP_ENV": "production", "METRICS_TOKEN": long}, ""},
		{"short token in development", map[string]string{"APP_ENV": "development", "METRICS_TOKEN": "short-token"}, ""},
		{"no token in production", map[string]string{"APP_ENV": "production"}, ""},
		{"port", map[string]string{"METRICS_PORT": "9464"}, ""},
		{"negative port", map[string]string{"METRICS_PORT": "-1"}, "METRICS_PORT: -1 is not a port"},
		{"port too large", map[string]string{"METRICS_PORT": "65536"}, "METRICS_PORT: 65536 is not a port"},
		{"port of the API", map[string]string{"PORT": "9000", "METRICS_PORT": "9000"}, "METRICS_PORT: 9000 is PORT too"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(envOf(testEnv(tc.vars)))
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if tc.want == "" && strings.Contains(msg, "METRICS_") {
				t.Fatalf("Load() error = %v, want none about METRICS_*", err)
			}
			if tc.want != "" && !strings.Contains(msg, tc.want) {
				t.Fatalf("Load() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadMetrics(t *testing.T) {
	cfg, err := Load(envOf(testEnv(map[string]string{"METRICS_TOKEN": "t", "METRICS_PORT": "9464"})))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MetricsToken != "t" || cfg.MetricsPort != 9464 {
		t.Fatalf("MetricsToken %q, MetricsPort %d", cfg.MetricsToken, cfg.MetricsPort)
	}
}
