package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/security"
	"example.com/myapp/internal/users"
)

// inbox records the messages a Service sends.
type inbox struct {
	mu   sync.Mutex
	msgs []Message
}

func (b *inbox) Notify(_ context.Context, m Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, m)
	return nil
}

func (b *inbox) last(t *testing.T, kind string) Message {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.msgs) - 1; i >= 0; i-- {
		if b.msgs[i].Kind == kind {
			return b.msgs[i]
		}
	}
	t.Fatalf("no %s message", kind)
	return Message{}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func testConfig() Config {
	return Config{Secret: base64.StdEncoding.EncodeToString(testKey), Issuer: "https://issuer.test", Audience: "test-api", AccessTTL: 15 * time.Minute, RefreshTTL: time.Hour, SessionMaxAge: 24 * time.Hour}
}

func newTestService(t testing.TB, cfg Config) (*Service, *inbox) {
	t.Helper()
	db := dbtest.Open(t)
	box := &inbox{}
	s, err := New(db, users.NewSQLStore(db), cfg, box, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return s, box
}

const pw = "correct horse battery staple"

func register(t testing.TB, s *Service, email string) {
	t.Helper()
	if err := s.Register(context.Background(), email, pw, "Test"); err != nil {
		t.Fatal(err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	db := dbtest.Open(t)
	store := users.NewSQLStore(db)
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"production without secret", func(c *Config) { c.Production, c.Secret = true, "" }, "JWT_SECRET"},
		{"16-byte secret", func(c *Config) { c.Secret = short }, "JWT_SECRET"},
		{"text secret", func(c *Config) { c.Secret = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("password", 5))) }, "JWT_SECRET"},
		{"not base64", func(c *Config) { c.Secret = "not base64!" }, "JWT_SECRET"},
		{"empty issuer", func(c *Config) { c.Issuer = "" }, "JWT_ISSUER"},
		{"empty audience", func(c *Config) { c.Audience = "" }, "JWT_AUDIENCE"},
		{"argon2 below OWASP", func(c *Config) { c.Argon2 = security.Argon2Params{Memory: 8192, Time: 2, Threads: 1} }, "OWASP"},
		{"half an OAuth client", func(c *Config) { c.OAuth.GitHubClientID = "id" }, "OAUTH_GITHUB_CLIENT_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			tt.edit(&cfg)
			_, err := New(db, store, cfg, &inbox{}, quiet)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want one naming %s", err, tt.want)
			}
		})
	}
	// Development without a secret: an ephemeral key, with a warning.
	var log strings.Builder
	cfg := testConfig()
	cfg.Secret = ""
	if _, err := New(db, store, cfg, &inbox{}, slog.New(slog.NewTextHandler(&log, nil))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "ephemeral") {
		t.Fatalf("no warning about the ephemeral key: %s", log.String())
	}
}

func TestPasswordPolicy(t *testing.T) {
	tests := map[string]bool{
		"1234567":                 false, // 7 characters
		strings.Repeat("a", 8):    true,
		strings.Repeat("é", 64):   true, // long and non-ASCII: allowed, never truncated
		strings.Repeat("b", 1000): false,
		"password123":             false, // in the common list
		"PassWord123":             false, // whatever the case
		"\xff\xfe invalid utf8":   false,
	}
	for p, ok := range tests {
		if got := CheckPassword("password", p) == nil; got != ok {
			t.Errorf("CheckPassword(%.20q) ok = %v, want %v", p, got, ok)
		}
	}
}

