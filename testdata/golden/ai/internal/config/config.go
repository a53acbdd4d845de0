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

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/ratelimit"
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

	// Feature ratelimit: Per-client sliding-window rate limits with RateLimit
	// headers; in memory, or shared through Redis with the redis feature.
	//
	// RateLimitDefault (RATE_LIMIT_DEFAULT): Requests each client may make in
	// any sliding window, as count/unit with unit second, minute, hour or day.
	RateLimitDefault ratelimit.Spec `env:"RATE_LIMIT_DEFAULT" envDefault:"60/minute"`

	// RateLimitRoutes (RATE_LIMIT_ROUTES): Per-route limits replacing the
	// default, comma-separated pattern=count/unit, with route patterns as
	// registered (e.g. GET /api/v1/items/{id}=300/minute).
	RateLimitRoutes ratelimit.Routes `env:"RATE_LIMIT_ROUTES"`

	// Feature sqlite: SQLite through modernc.org/sqlite (pure Go, no cgo); a
	// file under ./data.
	//
	// DatabaseURL (DATABASE_URL): SQLite database file; its directory is
	// created if missing.
	DatabaseURL string `env:"DATABASE_URL" envDefault:"file:data/app.db"`

	// Feature auth-builtin: Built-in accounts - argon2id passwords, HS256
	// access tokens, rotating refresh tokens, reset and verification, optional
	// GitHub/Google sign-in.
	//
	// JWTSecret (JWT_SECRET): Key that signs access tokens: 32+ random bytes,
	// base64 (openssl rand -base64 32). Required in production; unset in
	// development means an ephemeral key.
	JWTSecret string `env:"JWT_SECRET"`

	// JWTIssuer (JWT_ISSUER): Exact iss claim of access tokens.
	JWTIssuer string `env:"JWT_ISSUER" envDefault:"myapp"`

	// JWTAudience (JWT_AUDIENCE): Exact aud claim of access tokens.
	JWTAudience string `env:"JWT_AUDIENCE" envDefault:"myapp-api"`

	// AuthAccessTTL (AUTH_ACCESS_TTL): Lifetime of an access token.
	AuthAccessTTL time.Duration `env:"AUTH_ACCESS_TTL" envDefault:"15m"`

	// AuthRefreshTTL (AUTH_REFRESH_TTL): Lifetime of a refresh token; every
	// use returns a new one.
	AuthRefreshTTL time.Duration `env:"AUTH_REFRESH_TTL" envDefault:"720h"`

	// AuthSessionMaxAge (AUTH_SESSION_MAX_AGE): Absolute lifetime of a
	// sign-in, however often it is refreshed.
	AuthSessionMaxAge time.Duration `env:"AUTH_SESSION_MAX_AGE" envDefault:"2160h"`

	// AuthMaxConcurrentHashes (AUTH_MAX_CONCURRENT_HASHES): Password hashes
	// (19 MiB each) allowed at once; 0 means the number of CPUs.
	AuthMaxConcurrentHashes int `env:"AUTH_MAX_CONCURRENT_HASHES" envDefault:"0"`

	// OAuthRedirectBaseURL (OAUTH_REDIRECT_BASE_URL): Public URL of this
	// service, for OAuth callbacks (needed when a provider is configured).
	OAuthRedirectBaseURL string `env:"OAUTH_REDIRECT_BASE_URL"`

	// OAuthGitHubClientID (OAUTH_GITHUB_CLIENT_ID): GitHub OAuth app client
	// id; GitHub sign-in is off when unset.
	OAuthGitHubClientID string `env:"OAUTH_GITHUB_CLIENT_ID"`

	// OAuthGitHubClientSecret (OAUTH_GITHUB_CLIENT_SECRET): GitHub OAuth app
	// client secret.
	OAuthGitHubClientSecret string `env:"OAUTH_GITHUB_CLIENT_SECRET"`

	// OAuthGoogleClientID (OAUTH_GOOGLE_CLIENT_ID): Google OAuth client id;
	// Google sign-in is off when unset.
	OAuthGoogleClientID string `env:"OAUTH_GOOGLE_CLIENT_ID"`

	// OAuthGoogleClientSecret (OAUTH_GOOGLE_CLIENT_SECRET): Google OAuth
	// client secret.
	OAuthGoogleClientSecret string `env:"OAUTH_GOOGLE_CLIENT_SECRET"`

	// Feature ai: AI gateway - one interface over OpenAI, Anthropic and
	// Gemini, routed by complexity, streamed over SSE, with per-user daily
	// token budgets and usage records.
	//
	// AIDefaultProvider (AI_DEFAULT_PROVIDER): Provider of calls that name
	// neither a provider nor a complexity: openai, anthropic or gemini.
	AIDefaultProvider string `env:"AI_DEFAULT_PROVIDER" envDefault:"openai"`

	// AIDefaultModel (AI_DEFAULT_MODEL): Model of such calls; empty means the
	// default provider's own default model.
	AIDefaultModel string `env:"AI_DEFAULT_MODEL"`

	// AIFallbackOrder (AI_FALLBACK_ORDER): Comma-separated providers tried, in
	// order, when the chosen one is not configured or fails (each with its
	// default model); a call that names its provider is never rerouted.
	AIFallbackOrder []string `env:"AI_FALLBACK_ORDER" envDefault:"openai,anthropic,gemini"`

	// AIRouteSimple (AI_ROUTE_SIMPLE): Route of complexity simple, as
	// provider:model:USD per 1k input tokens:USD per 1k output tokens.
	AIRouteSimple ai.Route `env:"AI_ROUTE_SIMPLE" envDefault:"openai:gpt-4o-mini:0.00015:0.0006"`

	// AIRouteModerate (AI_ROUTE_MODERATE): Route of complexity moderate, in
	// the same form.
	AIRouteModerate ai.Route `env:"AI_ROUTE_MODERATE" envDefault:"openai:gpt-4o:0.0025:0.01"`

	// AIRouteComplex (AI_ROUTE_COMPLEX): Route of complexity complex, in the
	// same form.
	AIRouteComplex ai.Route `env:"AI_ROUTE_COMPLEX" envDefault:"anthropic:claude-sonnet-4-5:0.003:0.015"`

	// AIAllowedModels (AI_ALLOWED_MODELS): Comma-separated models a request
	// may name; empty means the models of the routes, AI_DEFAULT_MODEL and
	// each provider's default model.
	AIAllowedModels []string `env:"AI_ALLOWED_MODELS"`

	// AITimeout (AI_TIMEOUT): Time a completion may take, retries included.
	AITimeout time.Duration `env:"AI_TIMEOUT" envDefault:"60s"`

	// AIStreamTimeout (AI_STREAM_TIMEOUT): Time a streamed completion may take
	// in total; it replaces HTTP_WRITE_TIMEOUT for streams.
	AIStreamTimeout time.Duration `env:"AI_STREAM_TIMEOUT" envDefault:"5m"`

	// AIStreamIdleTimeout (AI_STREAM_IDLE_TIMEOUT): Time a stream may wait for
	// the provider's next delta before it ends with an error event.
	AIStreamIdleTimeout time.Duration `env:"AI_STREAM_IDLE_TIMEOUT" envDefault:"30s"`

	// AIMaxPromptBytes (AI_MAX_PROMPT_BYTES): Largest prompt (all message
	// contents together) in bytes; larger ones get 413 before any provider is
	// called.
	AIMaxPromptBytes int `env:"AI_MAX_PROMPT_BYTES" envDefault:"32768"`

	// AIMaxTokens (AI_MAX_TOKENS): Largest max_tokens a request may ask for,
	// and the value of requests that ask for none.
	AIMaxTokens int `env:"AI_MAX_TOKENS" envDefault:"4096"`

	// AIDailyTokenBudget (AI_DAILY_TOKEN_BUDGET): Tokens (input and output)
	// each user may spend per UTC day; then AI calls get 429 until midnight
	// UTC. 0 means unlimited.
	AIDailyTokenBudget int64 `env:"AI_DAILY_TOKEN_BUDGET" envDefault:"200000"`

	// AIMaxConcurrent (AI_MAX_CONCURRENT): AI calls this instance makes at
	// once; more get 503 with Retry-After.
	AIMaxConcurrent int `env:"AI_MAX_CONCURRENT" envDefault:"32"`

	// AIMaxConcurrentPerUser (AI_MAX_CONCURRENT_PER_USER): AI calls one user
	// may have in progress at once; more get 429.
	AIMaxConcurrentPerUser int `env:"AI_MAX_CONCURRENT_PER_USER" envDefault:"4"`

	// Feature ai-anthropic: Anthropic Claude behind the AI gateway, through
	// the Messages API.
	//
	// AnthropicAPIKey (ANTHROPIC_API_KEY): Anthropic API key; the provider is
	// unavailable when unset.
	AnthropicAPIKey string `env:"ANTHROPIC_API_KEY"`

	// AnthropicBaseURL (ANTHROPIC_BASE_URL): Base URL of the API; empty means
	// https://api.anthropic.com.
	AnthropicBaseURL string `env:"ANTHROPIC_BASE_URL"`

	// AnthropicDefaultModel (ANTHROPIC_DEFAULT_MODEL): Model used when
	// Anthropic answers a call that names no model, or as a fallback.
	AnthropicDefaultModel string `env:"ANTHROPIC_DEFAULT_MODEL" envDefault:"claude-sonnet-4-5"`

	// Feature ai-gemini: Google Gemini behind the AI gateway, through the
	// Gemini API (google.golang.org/genai).
	//
	// GoogleAPIKey (GOOGLE_API_KEY): Gemini API key from Google AI Studio; the
	// provider is unavailable when unset.
	GoogleAPIKey string `env:"GOOGLE_API_KEY"`

	// GoogleGeminiBaseURL (GOOGLE_GEMINI_BASE_URL): Base URL of the Gemini
	// API; empty means https://generativelanguage.googleapis.com.
	GoogleGeminiBaseURL string `env:"GOOGLE_GEMINI_BASE_URL"`

	// GeminiDefaultModel (GEMINI_DEFAULT_MODEL): Model used when Gemini
	// answers a call that names no model, or as a fallback.
	GeminiDefaultModel string `env:"GEMINI_DEFAULT_MODEL" envDefault:"gemini-2.5-flash"`

	// Feature ai-openai: OpenAI (or any OpenAI-compatible server - vLLM,
	// Ollama, OpenRouter, LiteLLM) behind the AI gateway, through the Chat
	// Completions API.
	//
	// OpenAIAPIKey (OPENAI_API_KEY): OpenAI API key; the provider is
	// unavailable when unset.
	OpenAIAPIKey string `env:"OPENAI_API_KEY"`

	// OpenAIBaseURL (OPENAI_BASE_URL): Base URL of the API, e.g.
	// http://localhost:11434/v1 for Ollama; empty means
	// https://api.openai.com/v1.
	OpenAIBaseURL string `env:"OPENAI_BASE_URL"`

	// OpenAIDefaultModel (OPENAI_DEFAULT_MODEL): Model used when OpenAI
	// answers a call that names no model, or as a fallback.
	OpenAIDefaultModel string `env:"OPENAI_DEFAULT_MODEL" envDefault:"gpt-4o-mini"`
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

	for key, names := range map[string][]string{"AI_DEFAULT_PROVIDER": {c.AIDefaultProvider}, "AI_FALLBACK_ORDER": c.AIFallbackOrder} {
		for _, n := range names {
			if !slices.Contains(ai.ProviderNames, n) {
				errs = append(errs, fmt.Errorf("%s: %q is not one of %s", key, n, strings.Join(ai.ProviderNames, ", ")))
			}
		}
	}
	for key, n := range map[string]int{"AI_MAX_PROMPT_BYTES": c.AIMaxPromptBytes, "AI_MAX_TOKENS": c.AIMaxTokens, "AI_MAX_CONCURRENT": c.AIMaxConcurrent, "AI_MAX_CONCURRENT_PER_USER": c.AIMaxConcurrentPerUser} {
		if n < 1 {
			errs = append(errs, fmt.Errorf("%s: %d must be positive", key, n))
		}
	}
	for key, d := range map[string]time.Duration{"AI_TIMEOUT": c.AITimeout, "AI_STREAM_TIMEOUT": c.AIStreamTimeout, "AI_STREAM_IDLE_TIMEOUT": c.AIStreamIdleTimeout} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %s must be positive", key, d))
		}
	}
	if c.AIDailyTokenBudget < 0 {
		errs = append(errs, fmt.Errorf("AI_DAILY_TOKEN_BUDGET: %d must not be negative (0 means unlimited)", c.AIDailyTokenBudget))
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
