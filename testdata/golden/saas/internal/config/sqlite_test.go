package config

import (
	"strings"
	"testing"
)

func TestLoadSQLite(t *testing.T) {
	cfg, err := Load(envOf(testEnv(map[string]string{"DATABASE_URL": "file:/var/lib/app.db"})))
	if err != nil || cfg.DatabaseURL != "file:/var/lib/app.db" {
		t.Fatalf("Load() = %q, %v", cfg.DatabaseURL, err)
	}
	_, err = Load(envOf(testEnv(map[string]string{"DATABASE_URL": "postgres://localhost/app"})))
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL: this service uses SQLite") {
		t.Fatalf("a PostgreSQL URL: error = %v, want one naming DATABASE_URL", err)
	}
}
