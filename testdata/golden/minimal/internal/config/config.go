// Package config reads the service's settings from environment variables.
//
// Every variable is declared once, as a field of Config with its default,
// and validated at start so a bad value stops the service with a message
// that names the variable. .env.example lists the same variables.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is the service configuration.
type Config struct {
	// Env is the deployment environment: development, production or test.
	Env Environment `env:"APP_ENV" envDefault:"development"`
	// Port is the TCP port the HTTP server listens on.
	Port Port `env:"PORT" envDefault:"8080"`
	// LogLevel is the minimum level of log records written.
	LogLevel slog.Level `env:"LOG_LEVEL" envDefault:"info"`
	// DatabaseURL is the SQLite database file, e.g. "file:data/app.db".
	DatabaseURL string `env:"DATABASE_URL" envDefault:"file:data/app.db"`
	// MigrateOnStart applies pending migrations when serve starts.
	MigrateOnStart bool `env:"MIGRATE_ON_START" envDefault:"true"`

	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// once the service is asked to stop.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"15s"`
	// ReadHeaderTimeout bounds reading request headers (slowloris defence).
	ReadHeaderTimeout time.Duration `env:"HTTP_READ_HEADER_TIMEOUT" envDefault:"5s"`
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration `env:"HTTP_READ_TIMEOUT" envDefault:"15s"`
	// WriteTimeout bounds writing a response.
	WriteTimeout time.Duration `env:"HTTP_WRITE_TIMEOUT" envDefault:"30s"`
	// IdleTimeout bounds how long a keep-alive connection may stay idle.
	IdleTimeout time.Duration `env:"HTTP_IDLE_TIMEOUT" envDefault:"60s"`
}

// Addr is the address the HTTP server listens on.
func (c Config) Addr() string { return ":" + strconv.Itoa(int(c.Port)) }

// Load reads the configuration from getenv (os.Getenv in production, a map
// in tests) and validates it. An empty variable counts as unset.
func Load(getenv func(string) string) (Config, error) {
	var cfg Config
	params, err := env.GetFieldParams(&cfg)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	vars := make(map[string]string, len(params))
	for _, p := range params {
		if v := getenv(p.Key); v != "" {
			vars[p.Key] = v
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: vars}); err != nil {
		return Config{}, describe(err, vars)
	}
	if err := cfg.validate(); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// validate checks what the types alone cannot.
func (c Config) validate() error {
	var errs []error
	for key, d := range map[string]time.Duration{
		"SHUTDOWN_TIMEOUT":         c.ShutdownTimeout,
		"HTTP_READ_HEADER_TIMEOUT": c.ReadHeaderTimeout,
		"HTTP_READ_TIMEOUT":        c.ReadTimeout,
		"HTTP_WRITE_TIMEOUT":       c.WriteTimeout,
		"HTTP_IDLE_TIMEOUT":        c.IdleTimeout,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %s must be positive", key, d))
		}
	}
	switch c.LogLevel {
	case slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError:
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", strings.ToLower(c.LogLevel.String())))
	}
	isPostgres := strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
	if isPostgres {
		errs = append(errs, errors.New(`DATABASE_URL: this service uses SQLite; want a file URL such as "file:data/app.db"`))
	}
	return sortedJoin(errs)
}

// describe turns the errors of env.Parse into messages that name the
// variable and its value.
func describe(err error, vars map[string]string) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("config: %w", err)
	}
	keys := fieldKeys()
	var errs []error
	for _, e := range agg.Errors {
		var (
			parse  env.ParseError
			notSet env.VarIsNotSetError
			empty  env.EmptyVarError
		)
		switch {
		case errors.As(e, &parse):
			key := keys[parse.Name]
			errs = append(errs, fmt.Errorf("%s: %s", key, parseMessage(parse, vars[key])))
		case errors.As(e, &notSet):
			errs = append(errs, fmt.Errorf("%s: required but not set", notSet.Key))
		case errors.As(e, &empty):
			errs = append(errs, fmt.Errorf("%s: required but empty", empty.Key))
		default:
			errs = append(errs, e)
		}
	}
	return fmt.Errorf("config: %w", sortedJoin(errs))
}

func parseMessage(e env.ParseError, value string) string {
	switch e.Type {
	case reflect.TypeFor[time.Duration]():
		return fmt.Sprintf("%q is not a duration (e.g. 15s, 1m30s)", value)
	case reflect.TypeFor[bool]():
		return fmt.Sprintf("%q is not a boolean (true or false)", value)
	case reflect.TypeFor[slog.Level]():
		return fmt.Sprintf("%q is not one of debug, info, warn, error", value)
	}
	return e.Err.Error()
}

// fieldKeys maps Config's field names to their variable names.
func fieldKeys() map[string]string {
	t := reflect.TypeFor[Config]()
	keys := make(map[string]string, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		keys[f.Name] = key
	}
	return keys
}

// sortedJoin joins errors in a stable order, one per line.
func sortedJoin(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	slices.Sort(msgs)
	return errors.New(strings.Join(msgs, "; "))
}

// Environment is a deployment environment.
type Environment string

// The deployment environments.
const (
	Development Environment = "development"
	Production  Environment = "production"
	Test        Environment = "test"
)

// UnmarshalText accepts development, production or test.
func (e *Environment) UnmarshalText(b []byte) error {
	switch v := Environment(b); v {
	case Development, Production, Test:
		*e = v
		return nil
	}
	return fmt.Errorf("%q is not one of development, production, test", b)
}

// Port is a TCP port number.
type Port int

// UnmarshalText accepts a number from 1 to 65535.
func (p *Port) UnmarshalText(b []byte) error {
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q is not a valid port (1-65535)", b)
	}
	*p = Port(n)
	return nil
}
