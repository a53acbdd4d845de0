package config

import (
	"bufio"
	"log/slog"
	"maps"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/contact"
	"example.com/myapp/internal/email"
	"example.com/myapp/internal/jobs"
	"example.com/myapp/internal/ratelimit"
)

// envOf returns a getenv over m, so tests never read the real environment.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// testEnv is the smallest valid environment (a value for every required
// variable; nothing connects to them) with vars on top.
func testEnv(vars map[string]string) map[string]string {
	env := map[string]string{}
	maps.Copy(env, vars)
	return env
}

// TestLoadDefaults checks every default of every variable: what Load makes
// of the envDefault tags is the value the variable's declaration promises.
func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(envOf(testEnv(nil)))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Env:                         Development,
		Port:                        8080,
		LogLevel:                    slog.LevelInfo,
		LogFlushInterval:            50 * time.Millisecond,
		MigrateOnStart:              true,
		ShutdownTimeout:             15 * time.Second,
		ShutdownDrain:               0,
		ReadHeaderTimeout:           5 * time.Second,
		ReadTimeout:                 15 * time.Second,
		WriteTimeout:                30 * time.Second,
		IdleTimeout:                 60 * time.Second,
		MaxBodyBytes:                1 << 20,
		HSTS:                        false,
		ImpersonationTTL:            10 * time.Minute,
		AIDefaultProvider:           "openai",
		AIFallbackOrder:             []string{"openai", "anthropic", "gemini"},
		AIRouteSimple:               ai.Route{Provider: "openai", Model: "gpt-4o-mini", CostPer1KInput: 0.00015, CostPer1KOutput: 0.0006},
		AIRouteModerate:             ai.Route{Provider: "openai", Model: "gpt-4o", CostPer1KInput: 0.0025, CostPer1KOutput: 0.01},
		AIRouteComplex:              ai.Route{Provider: "anthropic", Model: "claude-sonnet-4-5", CostPer1KInput: 0.003, CostPer1KOutput: 0.015},
		AIAllowedModels:             []string(nil),
		AITimeout:                   60 * time.Second,
		AIStreamTimeout:             5 * time.Minute,
		AIStreamIdleTimeout:         30 * time.Second,
		AIMaxPromptBytes:            32768,
		AIMaxTokens:                 4096,
		AIDailyTokenBudget:          200000,
		AIMaxConcurrent:             32,
		AIMaxConcurrentPerUser:      4,
		AnthropicDefaultModel:       "claude-sonnet-4-5",
		GeminiDefaultModel:          "gemini-2.5-flash",
		OpenAIDefaultModel:          "gpt-4o-mini",
		JWTIssuer:                   "myapp",
		JWTAudience:                 "myapp-api",
		AuthAccessTTL:               15 * time.Minute,
		AuthRefreshTTL:              720 * time.Hour,
		AuthSessionMaxAge:           2160 * time.Hour,
		AuthMaxConcurrentHashes:     0,
		ContactSendConfirmation:     true,
		ContactMinSeconds:           3,
		ContactRateLimit:            contact.Limit{Count: 5, Window: time.Hour},
		ContactRequireSubject:       false,
		ContactRequirePhone:         false,
		WebhookAllowPrivateNetworks: false,
		EmailFrom:                   email.Address("no-reply@localhost"),
		EmailFromName:               "myapp",
		EmailLinkBaseURL:            "http://localhost:8080",
		EmailSendTimeout:            15 * time.Second,
		SMTPPort:                    587,
		SMTPTLS:                     "starttls",
		FlagsRefreshInterval:        30 * time.Second,
		JobsInProcess:               true,
		JobsQueues:                  jobs.Queues{"default": 10},
		JobsMaxAttempts:             25,
		JobsTimeout:                 time.Minute,
		JobsRescueAfter:             time.Hour,
		MetricsPort:                 0,
		OTELExporter:                "otlp",
		OTELSampler:                 "parentbased_always_on",
		OTELSamplerArg:              1,
		OTELDisabled:                false,
		StripeWebhookSecret:         []string(nil),
		StripePlans:                 billing.Plans{billing.Plan{Name: "free"}},
		StripeSuccessURL:            "http://localhost:8080/billing/success?session_id={CHECKOUT_SESSION_ID}",
		StripeCancelURL:             "http://localhost:8080/billing/cancel",
		StripePortalReturnURL:       "http://localhost:8080/billing",
		StripeAllowTestKey:          false,
		StripeWebhookMaxBytes:       65536,
		StripeUsageInterval:         time.Minute,
		StripeUsageBatch:            100,
		RateLimitDefault:            ratelimit.Spec{Limit: 60, Window: time.Minute},
		DatabaseURL:                 "file:data/app.db",
		StorageMaxFileBytes:         1 << 20,
		StorageQuotaBytes:           100 << 20,
		StorageMaxFiles:             1000,
		StorageAllowedTypes:         []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"},
		StorageURLTTL:               5 * time.Minute,
		StorageLocalDir:             "data/files",
		WSAllowQueryToken:           false,
		WSPingInterval:              30 * time.Second,
		WSPingTimeout:               10 * time.Second,
		WSMaxMessageBytes:           32768,
		WSMaxConnectionsPerUser:     10,
		WSMessagesPerMinute:         120,
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Load() = %+v\nwant %+v", cfg, want)
	}
	if cfg.Addr() != ":8080" {
		t.Errorf("Addr() = %q, want :8080", cfg.Addr())
	}
}

