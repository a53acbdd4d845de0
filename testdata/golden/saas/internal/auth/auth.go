// Package auth is the service's own sign-in: registration, login with
// argon2id passwords, short-lived HS256 access tokens, rotating refresh
// tokens, logout, password reset, email verification, and optional sign-in
// with GitHub or Google.
//
// Security properties, each covered by a test in this package:
//   - access tokens: one algorithm (HS256) fixed by the server, a 256-bit
//     key, exact iss and aud, exp required, 30 s leeway, "typ: at+jwt";
//   - refresh tokens: opaque, random, stored hashed, single use; reusing a
//     spent one revokes the whole sign-in (RFC 9700 §4.14.2);
//   - sign-ins: access tokens carry their sign-in's id (sid), and those of
//     a revoked sign-in are refused (logout, reuse, password reset);
//   - logins: no user enumeration (same answer and cost for unknown
//     emails), throttled per account and per IP, and at most a few argon2id
//     hashes at a time so a flood cannot exhaust memory.
package auth

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/security"
	"example.com/myapp/internal/users"
)

// Config configures the Service. The lifetimes of access tokens, refresh
// tokens and sign-ins are required (the config has their defaults); other
// zero durations and limits take the defaults named on each field.
type Config struct {
	// Production makes a missing Secret an error instead of a warning.
	Production bool
	// Secret is JWT_SECRET: at least 32 random bytes, base64-encoded. Empty
	// in development means an ephemeral key made at start.
	Secret string
	// Issuer and Audience are the exact iss and aud of access tokens.
	Issuer, Audience string
	// AccessTTL is the lifetime of an access token (AUTH_ACCESS_TTL).
	AccessTTL time.Duration
	// RefreshTTL is the lifetime of one refresh token (AUTH_REFRESH_TTL);
	// each use gives a new one.
	RefreshTTL time.Duration
	// SessionMaxAge caps a sign-in however often it is refreshed
	// (AUTH_SESSION_MAX_AGE).
	SessionMaxAge time.Duration
	// ResetTTL and VerifyTTL are the lifetimes of password-reset (1h) and
	// email-verification (48h) tokens.
	ResetTTL, VerifyTTL time.Duration
	// MaxConcurrentHashes caps simultaneous argon2id hashes (GOMAXPROCS).
	MaxConcurrentHashes int
	// Argon2 are the password hashing parameters (OWASP: m=19456,t=2,p=1).
	Argon2 security.Argon2Params
	// OAuth enables sign-in with other providers; see OAuthConfig.
	OAuth OAuthConfig
}

// Login throttling: failures allowed per window before further attempts
// are refused with 429.
const (
	loginWindow       = 15 * time.Minute
	loginLimitAccount = 10
	loginLimitIP      = 100
)

// Service implements the auth operations. Create it with New.
type Service struct {
	db       *sql.DB
	users    users.Store
	tokens   *Tokens
	sessions *sessions
	hasher   *hasher
	account  *throttle
	ip       *throttle
	notify   Notifier
	log      *slog.Logger
	cfg      Config
	oauth    map[string]*provider
}

