package config

import (
	"strings"
	"testing"
)

// The contact settings are checked at start; errors name the variable and
// never show a secret.
func TestLoadContact(t *testing.T) {
	const secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{}, ""},
		{map[string]string{"CONTACT_RATE_LIMIT": "10/minute"}, ""},
		{map[string]string{"CONTACT_RATE_LIMIT": "5/week"}, `CONTACT_RATE_LIMIT`},
		{map[string]string{"CONTACT_RATE_LIMIT": "0/hour"}, `CONTACT_RATE_LIMIT`},
		{map[string]string{"CONTACT_MIN_SECONDS": "-1"}, "CONTACT_MIN_SECONDS: -1; want 0 to 600"},
		{map[string]string{"CONTACT_FORM_SECRET": "short"}, "CONTACT_FORM_SECRET: at least 32 characters"},
		{map[string]string{"ADMIN_EMAIL": "Ops <ops@example.com>"}, "ADMIN_EMAIL: "},
		{map[string]string{"ADMIN_EMAIL": "ops@example.com"}, ""},
		{map[string]string{"CONTACT_WEBHOOK_URL": "https://hooks.example.com/x", "CONTACT_WEBHOOK_SECRET": secret}, ""},
		{map[string]string{"CONTACT_WEBHOOK_URL": "https://hooks.example.com/x"}, "CONTACT_WEBHOOK_SECRET: required with CONTACT_WEBHOOK_URL"},
		{map[string]string{"CONTACT_WEBHOOK_URL": "http://hooks.example.com/x", "CONTACT_WEBHOOK_SECRET": secret}, "CONTACT_WEBHOOK_URL: webhook: destination not allowed: the scheme must be https"},
		{map[string]string{"CONTACT_WEBHOOK_URL": "https://10.0.0.1/x", "CONTACT_WEBHOOK_SECRET": secret}, "CONTACT_WEBHOOK_URL: "},
		{map[string]string{"CONTACT_WEBHOOK_URL": "http://127.0.0.1:9000/x", "CONTACT_WEBHOOK_SECRET": secret, "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"}, ""},
		{map[string]string{"CONTACT_WEBHOOK_SECRET": "not-a-whsec"}, "CONTACT_WEBHOOK_SECRET"},
		{map[string]string{"APP_ENV": "production", "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"}, "WEBHOOK_ALLOW_PRIVATE_NETWORKS: true lets webhooks reach internal addresses; refused in production"},
	} {
		_, err := Load(envOf(testEnv(tc.vars)))
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v: Load = %v, want %q", tc.vars, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), "MDEyMzQ1") || strings.Contains(err.Error(), "not-a-whsec")) {
			t.Errorf("%v: the error shows the secret: %v", tc.vars, err)
		}
	}
}