func TestRegisterLogin(t *testing.T) {
	ctx := context.Background()
	s, box := newTestService(t, testConfig())
	register(t, s, "Ada@Example.com")
	verify := box.last(t, KindVerifyEmail)

	var hash string
	if err := s.db.QueryRow(`SELECT hash FROM auth_passwords`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("stored hash %q is not argon2id at the OWASP parameters", hash)
	}
	p, err := s.Login(ctx, "ada@example.com", pw, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if p.TokenType != "Bearer" || p.ExpiresIn != 900 || p.AccessToken == "" || len(p.RefreshToken) < 22 {
		t.Fatalf("pair = %+v", p)
	}
	u, err := s.Authenticate(ctx, p.AccessToken)
	if err != nil || u.Email != "ada@example.com" || u.EmailVerifiedAt != nil {
		t.Fatalf("Authenticate = %+v, %v", u, err)
	}
	// Email verification: single use.
	if err := s.VerifyEmail(ctx, verify.Token); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyEmail(ctx, verify.Token); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("second use of a verification token: %v", err)
	}
	if u, _ := s.Authenticate(ctx, p.AccessToken); u.EmailVerifiedAt == nil {
		t.Fatal("email not verified")
	}
	// A taken email gets the same answer, and its owner a notice.
	if err := s.Register(ctx, "ada@example.com", "another good password", ""); err != nil {
		t.Fatalf("register a taken email: %v", err)
	}
	box.last(t, KindAccountExists)
	if _, err := s.Login(ctx, "ada@example.com", "another good password", "10.0.0.1"); err == nil {
		t.Fatal("registering a taken email changed its password")
	}
}

func TestRegisterValidation(t *testing.T) {
	s, _ := newTestService(t, testConfig())
	err := s.Register(context.Background(), "nope", "short", "")
	var fe apperr.FieldErrors
	if !errors.As(err, &fe) || len(fe) != 2 {
		t.Fatalf("err = %v; want two field errors", err)
	}
}

// TestRehashOnLogin: a hash made with weaker parameters is upgraded at the
// next successful login.
func TestRehashOnLogin(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, testConfig())
	register(t, s, "old@example.com")
	salt := security.RandomBytes(16)
	weak := fmt.Sprintf("$argon2id$v=19$m=4096,t=2,p=1$%s$%s", base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte(pw), salt, 2, 4096, 1, 32)))
	if _, err := s.db.Exec(`UPDATE auth_passwords SET hash = $1`, weak); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "old@example.com", pw, "ip"); err != nil {
		t.Fatal(err)
	}
	var hash string
	_ = s.db.QueryRow(`SELECT hash FROM auth_passwords`).Scan(&hash)
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash not upgraded: %s", hash)
	}
}

func TestRefreshRotation(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, testConfig())
	register(t, s, "r@example.com")
	p1, err := s.Login(ctx, "r@example.com", pw, "ip")
	if err != nil {
		t.Fatal(err)
	}
	// R1 -> (A2, R2).
	p2, err := s.Refresh(ctx, p1.RefreshToken)
	if err != nil || p2.RefreshToken == p1.RefreshToken {
		t.Fatalf("refresh: %+v, %v", p2, err)
	}
	// Replaying R1 fails and revokes the family: R2 dies too.
	if _, err := s.Refresh(ctx, p1.RefreshToken); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Fatalf("replayed R1: %v", err)
	}
	if _, err := s.Refresh(ctx, p2.RefreshToken); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Fatalf("R2 after replay of R1: %v", err)
	}
	// Token type separation: an access token is no refresh token and
	// the other way round.
	if _, err := s.Refresh(ctx, p2.AccessToken); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Fatalf("access token at refresh: %v", err)
	}
	if _, err := s.Authenticate(ctx, p2.RefreshToken); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Fatalf("refresh token as bearer: %v", err)
	}
	// Logout revokes.
	p3, err := s.Login(ctx, "r@example.com", pw, "ip")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Logout(ctx, p3.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refresh(ctx, p3.RefreshToken); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Fatalf("refresh after logout: %v", err)
	}
}

func TestRefreshExpiry(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig()
	cfg.RefreshTTL, cfg.SessionMaxAge = time.Hour, 2*time.Hour
	s, _ := newTestService(t, cfg)
	register(t, s, "e@example.com")
	p, _ := s.Login(ctx, "e@example.com", pw, "ip")
	start := time.Now()
	at := func(d time.Duration) { s.sessions.now = func() time.Time { return start.Add(d) } }
	at(59 * time.Minute)
	p, err := s.Refresh(ctx, p.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	at(118 * time.Minute) // within the new token's hour
	if p, err = s.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatal(err)
	}
	at(121 * time.Minute) // past the family's absolute limit
	if _, err := s.Refresh(ctx, p.RefreshToken); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Fatalf("refresh past SessionMaxAge: %v", err)
	}
}

