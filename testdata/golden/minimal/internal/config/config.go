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
	"net"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is the service configuration: one field per variable, with its
// default. Each feature's variables are declared in its feature.yaml and
// listed here in a section of their own.
type Config struct {
	// Env (APP_ENV): Deployment environment: development, production or test.
	Env Environment `env:"APP_ENV" envDefault:"development"`

	// Host (HOST): Interface address the HTTP server listens on, e.g.
	// 127.0.0.1; empty listens on every interface, as container platforms
	// expect.
	Host string `env:"HOST"`

	// Port (PORT): TCP port the HTTP server listens on.
	Port Port `env:"PORT" envDefault:"8080"`

	// LogLevel (LOG_LEVEL): Minimum log level: debug, info, warn or error.
	LogLevel slog.Level `env:"LOG_LEVEL" envDefault:"info"`

	// LogFlushInterval (LOG_FLUSH_INTERVAL): Log lines are written in batches
	// at most this long after they are logged (warnings and errors at once); 0
	// writes every line at once, at a cost per line.
	LogFlushInterval time.Duration `env:"LOG_FLUSH_INTERVAL" envDefault:"50ms"`

	// MigrateOnStart (MIGRATE_ON_START): Apply pending database migrations
	// when the server starts.
	MigrateOnStart bool `env:"MIGRATE_ON_START" envDefault:"true"`

	// ShutdownTimeout (SHUTDOWN_TIMEOUT): How long in-flight requests may take
	// to finish on shutdown.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"15s"`

	// ShutdownDrain (SHUTDOWN_DRAIN): How long /health/ready answers 503 on
	// shutdown before the server stops accepting connections; set it behind a
	// load balancer (above probe interval x failure threshold).
	ShutdownDrain time.Duration `env:"SHUTDOWN_DRAIN" envDefault:"0s"`

	// ReadHeaderTimeout (HTTP_READ_HEADER_TIMEOUT): Time allowed to read
	// request headers.
	ReadHeaderTimeout time.Duration `env:"HTTP_READ_HEADER_TIMEOUT" envDefault:"5s"`

	// ReadTimeout (HTTP_READ_TIMEOUT): Time allowed to read a whole request,
	// body included.
	ReadTimeout time.Duration `env:"HTTP_READ_TIMEOUT" envDefault:"15s"`

	// WriteTimeout (HTTP_WRITE_TIMEOUT): Time allowed to write a response.
	WriteTimeout time.Duration `env:"HTTP_WRITE_TIMEOUT" envDefault:"30s"`

	// IdleTimeout (HTTP_IDLE_TIMEOUT): How long an idle keep-alive connection
	// stays open.
	IdleTimeout time.Duration `env:"HTTP_IDLE_TIMEOUT" envDefault:"60s"`

	// CORSAllowedOrigins (CORS_ALLOWED_ORIGINS): Comma-separated browser
	// origins allowed to call the API, matched exactly (scheme://host[:port],
	// no wildcards); empty turns CORS off.
	CORSAllowedOrigins Origins `env:"CORS_ALLOWED_ORIGINS"`

	// TrustedProxies (TRUSTED_PROXIES): Comma-separated networks or addresses
	// of reverse proxies whose X-Forwarded-For is trusted, e.g. 10.0.0.0/8;
	// empty trusts none.
	TrustedProxies CIDRs `env:"TRUSTED_PROXIES"`

	// MaxBodyBytes (MAX_BODY_BYTES): Largest request body accepted, in bytes;
	// larger ones get 413.
	MaxBodyBytes int64 `env:"MAX_BODY_BYTES" envDefault:"1048576"`

	// HSTS (HSTS_ENABLED): Send Strict-Transport-Security; set true only when
	// clients reach the service over HTTPS.
	HSTS bool `env:"HSTS_ENABLED" envDefault:"false"`

	// Feature sqlite: SQLite through modernc.org/sqlite (pure Go, no cgo); a
	// file under ./data.
	//
	// DatabaseURL (DATABASE_URL): SQLite database file; its directory is
	// created if missing.
	DatabaseURL string `env:"DATABASE_URL" envDefault:"file:data/app.db"`
}

// Addr is the address the HTTP server listens on: HOST (all interfaces
// when empty, as container platforms expect) and PORT.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))) }

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
	if c.ShutdownDrain < 0 {
		errs = append(errs, fmt.Errorf("SHUTDOWN_DRAIN: %s must not be negative", c.ShutdownDrain))
	}
	if c.MaxBodyBytes < 1 {
		errs = append(errs, fmt.Errorf("MAX_BODY_BYTES: %d must be positive", c.MaxBodyBytes))
	}
	switch c.LogLevel {
	case slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError:
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", strings.ToLower(c.LogLevel.String())))
	}

	if strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://") {
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
	case reflect.TypeFor[int64]():
		return fmt.Sprintf("%q is not a whole number", value)
	case reflect.TypeFor[slog.Level]():
		return fmt.Sprintf("%q is not one of debug, info, warn, error", value)
	case reflect.TypeFor[time.Time]():
		return fmt.Sprintf("%q is not an RFC 3339 time (e.g. 2026-06-30T00:00:00Z)", value)
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

// Origins are exact browser origins, written comma-separated:
// "https://app.example.com,http://localhost:3000".
type Origins []string

// UnmarshalText accepts scheme://host[:port] origins, without paths or
// wildcards (a wildcard would let any site read the API with a user's
// browser).
func (o *Origins) UnmarshalText(b []byte) error {
	var list Origins
	for part := range strings.SplitSeq(string(b), ",") {
		part = strings.TrimSpace(part)
		u, err := url.Parse(part)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.Contains(part, "*") || part != strings.ToLower(part) {
			return fmt.Errorf("%q is not an origin such as https://app.example.com (lower-case scheme and host, optional port, no path or wildcard)", part)
		}
		list = append(list, part)
	}
	*o = list
	return nil
}

// CIDRs are networks written comma-separated, as CIDR prefixes or single
// addresses: "10.0.0.0/8,192.168.1.10".
type CIDRs []netip.Prefix

// UnmarshalText accepts CIDR prefixes and addresses.
func (c *CIDRs) UnmarshalText(b []byte) error {
	var list CIDRs
	for part := range strings.SplitSeq(string(b), ",") {
		part = strings.TrimSpace(part)
		if p, err := netip.ParsePrefix(part); err == nil {
			list = append(list, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return fmt.Errorf("%q is neither a network (10.0.0.0/8) nor an address (10.0.0.1)", part)
		}
		list = append(list, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	*c = list
	return nil
}