// New returns a Service over db (migrated) and the users store. notify
// delivers reset and verification tokens.
func New(db *sql.DB, store users.Store, cfg Config, notify Notifier, log *slog.Logger) (*Service, error) {
	// The lifetimes come from the config (AUTH_*_TTL, AUTH_SESSION_MAX_AGE),
	// which has their defaults; a zero here is a wiring bug.
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"AccessTTL", cfg.AccessTTL}, {"RefreshTTL", cfg.RefreshTTL}, {"SessionMaxAge", cfg.SessionMaxAge}} {
		if d.v <= 0 {
			return nil, fmt.Errorf("auth: Config.%s is %s; want a positive lifetime", d.name, d.v)
		}
	}
	key, err := signingKey(cfg, log)
	if err != nil {
		return nil, err
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.ResetTTL, time.Hour)
	def(&cfg.VerifyTTL, 48*time.Hour)
	if cfg.MaxConcurrentHashes <= 0 {
		cfg.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	if cfg.Argon2 == (security.Argon2Params{}) {
		cfg.Argon2 = security.DefaultArgon2Params
	}
	tokens, err := NewTokens(key, cfg.Issuer, cfg.Audience, cfg.AccessTTL)
	if err != nil {
		return nil, err
	}
	h, err := newHasher(cfg.Argon2, cfg.MaxConcurrentHashes)
	if err != nil {
		return nil, fmt.Errorf("auth: password hashing parameters: %w", err)
	}
	s := &Service{
		db: db, users: store, tokens: tokens, hasher: h, notify: notify, log: log, cfg: cfg,
		sessions: &sessions{db: db, now: time.Now, ttl: cfg.RefreshTTL, maxAge: cfg.SessionMaxAge, log: log, revoked: newRevocations(db, cfg.AccessTTL)},
		account:  newThrottle(loginLimitAccount, loginWindow, time.Now),
		ip:       newThrottle(loginLimitIP, loginWindow, time.Now),
	}
	s.oauth, err = newProviders(cfg.OAuth, key)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// signingKey decodes JWT_SECRET, or makes an ephemeral key in development.
func signingKey(cfg Config, log *slog.Logger) ([]byte, error) {
	if cfg.Secret == "" {
		if cfg.Production {
			return nil, errors.New("JWT_SECRET: required when APP_ENV=production (32+ random bytes, base64: openssl rand -base64 32)")
		}
		log.Warn("JWT_SECRET is not set: using an ephemeral signing key; every token dies when the process stops")
		return security.RandomBytes(MinSecretBytes), nil
	}
	key, err := DecodeSecret(cfg.Secret)
	if err != nil {
		return nil, err
	}
	return key, CheckSecret(key)
}

// DecodeSecret decodes a base64 (standard or URL alphabet, padded or not)
// JWT_SECRET.
func DecodeSecret(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("JWT_SECRET: not base64; generate one with openssl rand -base64 32")
}

// TokenPair is a token response with the field names of OAuth 2.0
// (RFC 6749 §5.1).
type TokenPair struct {
	AccessToken  string
	TokenType    string // always "Bearer"
	ExpiresIn    int    // seconds
	RefreshToken string
}

// ThrottledError says a sign-in was refused because of too many failures.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return "too many failed sign-ins; retry later"
}

// errLogin is the one answer to every failed login, whether the email is
// unknown or the password wrong.
var errLogin = apperr.Errorf(apperr.Unauthorized, "invalid email or password")

// Authenticate implements users.Authenticator: a valid access token of a
// sign-in that was not revoked (logout, reuse of a refresh token, password
// reset), whose user still exists.
//
// An impersonation token is accepted only on a request the impersonation
// check has marked with that very impersonation (users.Impersonating): the
// check knows whether it is still going on. Without the check (no admin
// feature) every impersonation token is refused.
func (s *Service) Authenticate(ctx context.Context, token string) (users.User, error) {
	id, sid, err := s.tokens.Verify(token)
	if err != nil {
		if imp, ok := users.Impersonating(ctx); ok {
			return s.impersonated(ctx, token, imp)
		}
		return users.User{}, err
	}
	revoked, err := s.sessions.revoked.revoked(ctx, sid)
	if err != nil {
		return users.User{}, err
	}
	if revoked {
		return users.User{}, errInvalidToken
	}
	u, err := s.users.Get(ctx, id)
	if apperr.CodeOf(err) == apperr.NotFound {
		return users.User{}, errInvalidToken
	}
	return u, err
}

