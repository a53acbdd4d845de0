package config

import (
	"strings"
	"testing"
)

// A bad sender, link base or timeout stops the service at start, naming
// the variable; a line break in a sender header is refused (SECURITY:
// header injection).
func TestLoadEmailErrors(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"EMAIL_FROM", "no-reply@example.com\r\nBcc: victim@evil.example", "EMAIL_FROM: "},
		{"EMAIL_FROM", "My App <no-reply@example.com>", "EMAIL_FROM: "},
		{"EMAIL_FROM", "nobody", "EMAIL_FROM: "},
		{"EMAIL_REPLY_TO", "help@example.com\nBcc: x@evil.example", "EMAIL_REPLY_TO: "},
		{"EMAIL_FROM_NAME", "My App\r\nBcc: victim@evil.example", "EMAIL_FROM_NAME: must be one line"},
		{"EMAIL_LINK_BASE_URL", "localhost:8080", "EMAIL_LINK_BASE_URL: "},
		{"EMAIL_LINK_BASE_URL", "ftp://example.com", "EMAIL_LINK_BASE_URL: "},
		{"EMAIL_LINK_BASE_URL", "https://example.com/?next=x", "EMAIL_LINK_BASE_URL: "},
		{"EMAIL_SEND_TIMEOUT", "0s", "EMAIL_SEND_TIMEOUT: 0s must be positive"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			_, err := Load(envOf(testEnv(map[string]string{tc.key: tc.value})))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	cfg, err := Load(envOf(testEnv(map[string]string{"EMAIL_FROM": "hello@example.com", "EMAIL_REPLY_TO": "help@example.com", "EMAIL_LINK_BASE_URL": "https://app.example.com/accounts"})))
	if err != nil || cfg.EmailFrom != "hello@example.com" || cfg.EmailReplyTo != "help@example.com" {
		t.Errorf("Load = %+v, %v", cfg, err)
	}
}