// TestConcurrentRefresh: of many simultaneous refreshes with one token,
// exactly one succeeds (run with -race).
func TestConcurrentRefresh(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, testConfig())
	register(t, s, "c@example.com")
	p, _ := s.Login(ctx, "c@example.com", pw, "ip")
	const n = 8
	var ok, unauthorized atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := s.Refresh(ctx, p.RefreshToken)
			switch apperr.CodeOf(err) {
			case "":
				ok.Add(1)
			case apperr.Unauthorized:
				unauthorized.Add(1)
			default:
				t.Errorf("refresh: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || unauthorized.Load() != n-1 {
		t.Fatalf("%d succeeded, %d refused; want exactly 1 and %d", ok.Load(), unauthorized.Load(), n-1)
	}
}

func TestPasswordReset(t *testing.T) {
	ctx := context.Background()
	s, box := newTestService(t, testConfig())
	register(t, s, "f@example.com")
	old, _ := s.Login(ctx, "f@example.com", pw, "ip")
	if err := s.ForgotPassword(ctx, "nobody@example.com"); err != nil {
		t.Fatalf("unknown email: %v", err)
	}
	if err := s.ForgotPassword(ctx, "F@example.com"); err != nil {
		t.Fatal(err)
	}
	m := box.last(t, KindPasswordReset)
	if err := s.ResetPassword(ctx, m.Token, "password123"); err == nil {
		t.Fatal("common password accepted at reset")
	}
	if err := s.ResetPassword(ctx, m.Token, "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	if err := s.ResetPassword(ctx, m.Token, "yet another passphrase"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("reset token used twice: %v", err)
	}
	if _, err := s.Refresh(ctx, old.RefreshToken); err == nil {
		t.Fatal("sign-ins survive a password reset")
	}
	if _, err := s.Login(ctx, "f@example.com", "a brand new passphrase", "ip"); err != nil {
		t.Fatal(err)
	}
	// Tokens of one purpose do not work for another, and expire.
	if err := s.VerifyEmail(ctx, m.Token); err == nil {
		t.Fatal("reset token verified an email")
	}
	_ = s.ForgotPassword(ctx, "f@example.com")
	m = box.last(t, KindPasswordReset)
	s.sessions.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if err := s.ResetPassword(ctx, m.Token, "the passphrase after"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("expired reset token: %v", err)
	}
}

// TestResetChecksTokenBeforeHashing: a reset with a token that cannot be
// used (unknown, spent, expired, for another purpose) is refused before
// any argon2id hash, so junk tokens do not take the capped hashing slots
// that logins need; all get the same error.
func TestResetChecksTokenBeforeHashing(t *testing.T) {
	ctx := context.Background()
	s, box := newTestService(t, testConfig())
	register(t, s, "h@example.com")
	var hashes atomic.Int32
	s.hasher.onHash = func() { hashes.Add(1) }
	s.hasher.onVerify = func(string) { hashes.Add(1) }
	verify := box.last(t, KindVerifyEmail) // sent at registration
	if err := s.ForgotPassword(ctx, "h@example.com"); err != nil {
		t.Fatal(err)
	}
	reset := box.last(t, KindPasswordReset)
	for name, token := range map[string]string{
		"unknown":       security.Token(),
		"empty":         "",
		"other purpose": verify.Token,
	} {
		if err := s.ResetPassword(ctx, token, "a brand new passphrase"); err != errOneTime {
			t.Errorf("%s token: %v, want %v", name, err, errOneTime)
		}
	}
	if n := hashes.Load(); n != 0 {
		t.Fatalf("%d argon2id runs for unusable reset tokens, want 0", n)
	}
	if err := s.ResetPassword(ctx, reset.Token, "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	if n := hashes.Load(); n != 1 {
		t.Fatalf("%d argon2id runs for one valid reset, want 1", n)
	}
	for name, token := range map[string]string{"spent": reset.Token, "expired": ""} {
		if name == "expired" {
			_ = s.ForgotPassword(ctx, "h@example.com")
			token = box.last(t, KindPasswordReset).Token
			s.sessions.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		}
		if err := s.ResetPassword(ctx, token, "yet another passphrase"); err != errOneTime {
			t.Errorf("%s token: %v, want %v", name, err, errOneTime)
		}
	}
	if n := hashes.Load(); n != 1 {
		t.Fatalf("%d argon2id runs after spent and expired tokens, want 1", n)
	}
}