// impersonated authenticates an impersonation token on a request marked
// with imp.
func (s *Service) impersonated(ctx context.Context, token string, imp users.Impersonation) (users.User, error) {
	got, err := s.VerifyImpersonation(token)
	if err != nil || got != imp {
		return users.User{}, errInvalidToken
	}
	u, err := s.users.Get(ctx, imp.SubjectID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return users.User{}, errInvalidToken
	}
	return u, err
}

// IssueImpersonation returns a token with which actorID acts as subjectID
// for ttl (at most MaxImpersonationTTL), in the impersonation sessionID.
// There is no refresh token: when it expires, the impersonation is over.
// Who may impersonate whom is the caller's check.
func (s *Service) IssueImpersonation(subjectID, actorID int64, sessionID string, ttl time.Duration) (string, time.Time, error) {
	return s.tokens.IssueImpersonation(subjectID, actorID, sessionID, ttl)
}

// VerifyImpersonation checks an impersonation token's signature, type and
// lifetime, and returns what it names; any failure is apperr.Unauthorized.
func (s *Service) VerifyImpersonation(token string) (users.Impersonation, error) {
	sub, act, sid, err := s.tokens.VerifyImpersonation(token)
	if err != nil {
		return users.Impersonation{}, err
	}
	return users.Impersonation{ActorID: act, SubjectID: sub, SessionID: sid}, nil
}

// SessionStats is the dashboard's "sessions" entry: the sign-ins whose
// refresh token can still be used.
func SessionStats(ctx context.Context, db *sql.DB) (any, error) {
	var active int64
	err := db.QueryRowContext(ctx,
		`SELECT COUNT(DISTINCT family_id) FROM auth_refresh_tokens
		 WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > $1 AND family_expires_at > $1`,
		time.Now().UTC().Truncate(time.Microsecond)).Scan(&active)
	if err != nil {
		return nil, fmt.Errorf("count sessions: %w", err)
	}
	return struct {
		Active int64 `json:"active"`
	}{active}, nil
}

// Register creates an account. To avoid telling who has an account, it
// answers the same whether or not the email is taken; the owner of a taken
// email is told by email instead.
func (s *Service) Register(ctx context.Context, email, password, name string) error {
	email = users.NormalizeEmail(email)
	var emailErr *apperr.FieldError
	if !security.ValidEmail(email) {
		emailErr = &apperr.FieldError{Field: "email", Message: "must be an email address such as ada@example.com"}
	}
	if err := apperr.Fields(emailErr, CheckPassword("password", password)); err != nil {
		return err
	}
	hash, err := s.hasher.hash(ctx, password) // also for a taken email: same time
	if err != nil {
		return err
	}
	u, err := createWithPassword(ctx, s.db, users.New{Email: email, Name: name}, hash)
	if apperr.CodeOf(err) == apperr.Conflict {
		s.send(ctx, Message{Kind: KindAccountExists, To: email})
		return nil
	}
	if err != nil {
		return err
	}
	return s.sendVerification(ctx, u)
}

// CreateUser creates an account with a password, for the operator's
// command `server users create` (how the first admin is made): the
// password policy and the argon2id parameters are the service's defaults,
// as for registration. A taken email is an apperr.Conflict error, a
// password the policy refuses an apperr.Invalid one.
func CreateUser(ctx context.Context, db *sql.DB, n users.New, password string) (users.User, error) {
	if err := apperr.Fields(CheckPassword("password", password)); err != nil {
		return users.User{}, err
	}
	h, err := security.NewPasswordHasher(security.DefaultArgon2Params)
	if err != nil {
		return users.User{}, err
	}
	return createWithPassword(ctx, db, n, h.Hash(password))
}

