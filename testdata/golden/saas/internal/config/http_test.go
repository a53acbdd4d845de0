package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// TestLoadHTTPSettings covers the middleware's variables: CORS origins,
// trusted proxies, body limit and HSTS.
func TestLoadHTTPSettings(t *testing.T) {
	vars := map[string]string{
		"CORS_ALLOWED_ORIGINS": "https://app.example.com, http://localhost:3000",
		"TRUSTED_PROXIES":      "10.0.0.0/8, 192.168.1.10, fd00::/8",
		"MAX_BODY_BYTES":       "2048",
		"HSTS_ENABLED":         "true",
	}
	cfg, err := Load(envOf(testEnv(vars)))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Origins{"https://app.example.com", "http://localhost:3000"}); !reflect.DeepEqual(cfg.CORSAllowedOrigins, want) {
		t.Errorf("CORSAllowedOrigins = %v, want %v", cfg.CORSAllowedOrigins, want)
	}
	want := CIDRs{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.10/32"), netip.MustParsePrefix("fd00::/8")}
	if !reflect.DeepEqual(cfg.TrustedProxies, want) {
		t.Errorf("TrustedProxies = %v, want %v", cfg.TrustedProxies, want)
	}
	if cfg.MaxBodyBytes != 2048 || !cfg.HSTS {
		t.Errorf("MaxBodyBytes = %d, HSTS = %v; want 2048, true", cfg.MaxBodyBytes, cfg.HSTS)
	}
}

// Bad values stop the service at start with a message naming the variable
// and the value.
func TestLoadHTTPSettingsErrors(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"CORS_ALLOWED_ORIGINS", "*", `CORS_ALLOWED_ORIGINS: "*"`},
		{"CORS_ALLOWED_ORIGINS", "https://*.example.com", `"https://*.example.com"`},
		{"CORS_ALLOWED_ORIGINS", "https://app.example.com/path", `"https://app.example.com/path"`},
		{"CORS_ALLOWED_ORIGINS", "app.example.com", `"app.example.com"`},
		{"CORS_ALLOWED_ORIGINS", "null", `"null"`},
		{"TRUSTED_PROXIES", "10.0.0.0/33", `TRUSTED_PROXIES: "10.0.0.0/33"`},
		{"TRUSTED_PROXIES", "proxy.internal", `"proxy.internal"`},
		{"MAX_BODY_BYTES", "0", "MAX_BODY_BYTES: 0 must be positive"},
		{"MAX_BODY_BYTES", "1MB", `MAX_BODY_BYTES: "1MB" is not a whole number`},
		{"HSTS_ENABLED", "yes please", "HSTS_ENABLED"},
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
