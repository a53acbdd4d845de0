package app

import (
	"strings"
	"testing"

	"example.com/myapp/internal/config"
)

// TestEmailProductionNeedsAProvider: production refuses to start without a
// provider (naming its variable) or with the localhost sender; development
// accepts both and logs emails instead.
func TestEmailProductionNeedsAProvider(t *testing.T) {
	prod := config.Config{Env: config.Production, EmailFrom: "noreply@localhost"}
	if err := mailerSetupError(prod, "SMTP_HOST", false); err == nil || !strings.Contains(err.Error(), "SMTP_HOST: required in production") {
		t.Errorf("production, no provider: %v, want SMTP_HOST named", err)
	}
	if err := mailerSetupError(prod, "SMTP_HOST", true); err == nil || !strings.Contains(err.Error(), "EMAIL_FROM") {
		t.Errorf("production, sender at localhost: %v, want EMAIL_FROM named", err)
	}
	prod.EmailFrom = "noreply@example.com"
	if err := mailerSetupError(prod, "SMTP_HOST", true); err != nil {
		t.Errorf("production, provider and sender set: %v", err)
	}
	dev := config.Config{Env: config.Development, EmailFrom: "noreply@localhost"}
	if err := mailerSetupError(dev, "SMTP_HOST", false); err != nil {
		t.Errorf("development without a provider: %v, want the log mailer", err)
	}
}
