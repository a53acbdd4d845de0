package config

import (
	"strings"
	"testing"
)

func TestLoadStripe(t *testing.T) {
	cfg, err := Load(envOf(testEnv(map[string]string{
		"STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_WEBHOOK_SECRET": "whsec_old,whsec_new",
		"STRIPE_PLANS": "free:,pro:price_123,team:price_456",
	})))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.StripeWebhookSecret) != 2 || cfg.StripeWebhookSecret[1] != "whsec_new" || cfg.StripePlans.String() != "free:,pro:price_123,team:price_456" {
		t.Fatalf("stripe settings: %d secrets, plans %s", len(cfg.StripeWebhookSecret), cfg.StripePlans)
	}
}

// The key must fit the environment: no live key outside production, no
// test key in production unless allowed. Errors never show the key.
func TestLoadStripeErrors(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"STRIPE_SECRET_KEY": "sk_live_secret1"}, "a live key (sk_live_) is refused when APP_ENV is"},
		{map[string]string{"STRIPE_SECRET_KEY": "rk_live_secret1"}, "a live key"},
		{map[string]string{"APP_ENV": "production", "STRIPE_SECRET_KEY": "sk_test_secret1"}, "a test key (sk_test_) in production"},
		{map[string]string{"STRIPE_WEBHOOK_SECRET": "not-a-secret1"}, "STRIPE_WEBHOOK_SECRET: each secret starts with whsec_"},
		{map[string]string{"STRIPE_PLANS": "pro:prod_secret1"}, "STRIPE_PLANS"},
		{map[string]string{"STRIPE_SUCCESS_URL": "javascript:alert(1)"}, "STRIPE_SUCCESS_URL"},
		{map[string]string{"STRIPE_USAGE_BATCH": "0"}, "STRIPE_USAGE_BATCH"},
		{map[string]string{"STRIPE_WEBHOOK_MAX_BYTES": "10"}, "STRIPE_WEBHOOK_MAX_BYTES"},
	} {
		_, err := Load(envOf(testEnv(tc.vars)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one saying %q", tc.vars, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "secret1") && !strings.Contains(tc.want, "STRIPE_PLANS") {
			t.Errorf("%v: the error shows the value: %v", tc.vars, err)
		}
	}
	if _, err := Load(envOf(testEnv(map[string]string{"APP_ENV": "production", "STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_ALLOW_TEST_KEY": "true"}))); err != nil &&
		strings.Contains(err.Error(), "STRIPE") {
		t.Errorf("allowed test key in production: %v", err)
	}
	if _, err := Load(envOf(testEnv(map[string]string{"APP_ENV": "production", "STRIPE_SECRET_KEY": "sk_live_abc"}))); err != nil && strings.Contains(err.Error(), "STRIPE") {
		t.Errorf("live key in production: %v", err)
	}
}