func createWithPassword(ctx context.Context, db *sql.DB, n users.New, hash string) (users.User, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return users.User{}, fmt.Errorf("register: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	u, err := users.NewSQLStore(tx).Create(ctx, n)
	if err != nil {
		return users.User{}, err
	}
	if err := setPassword(ctx, tx, u.ID, hash); err != nil {
		return users.User{}, err
	}
	if err := tx.Commit(); err != nil {
		return users.User{}, fmt.Errorf("register: %w", err)
	}
	return u, nil
}

func setPassword(ctx context.Context, db users.DB, userID int64, hash string) error {
	_, err := db.ExecContext(ctx,
		`INSERT INTO auth_passwords (user_id, hash, updated_at) VALUES ($1, $2, $3)
		 ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`,
		userID, hash, time.Now().UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("store password: %w", err)
	}
	return nil
}

// Login checks an email and password and starts a sign-in. ip is the
// client's address, for throttling.
func (s *Service) Login(ctx context.Context, email, password, ip string) (TokenPair, error) {
	email = users.NormalizeEmail(email)
	acctKey, ipKey := "email:"+email, "ip:"+ip
	if wait, ok := s.account.blocked(acctKey); ok {
		return TokenPair{}, &ThrottledError{wait}
	}
	if wait, ok := s.ip.blocked(ipKey); ok {
		return TokenPair{}, &ThrottledError{wait}
	}
	var (
		u    users.User
		hash string
	)
	u, err := s.users.GetByEmail(ctx, email)
	switch apperr.CodeOf(err) {
	case "":
		err = s.db.QueryRowContext(ctx, `SELECT hash FROM auth_passwords WHERE user_id = $1`, u.ID).Scan(&hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return TokenPair{}, fmt.Errorf("login: %w", err)
		}
	case apperr.NotFound:
	default:
		return TokenPair{}, err
	}
	ok, rehash, err := s.hasher.verify(ctx, password, hash) // hash "" runs the dummy
	if err != nil && !errors.Is(err, security.ErrMalformedHash) {
		return TokenPair{}, err
	}
	if !ok {
		s.account.fail(acctKey)
		s.ip.fail(ipKey)
		s.log.InfoContext(ctx, "login failed", "event", "authn_login_fail")
		return TokenPair{}, errLogin
	}
	s.account.clear(acctKey)
	if rehash {
		// The stored hash uses weaker parameters than today's: upgrade it
		// now that the password is at hand.
		if h, err := s.hasher.hash(ctx, password); err == nil {
			if err := setPassword(ctx, s.db, u.ID, h); err != nil {
				s.log.ErrorContext(ctx, "rehash password", "error", err)
			}
		}
	}
	return s.signIn(ctx, u.ID)
}

// signIn starts a new refresh-token family and issues both tokens.
func (s *Service) signIn(ctx context.Context, userID int64) (TokenPair, error) {
	refresh, family, err := s.sessions.start(ctx, userID)
	if err != nil {
		return TokenPair{}, err
	}
	return s.pair(userID, family, refresh)
}

func (s *Service) pair(userID int64, family, refresh string) (TokenPair, error) {
	access, err := s.tokens.Issue(userID, family)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(s.tokens.TTL() / time.Second), RefreshToken: refresh}, nil
}

// Refresh spends a refresh token and returns a new pair. Any failure is
// apperr.Unauthorized.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (TokenPair, error) {
	userID, family, next, err := s.sessions.rotate(ctx, refreshToken)
	if err != nil {
		return TokenPair{}, err
	}
	if _, err := s.users.Get(ctx, userID); err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			_ = s.sessions.revokeUser(ctx, userID)
			return TokenPair{}, errInvalidRefresh
		}
		return TokenPair{}, err
	}
	return s.pair(userID, family, next)
}

// Logout ends the sign-in the refresh token belongs to, and with it every
// access token issued to that sign-in.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	return s.sessions.revoke(ctx, refreshToken)
}

// ForgotPassword sends a reset token if the email has an account, and
// answers the same either way.
func (s *Service) ForgotPassword(ctx context.Context, email string) error {
	u, err := s.users.GetByEmail(ctx, email)
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	token, err := s.sessions.issueOneTime(ctx, u.ID, u.Email, purposeReset, s.cfg.ResetTTL)
	if err != nil {
		return err
	}
	s.send(ctx, Message{Kind: KindPasswordReset, To: u.Email, Token: token, UserID: u.ID})
	return nil
}