// TestResetSpendsEveryResetToken: a successful reset spends every other
// outstanding reset token of the user, so an older link (still in a
// mailbox, or leaked) cannot take the account back over.
func TestResetSpendsEveryResetToken(t *testing.T) {
	ctx := context.Background()
	s, box := newTestService(t, testConfig())
	register(t, s, "g@example.com")
	if err := s.ForgotPassword(ctx, "g@example.com"); err != nil {
		t.Fatal(err)
	}
	older := box.last(t, KindPasswordReset)
	if err := s.ForgotPassword(ctx, "g@example.com"); err != nil {
		t.Fatal(err)
	}
	newer := box.last(t, KindPasswordReset)
	if err := s.ResetPassword(ctx, newer.Token, "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	if err := s.ResetPassword(ctx, older.Token, "the attacker's passphrase"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("older reset token after a reset: %v; want invalid", err)
	}
	if _, err := s.Login(ctx, "g@example.com", "a brand new passphrase", "ip"); err != nil {
		t.Fatalf("login with the reset password: %v", err)
	}
}

// TestVerifyTokenBoundToEmail: a verification token proves ownership of
// the address it was sent to, not of whatever address the account has
// when it is used. Otherwise: register as me@, change the email to
// victim@ (unverified), spend the me@ token, and victim@ is "verified"
// on the attacker's account (which a later Google sign-in would join).
func TestVerifyTokenBoundToEmail(t *testing.T) {
	ctx := context.Background()
	s, box := newTestService(t, testConfig())
	register(t, s, "me@example.com")
	old := box.last(t, KindVerifyEmail)
	u, err := s.users.GetByEmail(ctx, "me@example.com")
	if err != nil {
		t.Fatal(err)
	}
	email, unverified := "victim@example.com", false
	if u, err = s.users.Update(ctx, u.ID, u.Version, users.Patch{Email: &email, EmailVerified: &unverified}); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyEmail(ctx, old.Token); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("token for the old address: %v; want invalid", err)
	}
	if u, _ = s.users.Get(ctx, u.ID); u.EmailVerifiedAt != nil {
		t.Fatal("the new address was verified with a token sent to the old one")
	}
	// A token sent to the new address verifies it.
	if err := s.RequestVerification(ctx, u); err != nil {
		t.Fatal(err)
	}
	m := box.last(t, KindVerifyEmail)
	if m.To != email {
		t.Fatalf("verification sent to %q, want %q", m.To, email)
	}
	if err := s.VerifyEmail(ctx, m.Token); err != nil {
		t.Fatal(err)
	}
	if u, _ = s.users.Get(ctx, u.ID); u.EmailVerifiedAt == nil {
		t.Fatal("not verified")
	}
}

// TestResetTokenBoundToEmail: a reset link sent to an address the account
// has since given up (perhaps because it was compromised) is refused.
func TestResetTokenBoundToEmail(t *testing.T) {
	ctx := context.Background()
	s, box := newTestService(t, testConfig())
	register(t, s, "old@example.com")
	if err := s.ForgotPassword(ctx, "old@example.com"); err != nil {
		t.Fatal(err)
	}
	m := box.last(t, KindPasswordReset)
	u, err := s.users.GetByEmail(ctx, "old@example.com")
	if err != nil {
		t.Fatal(err)
	}
	email := "new@example.com"
	if _, err := s.users.Update(ctx, u.ID, u.Version, users.Patch{Email: &email}); err != nil {
		t.Fatal(err)
	}
	if err := s.ResetPassword(ctx, m.Token, "the attacker's passphrase"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("reset link of the old address: %v; want invalid", err)
	}
	if _, err := s.Login(ctx, email, pw, "ip"); err != nil {
		t.Fatalf("password changed by a stale link: %v", err)
	}
}

