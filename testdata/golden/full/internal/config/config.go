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
	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/contact"
	"example.com/myapp/internal/email"
	"example.com/myapp/internal/jobs"
	"example.com/myapp/internal/ratelimit"
	"example.com/myapp/internal/telemetry"
	"example.com/myapp/internal/versioning"
	"example.com/myapp/internal/webhook"
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

	// Feature metrics: Prometheus metrics at /metrics (RED per route pattern,
	// Go runtime, database pool, every feature's own) behind a bearer token or
	// on a port of their own, with a Grafana dashboard and Prometheus in
	// compose.
	//
	// MetricsToken (METRICS_TOKEN): Bearer token that /metrics on the main
	// port requires (and the METRICS_PORT listener too, when both are set);
	// empty: /metrics is not served on the main port. In production at least
	// 32 characters, e.g. openssl rand -hex 32.
	MetricsToken string `env:"METRICS_TOKEN"`

	// MetricsPort (METRICS_PORT): TCP port of a separate listener serving only
	// /metrics, for a scraper on a private network; 0: none.
	MetricsPort int `env:"METRICS_PORT" envDefault:"0"`

	// Feature redis: Redis client (go-redis v9) with a readiness check; shares
	// rate limits across instances.
	//
	// RedisURL (REDIS_URL): Redis connection URL (redis:// or rediss:// for
	// TLS); empty keeps rate limits and other shared state in this process.
	RedisURL string `env:"REDIS_URL"`

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

	// Feature admin: Admin endpoints - dashboard stats from every feature, an
	// append-only audit log, and impersonation with short-lived actor tokens
	// (auth-builtin).
	//
	// ImpersonationTTL (IMPERSONATION_TTL): Lifetime of an impersonation token
	// (auth-builtin only): at most 10m; it is never refreshed.
	ImpersonationTTL time.Duration `env:"IMPERSONATION_TTL" envDefault:"10m"`

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

	// Feature feature-flags: Feature flags (boolean, percentage, user list,
	// plan) served from memory, an OpenFeature provider and admin CRUD.
	//
	// FlagsRefreshInterval (FLAGS_REFRESH_INTERVAL): How often each instance
	// reloads the flags from the database in any case; changes made through
	// the API apply at once.
	FlagsRefreshInterval time.Duration `env:"FLAGS_REFRESH_INTERVAL" envDefault:"30s"`

	// Feature jobs: Background jobs on the service's own database (river) with
	// retries, periodic jobs, a worker command and admin endpoints.
	//
	// JobsInProcess (JOBS_IN_PROCESS): Work background jobs inside serve; set
	// false on API instances when `server worker` runs them elsewhere.
	JobsInProcess bool `env:"JOBS_IN_PROCESS" envDefault:"true"`

	// JobsQueues (JOBS_QUEUES): Queues this process works and how many jobs of
	// each at once, comma-separated name=workers.
	JobsQueues jobs.Queues `env:"JOBS_QUEUES" envDefault:"default=10"`

	// JobsMaxAttempts (JOBS_MAX_ATTEMPTS): Attempts a failing job gets
	// (retried with exponential backoff) before it is discarded.
	JobsMaxAttempts int `env:"JOBS_MAX_ATTEMPTS" envDefault:"25"`

	// JobsTimeout (JOBS_TIMEOUT): Longest a job may run when its type sets no
	// timeout of its own; its context is then cancelled.
	JobsTimeout time.Duration `env:"JOBS_TIMEOUT" envDefault:"1m"`

	// JobsRescueAfter (JOBS_RESCUE_AFTER): How long a job may stay running
	// before it counts as stuck (its worker died) and is retried; keep it
	// above every job timeout.
	JobsRescueAfter time.Duration `env:"JOBS_RESCUE_AFTER" envDefault:"1h"`

	// Feature email: Transactional email shared by email-resend,
	// email-sendgrid and email-smtp (Mailer, templates, header checks, log
	// mailer).
	//
	// EmailFrom (EMAIL_FROM): Sender address of every email; in production an
	// address of a domain your provider lets you send from.
	EmailFrom email.Address `env:"EMAIL_FROM" envDefault:"no-reply@localhost"`

	// EmailFromName (EMAIL_FROM_NAME): Display name of the sender.
	EmailFromName string `env:"EMAIL_FROM_NAME" envDefault:"myapp"`

	// EmailReplyTo (EMAIL_REPLY_TO): Reply-To address of every email; empty
	// for none.
	EmailReplyTo email.Address `env:"EMAIL_REPLY_TO"`

	// EmailLinkBaseURL (EMAIL_LINK_BASE_URL): Public URL the links in emails
	// start with: <url>/verify-email?token=... and
	// <url>/reset-password?token=... (this service serves both pages; point it
	// at your front end to serve them there).
	EmailLinkBaseURL string `env:"EMAIL_LINK_BASE_URL" envDefault:"http://localhost:8080"`

	// EmailSendTimeout (EMAIL_SEND_TIMEOUT): How long one attempt to hand an
	// email to the provider may take.
	EmailSendTimeout time.Duration `env:"EMAIL_SEND_TIMEOUT" envDefault:"15s"`

	// Feature email-smtp: Transactional email through any SMTP server
	// (go-mail, STARTTLS required); Mailpit in compose for development.
	//
	// SMTPHost (SMTP_HOST): SMTP server host name; empty in development logs
	// emails instead of sending them (required in production).
	SMTPHost string `env:"SMTP_HOST"`

	// SMTPPort (SMTP_PORT): SMTP server port: 587 for STARTTLS, 465 for
	// SMTP_TLS=tls, 1025 for Mailpit.
	SMTPPort Port `env:"SMTP_PORT" envDefault:"587"`

	// SMTPUsername (SMTP_USERNAME): SMTP user name; empty sends without
	// authentication.
	SMTPUsername string `env:"SMTP_USERNAME"`

	// SMTPPassword (SMTP_PASSWORD): SMTP password.
	SMTPPassword string `env:"SMTP_PASSWORD"`

	// SMTPTLS (SMTP_TLS): starttls (the server must offer STARTTLS, or nothing
	// is sent), tls (TLS from the first byte, port 465) or off (plain text,
	// for a local catcher such as Mailpit; refused in production).
	SMTPTLS string `env:"SMTP_TLS" envDefault:"starttls"`

	// Feature contact: Contact form with bot checks, per-IP limit, admin
	// inbox, email notices and signed webhooks.
	//
	// AdminEmail (ADMIN_EMAIL): Where a contact message is sent (with an email
	// feature); empty for no email to the operators.
	AdminEmail string `env:"ADMIN_EMAIL"`

	// ContactSendConfirmation (CONTACT_SEND_CONFIRMATION): Whether the sender
	// gets a confirmation email quoting the message and its reference (with an
	// email feature); false keeps the form from mailing text of anyone's
	// choosing to addresses of their choosing.
	ContactSendConfirmation bool `env:"CONTACT_SEND_CONFIRMATION" envDefault:"true"`

	// ContactFormSecret (CONTACT_FORM_SECRET): Key (at least 32 characters)
	// signing the contact form tokens and hashing client addresses; required
	// in production, random per process when empty otherwise.
	ContactFormSecret string `env:"CONTACT_FORM_SECRET"`

	// ContactMinSeconds (CONTACT_MIN_SECONDS): Seconds a person needs at least
	// between fetching the form token and sending; faster senders are dropped
	// as bots.
	ContactMinSeconds int `env:"CONTACT_MIN_SECONDS" envDefault:"3"`

	// ContactRateLimit (CONTACT_RATE_LIMIT): Messages one client address may
	// send, as count/unit with unit minute, hour or day; the next one is 429.
	ContactRateLimit contact.Limit `env:"CONTACT_RATE_LIMIT" envDefault:"5/hour"`

	// ContactRequireSubject (CONTACT_REQUIRE_SUBJECT): Whether a contact
	// message needs a subject.
	ContactRequireSubject bool `env:"CONTACT_REQUIRE_SUBJECT" envDefault:"false"`

	// ContactRequirePhone (CONTACT_REQUIRE_PHONE): Whether a contact message
	// needs a phone number.
	ContactRequirePhone bool `env:"CONTACT_REQUIRE_PHONE" envDefault:"false"`

	// ContactWebhookURL (CONTACT_WEBHOOK_URL): https URL (Zapier, Make,
	// n8n...) each contact message is posted to, signed per Standard Webhooks;
	// empty for none.
	ContactWebhookURL string `env:"CONTACT_WEBHOOK_URL"`

	// ContactWebhookSecret (CONTACT_WEBHOOK_SECRET): Signing secret of
	// CONTACT_WEBHOOK_URL, whsec_<base64 of 24 to 64 bytes>; two separated by
	// a space sign with both while you rotate.
	ContactWebhookSecret webhook.Secrets `env:"CONTACT_WEBHOOK_SECRET"`

	// WebhookAllowPrivateNetworks (WEBHOOK_ALLOW_PRIVATE_NETWORKS): Let
	// webhooks reach http URLs and private, loopback and link-local addresses
	// (development and tests; refused in production).
	WebhookAllowPrivateNetworks bool `env:"WEBHOOK_ALLOW_PRIVATE_NETWORKS" envDefault:"false"`

	// Feature otel: OpenTelemetry tracing over OTLP/HTTP or the console; spans
	// for requests, SQL, Redis, jobs and outbound calls; trace ids in logs.
	//
	// OTELExporter (OTEL_EXPORTER): Where spans go: otlp (OTLP/HTTP to
	// OTEL_EXPORTER_OTLP_ENDPOINT; tracing is off while that is empty),
	// console (JSON on standard error, for development) or none.
	OTELExporter telemetry.Exporter `env:"OTEL_EXPORTER" envDefault:"otlp"`

	// OTELEndpoint (OTEL_EXPORTER_OTLP_ENDPOINT): Base URL of the OTLP/HTTP
	// collector (spans go to <url>/v1/traces); OTEL_EXPORTER_OTLP_HEADERS adds
	// headers such as an API key.
	OTELEndpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`

	// OTELServiceName (OTEL_SERVICE_NAME): service.name of every span; empty:
	// the service's name.
	OTELServiceName string `env:"OTEL_SERVICE_NAME"`

	// OTELSampler (OTEL_TRACES_SAMPLER): always_on, always_off, traceidratio,
	// or parentbased_ of one of them (follow the caller's decision when a
	// request carries one).
	OTELSampler telemetry.Sampler `env:"OTEL_TRACES_SAMPLER" envDefault:"parentbased_always_on"`

	// OTELSamplerArg (OTEL_TRACES_SAMPLER_ARG): Fraction of new traces the
	// traceidratio samplers keep, from 0 to 1.
	OTELSamplerArg telemetry.Ratio `env:"OTEL_TRACES_SAMPLER_ARG" envDefault:"1"`

	// OTELDisabled (OTEL_SDK_DISABLED): true turns tracing off whatever the
	// other variables say: no middleware, no spans.
	OTELDisabled bool `env:"OTEL_SDK_DISABLED" envDefault:"false"`

	// Feature payments-stripe: Stripe checkout, customer portal, plans from
	// subscriptions, verified idempotent webhooks and usage-based billing
	// through meter events.
	//
	// StripeSecretKey (STRIPE_SECRET_KEY): Stripe secret key (sk_test_... or,
	// in production, sk_live_...); empty: the service starts and the billing
	// endpoints answer 503.
	StripeSecretKey string `env:"STRIPE_SECRET_KEY"`

	// StripeWebhookSecret (STRIPE_WEBHOOK_SECRET): Signing secret(s) of the
	// webhook endpoint (whsec_...), comma-separated while rolling a secret;
	// empty: the webhook answers 503.
	StripeWebhookSecret []string `env:"STRIPE_WEBHOOK_SECRET"`

	// StripePlans (STRIPE_PLANS): The plans, lowest first, as name:price id
	// (an empty price id is the plan of users without a subscription);
	// RequirePlan(p) admits p and every plan after it.
	StripePlans billing.Plans `env:"STRIPE_PLANS" envDefault:"free:"`

	// StripeSuccessURL (STRIPE_SUCCESS_URL): Where Stripe Checkout sends the
	// customer after paying (never taken from a request).
	StripeSuccessURL string `env:"STRIPE_SUCCESS_URL" envDefault:"http://localhost:8080/billing/success?session_id={CHECKOUT_SESSION_ID}"`

	// StripeCancelURL (STRIPE_CANCEL_URL): Where Stripe Checkout sends a
	// customer who gives up.
	StripeCancelURL string `env:"STRIPE_CANCEL_URL" envDefault:"http://localhost:8080/billing/cancel"`

	// StripePortalReturnURL (STRIPE_PORTAL_RETURN_URL): Where the Stripe
	// Customer Portal's back link leads.
	StripePortalReturnURL string `env:"STRIPE_PORTAL_RETURN_URL" envDefault:"http://localhost:8080/billing"`

	// StripeAllowTestKey (STRIPE_ALLOW_TEST_KEY): Let a production service
	// start with an sk_test_ key (a staging environment that calls itself
	// production).
	StripeAllowTestKey bool `env:"STRIPE_ALLOW_TEST_KEY" envDefault:"false"`

	// StripeAPIBase (STRIPE_API_BASE): Base URL of the Stripe API, for tests
	// and mocks only (e.g. stripe-mock's http://localhost:12111); empty:
	// https://api.stripe.com.
	StripeAPIBase string `env:"STRIPE_API_BASE"`

	// StripeWebhookMaxBytes (STRIPE_WEBHOOK_MAX_BYTES): Largest webhook body
	// read; a larger one gets 413 before anything parses it.
	StripeWebhookMaxBytes int64 `env:"STRIPE_WEBHOOK_MAX_BYTES" envDefault:"65536"`

	// StripeUsageInterval (STRIPE_USAGE_INTERVAL): How often the usage
	// reporter sends recorded usage to Stripe's meter events.
	StripeUsageInterval time.Duration `env:"STRIPE_USAGE_INTERVAL" envDefault:"1m"`

	// StripeUsageBatch (STRIPE_USAGE_BATCH): Usage events the reporter reads
	// and sends per batch.
	StripeUsageBatch int `env:"STRIPE_USAGE_BATCH" envDefault:"100"`

	// Feature storage: File uploads shared by storage-s3, storage-r2 and
	// storage-local (files table, quota, sniffed types, /api/v1/files).
	//
	// StorageMaxFileBytes (STORAGE_MAX_FILE_BYTES): Largest file accepted, in
	// bytes; a multipart upload is also bounded by MAX_BODY_BYTES, so raise
	// both for larger files (presigned uploads on S3/R2 are bounded by this
	// one only).
	StorageMaxFileBytes int64 `env:"STORAGE_MAX_FILE_BYTES" envDefault:"1048576"`

	// StorageQuotaBytes (STORAGE_QUOTA_BYTES): Total bytes of files one user
	// may keep.
	StorageQuotaBytes int64 `env:"STORAGE_QUOTA_BYTES" envDefault:"104857600"`

	// StorageMaxFiles (STORAGE_MAX_FILES): Number of files one user may keep.
	StorageMaxFiles int `env:"STORAGE_MAX_FILES" envDefault:"1000"`

	// StorageAllowedTypes (STORAGE_ALLOWED_TYPES): Comma-separated media types
	// a file may have, as read from its first bytes (http.DetectContentType),
	// never from the client's header or file name.
	StorageAllowedTypes []string `env:"STORAGE_ALLOWED_TYPES" envDefault:"image/png,image/jpeg,image/gif,image/webp,application/pdf"`

	// StorageURLTTL (STORAGE_URL_TTL): Lifetime of presigned download and
	// upload URLs (S3, R2); at most 15m.
	StorageURLTTL time.Duration `env:"STORAGE_URL_TTL" envDefault:"5m"`

	// Feature storage-local: File uploads kept on the local disk, confined to
	// one directory with os.OpenRoot; downloads streamed as attachments.
	//
	// StorageLocalDir (STORAGE_LOCAL_DIR): Directory the files are kept in
	// (created by the first upload); nothing outside it is ever read or
	// written. Every instance must see the same directory.
	StorageLocalDir string `env:"STORAGE_LOCAL_DIR" envDefault:"data/files"`

	// Feature versioning: API v2 beside v1 (own OpenAPI document, enveloped
	// answers), version by path or Accept-Version header, and RFC 9745/8594
	// deprecation headers for v1.
	//
	// APIV1DeprecatedAt (API_V1_DEPRECATED_AT): When v1 is (or will be)
	// deprecated, RFC 3339 (e.g. 2026-06-30T00:00:00Z); v1 answers then carry
	// Deprecation. Unset: not deprecated.
	APIV1DeprecatedAt time.Time `env:"API_V1_DEPRECATED_AT"`

	// APIV1SunsetAt (API_V1_SUNSET_AT): When v1 will stop answering, RFC 3339,
	// not earlier than API_V1_DEPRECATED_AT; v1 answers then carry Sunset.
	APIV1SunsetAt time.Time `env:"API_V1_SUNSET_AT"`

	// APIV1DeprecationLink (API_V1_DEPRECATION_LINK): http(s) URL of a page
	// about v1's deprecation, sent as Link rel=deprecation; needs
	// API_V1_DEPRECATED_AT.
	APIV1DeprecationLink versioning.Link `env:"API_V1_DEPRECATION_LINK"`

	// Feature websocket: Authenticated WebSockets (coder/websocket) -
	// single-use tickets, channels with per-subscribe authorization, presence,
	// heartbeats and limits; fan-out across instances through Redis.
	//
	// WSAllowedOrigins (WS_ALLOWED_ORIGINS): Comma-separated browser origins
	// (scheme://host[:port], exact) that may open WebSockets besides the
	// service's own host; requests without Origin (non-browser clients) are
	// accepted.
	WSAllowedOrigins Origins `env:"WS_ALLOWED_ORIGINS"`

	// WSAllowQueryToken (WS_ALLOW_QUERY_TOKEN): Also accept an access token as
	// ?token= on GET /api/v1/ws (it is redacted in access logs); prefer a
	// ticket from POST /api/v1/ws/ticket.
	WSAllowQueryToken bool `env:"WS_ALLOW_QUERY_TOKEN" envDefault:"false"`

	// WSPingInterval (WS_PING_INTERVAL): How often every WebSocket is pinged.
	WSPingInterval time.Duration `env:"WS_PING_INTERVAL" envDefault:"30s"`

	// WSPingTimeout (WS_PING_TIMEOUT): How long a pong may take before the
	// connection is dropped.
	WSPingTimeout time.Duration `env:"WS_PING_TIMEOUT" envDefault:"10s"`

	// WSMaxMessageBytes (WS_MAX_MESSAGE_BYTES): Largest message a client may
	// send; a larger one closes the connection with 1009.
	WSMaxMessageBytes int64 `env:"WS_MAX_MESSAGE_BYTES" envDefault:"32768"`

	// WSMaxConnectionsPerUser (WS_MAX_CONNECTIONS_PER_USER): Open WebSockets a
	// user may have on one instance; more are refused with 429.
	WSMaxConnectionsPerUser int `env:"WS_MAX_CONNECTIONS_PER_USER" envDefault:"10"`

	// WSMessagesPerMinute (WS_MESSAGES_PER_MINUTE): Messages a connection may
	// send per minute (bursts up to as many); beyond, it is closed with 1008.
	WSMessagesPerMinute int `env:"WS_MESSAGES_PER_MINUTE" envDefault:"120"`
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

	switch {
	case c.MetricsPort < 0 || c.MetricsPort > 65535:
		errs = append(errs, fmt.Errorf("METRICS_PORT: %d is not a port (1-65535), nor 0 for none", c.MetricsPort))
	case c.MetricsPort != 0 && c.MetricsPort == int(c.Port):
		errs = append(errs, fmt.Errorf("METRICS_PORT: %d is PORT too; choose another port, or set METRICS_PORT=0 and METRICS_TOKEN to serve /metrics on PORT", c.MetricsPort))
	}
	if c.Env == Production && c.MetricsToken != "" && len(c.MetricsToken) < 32 {
		errs = append(errs, fmt.Errorf("METRICS_TOKEN: %d characters is too short for production; use at least 32, e.g. from openssl rand -hex 32", len(c.MetricsToken)))
	}

	if strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New(`DATABASE_URL: this service uses SQLite; want a file URL such as "file:data/app.db"`))
	}

	if c.ImpersonationTTL <= 0 || c.ImpersonationTTL > 10*time.Minute {
		errs = append(errs, fmt.Errorf("IMPERSONATION_TTL: %s; want more than 0 and at most 10m", c.ImpersonationTTL))
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

	if c.FlagsRefreshInterval < time.Second {
		errs = append(errs, fmt.Errorf("FLAGS_REFRESH_INTERVAL: %s must be at least 1s", c.FlagsRefreshInterval))
	}

	if c.JobsMaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("JOBS_MAX_ATTEMPTS: %d must be at least 1", c.JobsMaxAttempts))
	}
	if c.JobsTimeout <= 0 {
		errs = append(errs, fmt.Errorf("JOBS_TIMEOUT: %s must be positive: every job needs a time limit", c.JobsTimeout))
	}
	if c.JobsRescueAfter <= c.JobsTimeout {
		errs = append(errs, fmt.Errorf("JOBS_RESCUE_AFTER: %s must be longer than JOBS_TIMEOUT (%s), or running jobs would be run twice", c.JobsRescueAfter, c.JobsTimeout))
	}

	if strings.ContainsAny(c.EmailFromName, "\r\n") {
		errs = append(errs, errors.New("EMAIL_FROM_NAME: must be one line"))
	}
	if u, err := url.Parse(c.EmailLinkBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("EMAIL_LINK_BASE_URL: %q is not an http(s) URL such as https://app.example.com", c.EmailLinkBaseURL))
	}
	if c.EmailSendTimeout <= 0 {
		errs = append(errs, fmt.Errorf("EMAIL_SEND_TIMEOUT: %s must be positive", c.EmailSendTimeout))
	}

	switch c.SMTPTLS {
	case "starttls", "tls":
	case "off":
		if c.Env == Production {
			errs = append(errs, errors.New("SMTP_TLS: off sends mail and passwords in plain text; use starttls or tls in production"))
		}
	default:
		errs = append(errs, fmt.Errorf("SMTP_TLS: %q is not one of starttls, tls, off", c.SMTPTLS))
	}

	if c.ContactFormSecret != "" && len(c.ContactFormSecret) < 32 {
		errs = append(errs, errors.New("CONTACT_FORM_SECRET: at least 32 characters (e.g. openssl rand -base64 32)"))
	}
	if c.ContactMinSeconds < 0 || c.ContactMinSeconds > 600 {
		errs = append(errs, fmt.Errorf("CONTACT_MIN_SECONDS: %d; want 0 to 600", c.ContactMinSeconds))
	}
	if c.AdminEmail != "" {
		if err := contact.CheckAddress(c.AdminEmail); err != nil {
			errs = append(errs, fmt.Errorf("ADMIN_EMAIL: %w", err))
		}
	}
	if c.WebhookAllowPrivateNetworks && c.Env == Production {
		errs = append(errs, errors.New("WEBHOOK_ALLOW_PRIVATE_NETWORKS: true lets webhooks reach internal addresses; refused in production"))
	}
	if c.ContactWebhookURL != "" {
		if err := webhook.CheckURL(c.ContactWebhookURL, c.WebhookAllowPrivateNetworks); err != nil {
			errs = append(errs, fmt.Errorf("CONTACT_WEBHOOK_URL: %w", err))
		}
		if len(c.ContactWebhookSecret) == 0 {
			errs = append(errs, errors.New("CONTACT_WEBHOOK_SECRET: required with CONTACT_WEBHOOK_URL (whsec_<base64>)"))
		}
	}

	// A live key outside production bills real cards from a laptop; a test
	// key in production takes no money.
	switch key := c.StripeSecretKey; {
	case (strings.HasPrefix(key, "sk_live_") || strings.HasPrefix(key, "rk_live_")) && c.Env != Production:
		errs = append(errs, fmt.Errorf("STRIPE_SECRET_KEY: a live key (sk_live_) is refused when APP_ENV is %s; use an sk_test_ key", c.Env))
	case (strings.HasPrefix(key, "sk_test_") || strings.HasPrefix(key, "rk_test_")) && c.Env == Production && !c.StripeAllowTestKey:
		errs = append(errs, errors.New("STRIPE_SECRET_KEY: a test key (sk_test_) in production; set STRIPE_ALLOW_TEST_KEY=true if that is meant"))
	}
	for _, s := range c.StripeWebhookSecret {
		if !strings.HasPrefix(s, "whsec_") {
			errs = append(errs, errors.New("STRIPE_WEBHOOK_SECRET: each secret starts with whsec_ (the endpoint's signing secret)"))
			break
		}
	}
	if c.StripeWebhookMaxBytes < 1024 {
		errs = append(errs, fmt.Errorf("STRIPE_WEBHOOK_MAX_BYTES: %d; want at least 1024", c.StripeWebhookMaxBytes))
	}
	if c.StripeUsageBatch < 1 || c.StripeUsageBatch > 1000 {
		errs = append(errs, fmt.Errorf("STRIPE_USAGE_BATCH: %d; want 1 to 1000", c.StripeUsageBatch))
	}
	if c.StripeUsageInterval < time.Second {
		errs = append(errs, fmt.Errorf("STRIPE_USAGE_INTERVAL: %s; want at least 1s", c.StripeUsageInterval))
	}
	for key, u := range map[string]string{"STRIPE_SUCCESS_URL": c.StripeSuccessURL, "STRIPE_CANCEL_URL": c.StripeCancelURL, "STRIPE_PORTAL_RETURN_URL": c.StripePortalReturnURL} {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", key, u))
		}
	}

	if c.StorageMaxFileBytes < 1 {
		errs = append(errs, fmt.Errorf("STORAGE_MAX_FILE_BYTES: %d must be positive", c.StorageMaxFileBytes))
	}
	if c.StorageQuotaBytes < c.StorageMaxFileBytes {
		errs = append(errs, fmt.Errorf("STORAGE_QUOTA_BYTES: %d must be at least STORAGE_MAX_FILE_BYTES (%d)", c.StorageQuotaBytes, c.StorageMaxFileBytes))
	}
	if c.StorageMaxFiles < 1 {
		errs = append(errs, fmt.Errorf("STORAGE_MAX_FILES: %d must be positive", c.StorageMaxFiles))
	}
	if len(c.StorageAllowedTypes) == 0 {
		errs = append(errs, errors.New("STORAGE_ALLOWED_TYPES: name at least one media type"))
	}
	for _, t := range c.StorageAllowedTypes {
		typ, sub, ok := strings.Cut(t, "/")
		switch lower := strings.ToLower(t); {
		case !ok || typ == "" || sub == "" || strings.Contains(sub, "/") || strings.ContainsAny(t, " ;,\t"):
			errs = append(errs, fmt.Errorf("STORAGE_ALLOWED_TYPES: %q is not a media type such as image/png", t))
		case strings.Contains(lower, "html") || strings.Contains(lower, "xml") || strings.Contains(lower, "javascript"):
			errs = append(errs, fmt.Errorf("STORAGE_ALLOWED_TYPES: %q can run script in a browser; it may not be allowed", t))
		}
	}
	if c.StorageURLTTL <= 0 || c.StorageURLTTL > 15*time.Minute {
		errs = append(errs, fmt.Errorf("STORAGE_URL_TTL: %s must be positive and at most 15m", c.StorageURLTTL))
	}

	if !c.APIV1DeprecatedAt.IsZero() && !c.APIV1SunsetAt.IsZero() && c.APIV1SunsetAt.Before(c.APIV1DeprecatedAt) {
		errs = append(errs, fmt.Errorf("API_V1_SUNSET_AT: %s is earlier than API_V1_DEPRECATED_AT %s; a version cannot be retired before it is deprecated (RFC 9745)",
			c.APIV1SunsetAt.Format(time.RFC3339), c.APIV1DeprecatedAt.Format(time.RFC3339)))
	}
	if c.APIV1DeprecationLink != "" && c.APIV1DeprecatedAt.IsZero() {
		errs = append(errs, errors.New("API_V1_DEPRECATION_LINK: needs API_V1_DEPRECATED_AT: a deprecation link without a deprecation date means nothing"))
	}

	for key, d := range map[string]time.Duration{"WS_PING_INTERVAL": c.WSPingInterval, "WS_PING_TIMEOUT": c.WSPingTimeout} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %s must be positive", key, d))
		}
	}
	for key, n := range map[string]int64{
		"WS_MAX_MESSAGE_BYTES":        c.WSMaxMessageBytes,
		"WS_MAX_CONNECTIONS_PER_USER": int64(c.WSMaxConnectionsPerUser),
		"WS_MESSAGES_PER_MINUTE":      int64(c.WSMessagesPerMinute),
	} {
		if n < 1 {
			errs = append(errs, fmt.Errorf("%s: %d must be positive", key, n))
		}
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
