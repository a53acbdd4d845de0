package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadVersioning(t *testing.T) {
	cfg, err := Load(envOf(testEnv(map[string]string{
		"API_V1_DEPRECATED_AT":    "2026-06-30T00:00:00Z",
		"API_V1_SUNSET_AT":        "2027-01-01T01:00:00+01:00",
		"API_V1_DEPRECATION_LINK": "https://example.com/docs/v1-deprecation",
	})))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.APIV1DeprecatedAt.Equal(time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)) ||
		!cfg.APIV1SunsetAt.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) ||
		cfg.APIV1DeprecationLink != "https://example.com/docs/v1-deprecation" {
		t.Fatalf("deprecated %v, sunset %v, link %q", cfg.APIV1DeprecatedAt, cfg.APIV1SunsetAt, cfg.APIV1DeprecationLink)
	}
	// A sunset without a deprecation is allowed (RFC 8594 stands alone).
	if _, err := Load(envOf(testEnv(map[string]string{"API_V1_SUNSET_AT": "2027-01-01T00:00:00Z"}))); err != nil {
		t.Fatalf("sunset alone: %v", err)
	}
}

// Bad deprecation settings stop the service at start, naming the variable.
func TestLoadVersioningErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"date without time", map[string]string{"API_V1_DEPRECATED_AT": "2026-06-30"}, `API_V1_DEPRECATED_AT: "2026-06-30" is not an RFC 3339 time`},
		{"HTTP date", map[string]string{"API_V1_SUNSET_AT": "Fri, 01 Jan 2027 00:00:00 GMT"}, `API_V1_SUNSET_AT: "Fri, 01 Jan 2027 00:00:00 GMT" is not an RFC 3339 time`},
		{"sunset before deprecation", map[string]string{"API_V1_DEPRECATED_AT": "2026-06-30T00:00:00Z", "API_V1_SUNSET_AT": "2026-06-29T23:59:59Z"},
			"API_V1_SUNSET_AT: 2026-06-29T23:59:59Z is earlier than API_V1_DEPRECATED_AT 2026-06-30T00:00:00Z"},
		{"relative link", map[string]string{"API_V1_DEPRECATED_AT": "2026-06-30T00:00:00Z", "API_V1_DEPRECATION_LINK": "/docs/v1"}, `API_V1_DEPRECATION_LINK: "/docs/v1" is not an absolute http(s) URL`},
		{"link breaking the header", map[string]string{"API_V1_DEPRECATED_AT": "2026-06-30T00:00:00Z", "API_V1_DEPRECATION_LINK": "https://x.example/>; rel=next"}, "API_V1_DEPRECATION_LINK: "},
		{"link without deprecation", map[string]string{"API_V1_DEPRECATION_LINK": "https://example.com/docs/v1"}, "API_V1_DEPRECATION_LINK: needs API_V1_DEPRECATED_AT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(envOf(testEnv(tc.vars)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