func TestLoadValues(t *testing.T) {
	cfg, err := Load(envOf(testEnv(map[string]string{
		"APP_ENV":          "production",
		"HOST":             "127.0.0.1",
		"PORT":             "9000",
		"LOG_LEVEL":        "debug",
		"MIGRATE_ON_START": "false",
		"SHUTDOWN_TIMEOUT": "3s",
		"SHUTDOWN_DRAIN":   "10s",
	})))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Env != Production || cfg.Port != 9000 || cfg.LogLevel != slog.LevelDebug ||
		cfg.MigrateOnStart || cfg.ShutdownTimeout != 3*time.Second || cfg.ShutdownDrain != 10*time.Second {
		t.Errorf("Load() = %+v", cfg)
	}
	if got := cfg.Addr(); got != "127.0.0.1:9000" {
		t.Errorf("Addr() = %q, want 127.0.0.1:9000", got)
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
		{"two errors", map[string]string{"PORT": "x", "APP_ENV": "y"}, `APP_ENV: "y" is not one of development, production, test; PORT: "x" is not a valid port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(envOf(testEnv(tt.env)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestEnvExample keeps .env.example and Config in step: every variable
// Config reads is documented there with the same default (or marked
// required), and nothing else is.
func TestEnvExample(t *testing.T) {
	f, err := os.Open("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	documented := map[string]string{} // variable -> its comment line
	comment := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			comment = line
		default:
			key, _, _ := strings.Cut(line, "=")
			documented[key] = comment
		}
	}
	t0 := reflect.TypeFor[Config]()
	for i := range t0.NumField() {
		field := t0.Field(i)
		key, opts, _ := strings.Cut(field.Tag.Get("env"), ",")
		comment, ok := documented[key]
		if !ok {
			t.Errorf("%s is read by Config but missing from .env.example", key)
			continue
		}
		delete(documented, key)
		def, hasDefault := field.Tag.Lookup("envDefault")
		switch {
		case strings.Contains(opts, "required"):
			if !strings.Contains(comment, "(required)") {
				t.Errorf("%s is required by Config, but .env.example does not say so: %q", key, comment)
			}
		case hasDefault:
			if !strings.Contains(comment, "(default: "+def+")") {
				t.Errorf("%s defaults to %q in Config, but .env.example says %q", key, def, comment)
			}
		case strings.Contains(comment, "(default: "):
			t.Errorf("%s has no default in Config, but .env.example says %q", key, comment)
		}
	}
	for key := range documented {
		t.Errorf("%s is in .env.example but Config does not read it", key)
	}
}
