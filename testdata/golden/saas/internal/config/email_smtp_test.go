package config

import (
	"strings"
	"testing"
)

// SMTP_TLS is one of three modes, and plain text is refused in production.
func TestLoadSMTPTLS(t *testing.T) {
	for _, tc := range []struct{ env, mode, want string }{
		{"development", "starttls", ""},
		{"development", "tls", ""},
		{"development", "off", ""},
		{"production", "starttls", ""},
		{"production", "off", "SMTP_TLS: off sends mail and passwords in plain text"},
		{"development", "STARTTLS", `SMTP_TLS: "STARTTLS" is not one of starttls, tls, off`},
		{"development", "yes", `SMTP_TLS: "yes" is not one of`},
	} {
		_, err := Load(envOf(testEnv(map[string]string{"APP_ENV": tc.env, "SMTP_TLS": tc.mode})))
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("APP_ENV=%s SMTP_TLS=%s: Load = %v, want %q", tc.env, tc.mode, err, tc.want)
		}
	}
}
