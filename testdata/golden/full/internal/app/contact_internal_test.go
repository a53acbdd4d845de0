package app

import (
	"strings"
	"testing"

	"example.com/myapp/internal/config"
)

// Production refuses to start without CONTACT_FORM_SECRET; elsewhere a
// random key of the process is used.
func TestContactProductionNeedsTheFormSecret(t *testing.T) {
	if err := contactSetupError(config.Config{Env: config.Production}); err == nil || !strings.Contains(err.Error(), "CONTACT_FORM_SECRET: required in production") {
		t.Errorf("production without it: %v", err)
	}
	if err := contactSetupError(config.Config{Env: config.Production, ContactFormSecret: strings.Repeat("k", 32)}); err != nil {
		t.Errorf("production with it: %v", err)
	}
	if err := contactSetupError(config.Config{Env: config.Development}); err != nil {
		t.Errorf("development without it: %v", err)
	}
}