// racyStore changes the user (as a concurrent request would) right after
// handing it out once, so the caller's version is stale.
type racyStore struct {
	users.Store
	raced bool
}

func (r *racyStore) Get(ctx context.Context, id int64) (users.User, error) {
	u, err := r.Store.Get(ctx, id)
	if err == nil && !r.raced {
		r.raced = true
		name := "renamed meanwhile"
		if _, err := r.Store.Update(ctx, u.ID, u.Version, users.Patch{Name: &name}); err != nil {
			return users.User{}, err
		}
	}
	return u, err
}

// TestVerifyEmailConcurrentEdit: an edit of the user between reading it
// and marking it verified must not spend the token for nothing and answer
// 412 to a request that sent no If-Match.
func TestVerifyEmailConcurrentEdit(t *testing.T) {
	ctx := context.Background()
	s, box := newTestService(t, testConfig())
	register(t, s, "race@example.com")
	m := box.last(t, KindVerifyEmail)
	s.users = &racyStore{Store: s.users}
	if err := s.VerifyEmail(ctx, m.Token); err != nil {
		t.Fatalf("verify during a concurrent edit: %v", err)
	}
	u, err := s.users.GetByEmail(ctx, "race@example.com")
	if err != nil || u.EmailVerifiedAt == nil || u.Name != "renamed meanwhile" {
		t.Fatalf("user = %+v, %v; want verified and the concurrent edit kept", u, err)
	}
}

func TestLoginThrottle(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, testConfig())
	// Fast, cheap failures: the throttle is checked before hashing.
	s.account.limit, s.ip.limit = 3, 5
	for i := range 3 {
		if _, err := s.Login(ctx, "victim@example.com", "wrong password", fmt.Sprint("ip", i)); apperr.CodeOf(err) != apperr.Unauthorized {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err := s.Login(ctx, "victim@example.com", "wrong password", "ip9")
	var te *ThrottledError
	if !errors.As(err, &te) || te.RetryAfter <= 0 || te.RetryAfter > loginWindow {
		t.Fatalf("4th failure for one account: %v; want throttled", err)
	}
	// Per IP: many accounts from one address.
	for i := range 5 {
		_, _ = s.Login(ctx, fmt.Sprintf("a%d@example.com", i), "wrong password", "203.0.113.9")
	}
	if _, err := s.Login(ctx, "fresh@example.com", "wrong password", "203.0.113.9"); !errors.As(err, &te) {
		t.Fatalf("6th failure from one IP: %v; want throttled", err)
	}
}

// TestHashConcurrencyCap: however many logins arrive at once, at most
// MaxConcurrentHashes argon2id computations (19 MiB each) run together.
func TestHashConcurrencyCap(t *testing.T) {
	h, err := newHasher(security.DefaultArgon2Params, 2)
	if err != nil {
		t.Fatal(err)
	}
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := h.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(10 * time.Millisecond)
			running.Add(-1)
			h.release()
		})
	}
	wg.Wait()
	if peak.Load() != 2 {
		t.Fatalf("peak concurrent hashes = %d, want 2", peak.Load())
	}
	// A caller that cannot get a slot in time gets 503, not a queue
	// without end.
	h.sem <- struct{}{}
	h.sem <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := h.acquire(ctx); apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("acquire when full: %v; want unavailable", err)
	}
}

