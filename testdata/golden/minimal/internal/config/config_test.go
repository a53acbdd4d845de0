package config

import (
	"bufio"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// envOf returns a getenv over m, so tests never read the real environment.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Env:               Development,
		Port:              8080,
		LogLevel:          slog.LevelInfo,
		DatabaseURL:       "file:data/app.db",
		MigrateOnStart:    true,
		ShutdownTimeout:   15 * time.Second,
		ShutdownDrain:     0,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxBodyBytes:      1 << 20,
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Load() = %+v\nwant %+v", cfg, want)
	}
	if cfg.Addr() != ":8080" {
		t.Errorf("Addr() = %q, want :8080", cfg.Addr())
	}
}

func TestLoadValues(t *testing.T) {
	cfg, err := Load(envOf(map[string]string{
		"APP_ENV":          "production",
		"PORT":             "9000",
		"LOG_LEVEL":        "debug",
		"DATABASE_URL":     "file:/var/lib/app.db",
		"MIGRATE_ON_START": "false",
		"SHUTDOWN_TIMEOUT": "3s",
		"SHUTDOWN_DRAIN":   "10s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Env != Production || cfg.Port != 9000 || cfg.LogLevel != slog.LevelDebug ||
		cfg.DatabaseURL != "file:/var/lib/app.db" || cfg.MigrateOnStart || cfg.ShutdownTimeout != 3*time.Second || cfg.ShutdownDrain != 10*time.Second {
		t.Errorf("Load() = %+v", cfg)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // the error must contain this
	}{
		{"port not a number", map[string]string{"PORT": "abc"}, `config: PORT: "abc" is not a valid port`},
		{"port out of range", map[string]string{"PORT": "70000"}, `PORT: "70000" is not a valid port`},
		{"unknown environment", map[string]string{"APP_ENV": "staging"}, `APP_ENV: "staging" is not one of development, production, test`},
		{"unknown log level", map[string]string{"LOG_LEVEL": "loud"}, `LOG_LEVEL: "loud" is not one of debug, info, warn, error`},
		{"odd log level", map[string]string{"LOG_LEVEL": "info+2"}, `LOG_LEVEL:`},
		{"bad boolean", map[string]string{"MIGRATE_ON_START": "maybe"}, `MIGRATE_ON_START: "maybe" is not a boolean`},
		{"bad duration", map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, `SHUTDOWN_TIMEOUT: "soon" is not a duration`},
		{"negative duration", map[string]string{"HTTP_READ_TIMEOUT": "-1s"}, `HTTP_READ_TIMEOUT: -1s must be positive`},
		{"negative drain", map[string]string{"SHUTDOWN_DRAIN": "-1s"}, `SHUTDOWN_DRAIN: -1s must not be negative`},
		{"postgres url", map[string]string{"DATABASE_URL": "postgres://localhost/app"}, `DATABASE_URL: this service uses SQLite`},
		{"two errors", map[string]string{"PORT": "x", "APP_ENV": "y"}, `APP_ENV: "y" is not one of development, production, test; PORT: "x" is not a valid port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(envOf(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestEnvExample keeps .env.example and Config in step: every variable
// Config reads is documented there, and nothing else is.
func TestEnvExample(t *testing.T) {
	f, err := os.Open("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	documented := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, _, _ := strings.Cut(line, "=")
		documented[key] = true
	}
	for _, key := range fieldKeys() {
		if !documented[key] {
			t.Errorf("%s is read by Config but missing from .env.example", key)
		}
		delete(documented, key)
	}
	for key := range documented {
		t.Errorf("%s is in .env.example but Config does not read it", key)
	}
}