// ResetPassword sets a new password with a reset token, spends the user's
// other reset tokens, and ends every sign-in of the user. The token only
// works while the account still has the address it was sent to.
//
// The token is checked before the password is hashed: argon2id runs in a
// few capped slots shared with logins, and a request with a junk token must
// not take one. The token is spent only once the hash is made, so a reset
// refused for a busy hasher (503) leaves the link usable.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	if err := apperr.Fields(CheckPassword("password", password)); err != nil {
		return err
	}
	userID, sentTo, err := s.sessions.lookupOneTime(ctx, token, purposeReset)
	if err != nil {
		return err
	}
	if _, err := s.owner(ctx, userID, sentTo); err != nil {
		return err
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return err
	}
	// Spend the token; it may have been used or expired meanwhile, and the
	// account's address may have changed.
	userID, sentTo, err = s.sessions.consumeOneTime(ctx, token, purposeReset)
	if err != nil {
		return err
	}
	if _, err := s.owner(ctx, userID, sentTo); err != nil {
		return err
	}
	if err := s.sessions.spendOneTime(ctx, userID, purposeReset); err != nil {
		return err
	}
	if err := setPassword(ctx, s.db, userID, hash); err != nil {
		return err
	}
	return s.sessions.revokeUser(ctx, userID)
}

// owner returns the user a one-time token was issued to, if the account
// still exists and still has the address the token was sent to: a token
// proves control of that address, not of one the account switched to.
func (s *Service) owner(ctx context.Context, userID int64, sentTo string) (users.User, error) {
	u, err := s.users.Get(ctx, userID)
	if apperr.CodeOf(err) == apperr.NotFound || (err == nil && (sentTo == "" || u.Email != sentTo)) {
		return users.User{}, errOneTime
	}
	return u, err
}

// RequestVerification sends u a new email-verification token.
func (s *Service) RequestVerification(ctx context.Context, u users.User) error {
	if u.EmailVerifiedAt != nil || u.Email == "" {
		return nil
	}
	return s.sendVerification(ctx, u)
}

func (s *Service) sendVerification(ctx context.Context, u users.User) error {
	token, err := s.sessions.issueOneTime(ctx, u.ID, u.Email, purposeVerify, s.cfg.VerifyTTL)
	if err != nil {
		return err
	}
	s.send(ctx, Message{Kind: KindVerifyEmail, To: u.Email, Token: token, UserID: u.ID})
	return nil
}

// VerifyEmail marks the email of the token's user as verified, if it is
// still the address the token was sent to.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	userID, sentTo, err := s.sessions.consumeOneTime(ctx, token, purposeVerify)
	if err != nil {
		return err
	}
	// The token is spent: a concurrent edit of the user (a stale version)
	// is retried rather than wasting it.
	for range 3 {
		u, err := s.owner(ctx, userID, sentTo)
		if err != nil || u.EmailVerifiedAt != nil {
			return err
		}
		verified := true
		_, err = s.users.Update(ctx, u.ID, u.Version, users.Patch{EmailVerified: &verified})
		if !errors.Is(err, users.ErrStale) {
			return err
		}
	}
	return apperr.Errorf(apperr.Unavailable, "the account is being changed; retry in a moment")
}

// SetNotifier replaces the Notifier given to New: an email feature's
// wiring calls it, before the service handles requests (it is not safe to
// call while it does).
func (s *Service) SetNotifier(n Notifier) { s.notify = n }

func (s *Service) send(ctx context.Context, m Message) {
	if err := s.notify.Notify(ctx, m); err != nil {
		s.log.ErrorContext(ctx, "send auth message", "kind", m.Kind, "error", err)
	}
}