// TestNoUserEnumeration: an unknown email costs the same as a wrong
// password (a dummy hash runs), within ~20% of the median.
// TestNoUserEnumeration: a login with an unknown email does the same
// work as one with a known email and a wrong password: one argon2id
// verification at the same parameters (against a dummy hash), the same
// error. The time this takes is compared by BenchmarkLoginKnownVsUnknown:
// a wall-clock comparison in a unit test would be flaky on a loaded CI
// machine.
func TestNoUserEnumeration(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, testConfig())
	s.account.limit, s.ip.limit = 1000, 1000
	register(t, s, "known@example.com")
	var checked []string
	s.hasher.onVerify = func(phc string) { checked = append(checked, phc) }
	_, errKnown := s.Login(ctx, "known@example.com", "wrong password!", "ip")
	_, errUnknown := s.Login(ctx, "unknown@example.com", "wrong password!", "ip")
	if errKnown == nil || errKnown != errUnknown {
		t.Fatalf("errors differ: known %v, unknown %v", errKnown, errUnknown)
	}
	if len(checked) != 2 {
		t.Fatalf("%d argon2id verifications for two logins, want 2", len(checked))
	}
	// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>": compare up to the salt.
	params := func(phc string) string { return strings.Join(strings.SplitN(phc, "$", 5)[:4], "$") }
	if params(checked[0]) != params(checked[1]) || !strings.HasPrefix(checked[1], "$argon2id$") {
		t.Errorf("unknown email verified against %q, known against %q: want the same cost", params(checked[1]), params(checked[0]))
	}
}

// BenchmarkLoginKnownVsUnknown reports the time of a failed login for a
// known and for an unknown email; they should be within about 20%.
func BenchmarkLoginKnownVsUnknown(b *testing.B) {
	ctx := context.Background()
	s, _ := newTestService(b, testConfig())
	s.account.limit, s.ip.limit = 1<<30, 1<<30
	register(b, s, "known@example.com")
	for _, email := range []string{"known@example.com", "unknown@example.com"} {
		b.Run(strings.Split(email, "@")[0], func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Login(ctx, email, "wrong password!", "ip"); err == nil {
					b.Fatal("login succeeded")
				}
			}
		})
	}
}

// BenchmarkLogin measures a login at the OWASP argon2id parameters (one
// hash plus the database work): expect tens of milliseconds.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	s, _ := newTestService(b, testConfig())
	register(b, s, "bench@example.com")
	for b.Loop() {
		if _, err := s.Login(ctx, "bench@example.com", pw, "ip"); err != nil {
			b.Fatal(err)
		}
	}
}

// The lifetimes come from the config; a zero one is refused, not replaced
// by a second copy of the default.
func TestNewRefusesZeroLifetimes(t *testing.T) {
	db := dbtest.Open(t)
	cfg := testConfig()
	cfg.RefreshTTL = 0
	_, err := New(db, users.NewSQLStore(db), cfg, &inbox{}, quiet)
	if err == nil || !strings.Contains(err.Error(), "Config.RefreshTTL") {
		t.Fatalf("New with RefreshTTL 0: %v", err)
	}
}

// An impersonation token is refused unless the request was marked with
// that very impersonation by the check that knows it is going on.
func TestAuthenticateImpersonation(t *testing.T) {
	s, _ := newTestService(t, testConfig())
	ctx := context.Background()
	register(t, s, "ada@example.com")
	u, err := s.users.GetByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := s.IssueImpersonation(u.ID, u.ID+100, "imp-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := s.VerifyImpersonation(token)
	if err != nil || imp != (users.Impersonation{ActorID: u.ID + 100, SubjectID: u.ID, SessionID: "imp-1"}) {
		t.Fatalf("VerifyImpersonation = %+v, %v", imp, err)
	}
	if _, err := s.Authenticate(ctx, token); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Errorf("unmarked request: %v; want unauthorized", err)
	}
	other := imp
	other.SessionID = "imp-2"
	if _, err := s.Authenticate(users.WithImpersonation(ctx, other), token); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Errorf("marked with another impersonation: %v; want unauthorized", err)
	}
	got, err := s.Authenticate(users.WithImpersonation(ctx, imp), token)
	if err != nil || got.ID != u.ID {
		t.Errorf("marked request: %+v, %v; want the impersonated user", got, err)
	}
}
