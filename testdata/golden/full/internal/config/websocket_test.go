package config

import (
	"strings"
	"testing"
)

// Bad WebSocket limits stop the service at start, naming the variable.
func TestLoadWebSocketErrors(t *testing.T) {
	for _, tc := range []struct{ key, value string }{
		{"WS_PING_INTERVAL", "0s"},
		{"WS_PING_TIMEOUT", "-1s"},
		{"WS_PING_INTERVAL", "often"},
		{"WS_MAX_MESSAGE_BYTES", "0"},
		{"WS_MAX_CONNECTIONS_PER_USER", "-3"},
		{"WS_MESSAGES_PER_MINUTE", "lots"},
		{"WS_ALLOWED_ORIGINS", "*"},
		{"WS_ALLOWED_ORIGINS", "https://app.example.com/path"},
		{"WS_ALLOW_QUERY_TOKEN", "maybe"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			_, err := Load(envOf(testEnv(map[string]string{tc.key: tc.value})))
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("Load() error = %v, want one naming %s", err, tc.key)
			}
		})
	}
	cfg, err := Load(envOf(testEnv(map[string]string{"WS_ALLOWED_ORIGINS": "https://app.example.com,http://localhost:3000"})))
	if err != nil || len(cfg.WSAllowedOrigins) != 2 {
		t.Fatalf("Load() = %v, %v", cfg.WSAllowedOrigins, err)
	}
}
