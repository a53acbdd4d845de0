package auth

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db"
	"example.com/myapp/internal/security"
	"example.com/myapp/internal/users"
)

// OAuthConfig enables sign-in with GitHub and Google. A provider is on when
// both its client id and secret are set, and off otherwise.
type OAuthConfig struct {
	// RedirectBaseURL is the public URL of this service, e.g.
	// https://api.example.com; the callback registered with each provider
	// is RedirectBaseURL + CallbackPath(provider).
	RedirectBaseURL                    string
	GitHubClientID, GitHubClientSecret string
	GoogleClientID, GoogleClientSecret string
	// Endpoints replaces the URLs of a provider, by name ("github",
	// "google"). Tests point it at a fake provider; leave it nil otherwise.
	Endpoints map[string]OAuthEndpoint
}

// OAuthEndpoint is where a provider answers.
type OAuthEndpoint struct {
	AuthURL  string // the authorization endpoint the browser is sent to
	TokenURL string // the token endpoint the code is exchanged at
	APIBase  string // the profile API: https://api.github.com, https://openidconnect.googleapis.com
}

// CallbackPath is the path providers redirect back to.
func CallbackPath(provider string) string { return "/api/v1/auth/oauth/" + provider + "/callback" }

// stateTTL bounds how long a sign-in may sit at the provider.
const stateTTL = 10 * time.Minute

// Profile is what a provider tells about the signed-in person.
type Profile struct {
	Subject       string // the provider's stable user id
	Email         string
	EmailVerified bool
	Name          string
}

type provider struct {
	name    string
	oauth   *oauth2.Config
	apiBase string // where profile is fetched from
	profile func(ctx context.Context, c *http.Client, apiBase string) (Profile, error)
	key     []byte // signs the state cookie
	spent   spentStates
}

func newProviders(cfg OAuthConfig, key []byte) (map[string]*provider, error) {
	ps := map[string]*provider{}
	// The state cookie has its own key, derived from the token key, so one
	// key never serves two purposes.
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("oauth-state"))
	stateKey := mac.Sum(nil)
	add := func(name, id, secret string, ep oauth2.Endpoint, scopes []string, apiBase string,
		profile func(context.Context, *http.Client, string) (Profile, error)) error {
		if id == "" && secret == "" {
			return nil
		}
		upper := strings.ToUpper(name)
		if id == "" || secret == "" {
			return fmt.Errorf("OAUTH_%s_CLIENT_ID and OAUTH_%s_CLIENT_SECRET: set both or neither", upper, upper)
		}
		if cfg.RedirectBaseURL == "" {
			return fmt.Errorf("OAUTH_REDIRECT_BASE_URL: required when OAUTH_%s_CLIENT_ID is set", upper)
		}
		if e, ok := cfg.Endpoints[name]; ok {
			ep.AuthURL, ep.TokenURL, apiBase = e.AuthURL, e.TokenURL, e.APIBase
		}
		// Both providers take the client credentials in the form; setting
		// it saves oauth2's auto-detection a second request per failure.
		ep.AuthStyle = oauth2.AuthStyleInParams
		ps[name] = &provider{
			name: name, apiBase: apiBase, profile: profile, key: stateKey,
			oauth: &oauth2.Config{
				ClientID: id, ClientSecret: secret, Endpoint: ep, Scopes: scopes,
				RedirectURL: strings.TrimRight(cfg.RedirectBaseURL, "/") + CallbackPath(name),
			},
		}
		return nil
	}
	if err := add("github", cfg.GitHubClientID, cfg.GitHubClientSecret, endpoints.GitHub,
		[]string{"read:user", "user:email"}, "https://api.github.com", githubProfile); err != nil {
		return nil, err
	}
	if err := add("google", cfg.GoogleClientID, cfg.GoogleClientSecret, endpoints.Google,
		[]string{"openid", "email", "profile"}, "https://openidconnect.googleapis.com", googleProfile); err != nil {
		return nil, err
	}
	return ps, nil
}

// OAuthProviders lists the enabled providers.
func (s *Service) OAuthProviders() []string {
	var names []string
	for _, n := range []string{"github", "google"} {
		if s.oauth[n] != nil {
			names = append(names, n)
		}
	}
	return names
}

var errOAuthUnknown = apperr.Errorf(apperr.NotFound, "no such sign-in provider")
var errOAuthState = apperr.Errorf(apperr.Unauthorized, "the sign-in could not be verified; start again")

// errOAuthProvider hides what went wrong at the provider (logged instead).
var errOAuthProvider = apperr.Errorf(apperr.Unavailable, "the sign-in provider did not answer as expected; try again later")

// stateCookieName and stateCookiePath scope the state cookie to the OAuth
// routes.
const (
	stateCookieName = "oauth_state"
	stateCookiePath = "/api/v1/auth/oauth/"
)

func (s *Service) stateCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: stateCookieName, Value: value, Path: stateCookiePath,
		MaxAge: maxAge, HttpOnly: true, Secure: s.cfg.Production, SameSite: http.SameSiteLaxMode,
	}
}

// OAuthClearCookie deletes the state cookie, once a callback is done.
func (s *Service) OAuthClearCookie() *http.Cookie { return s.stateCookie("", -1) }

// OAuthStart begins a sign-in with a provider: it returns the provider's
// authorization URL and a cookie binding the browser to this attempt (state
// and PKCE verifier, signed and short-lived).
func (s *Service) OAuthStart(name string) (string, *http.Cookie, error) {
	p := s.oauth[name]
	if p == nil {
		return "", nil, errOAuthUnknown
	}
	state, verifier := security.Token(), oauth2.GenerateVerifier()
	exp := time.Now().Add(stateTTL).Unix()
	payload := name + "|" + state + "|" + verifier + "|" + strconv.FormatInt(exp, 10)
	value := base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." +
		base64.RawURLEncoding.EncodeToString(security.SignHMAC(p.key, []byte(payload)))
	return p.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), s.stateCookie(value, int(stateTTL/time.Second)), nil
}

// OAuthCallback finishes a sign-in: it checks state against the cookie,
// exchanges the code with the PKCE verifier, reads the profile and signs
// the matching user in (creating or linking it). A state is good for one
// callback. Failures at the provider are logged and answered with a
// generic apperr.Unavailable.
func (s *Service) OAuthCallback(ctx context.Context, name, code, state, cookie string) (TokenPair, error) {
	p := s.oauth[name]
	if p == nil {
		return TokenPair{}, errOAuthUnknown
	}
	verifier, exp, ok := p.checkState(name, state, cookie)
	if !ok || code == "" || !p.spent.spend(state, exp, time.Now().Unix()) {
		return TokenPair{}, errOAuthState
	}
	client := &http.Client{Timeout: 10 * time.Second}
	pctx := context.WithValue(ctx, oauth2.HTTPClient, client)
	tok, err := p.oauth.Exchange(pctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok &&
			(re.ErrorCode == "invalid_grant" || re.ErrorCode == "bad_verification_code") {
			// The code is unknown, spent, expired or not this verifier's.
			s.log.WarnContext(ctx, "oauth code refused", "provider", name, "error", err)
			return TokenPair{}, errOAuthState
		}
		s.log.ErrorContext(ctx, "oauth exchange failed", "provider", name, "error", err)
		return TokenPair{}, errOAuthProvider
	}
	prof, err := p.profile(pctx, p.oauth.Client(pctx, tok), p.apiBase)
	if err == nil && prof.Subject == "" {
		err = errors.New("no subject")
	}
	if err != nil {
		s.log.ErrorContext(ctx, "oauth profile failed", "provider", name, "error", err)
		return TokenPair{}, errOAuthProvider
	}
	return s.signInExternal(ctx, name, prof)
}

// checkState verifies the state cookie against the state the provider
// returned, and returns the PKCE verifier and the cookie's expiry.
func (p *provider) checkState(name, state, cookie string) (verifier string, exp int64, ok bool) {
	b64, sig64, found := strings.Cut(cookie, ".")
	if !found || state == "" {
		return "", 0, false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(b64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sig64)
	if err1 != nil || err2 != nil || !security.VerifyHMAC(p.key, payload, sig) {
		return "", 0, false
	}
	parts := strings.Split(string(payload), "|")
	if len(parts) != 4 || parts[0] != name {
		return "", 0, false
	}
	exp, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || time.Now().Unix() > exp {
		return "", 0, false
	}
	if subtle.ConstantTimeCompare([]byte(parts[1]), []byte(state)) != 1 {
		return "", 0, false
	}
	return parts[2], exp, true
}

// spentStates remembers the states of callbacks until they expire, so that
// a signed state cookie finishes one sign-in only. It lives in memory: with
// several instances a replay may reach another one, where the provider
// still refuses the spent authorization code.
type spentStates struct {
	mu   sync.Mutex
	m    map[string]int64 // SHA-256 of state -> expiry (Unix seconds)
	next int              // prune expired entries when len(m) reaches this
}

// spend marks state spent, and reports whether it was not already.
func (s *spentStates) spend(state string, exp, now int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]int64{}
	}
	if len(s.m) >= s.next {
		for k, e := range s.m {
			if e < now {
				delete(s.m, k)
			}
		}
		s.next = 2*len(s.m) + 1024
	}
	h := security.HashToken(state)
	if _, ok := s.m[h]; ok {
		return false
	}
	s.m[h] = exp
	return true
}

// signInExternal signs in the user linked to (provider, subject), linking
// or creating one on first sight. An existing account is linked only
// through an email the provider has verified; if that account had not
// verified its email, its password is dropped, since whoever set it did not
// prove they own the address (account pre-hijacking).
func (s *Service) signInExternal(ctx context.Context, provider string, p Profile) (TokenPair, error) {
	p.Name = security.SanitizeText(p.Name)
	if utf8.RuneCountInString(p.Name) > 200 {
		p.Name = string([]rune(p.Name)[:200])
	}
	if p.Email = users.NormalizeEmail(p.Email); !security.ValidEmail(p.Email) {
		p.Email, p.EmailVerified = "", false
	}
	for attempt := 0; ; attempt++ {
		id, err := s.linkedUser(ctx, provider, p.Subject)
		if err == nil {
			return s.signIn(ctx, id)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return TokenPair{}, fmt.Errorf("find identity: %w", err)
		}
		id, err = s.linkIdentity(ctx, provider, p)
		// A conflict means a concurrent first sign-in of the same account
		// got there first: look again, and find its user.
		if err != nil && attempt == 0 && (db.IsUniqueViolation(err) || apperr.CodeOf(err) == apperr.Conflict) {
			continue
		}
		if err != nil {
			return TokenPair{}, err
		}
		return s.signIn(ctx, id)
	}
}

// linkIdentity links (provider, p.Subject) to the user with p's verified
// email, or to a new user, and returns the user's id.
func (s *Service) linkIdentity(ctx context.Context, provider string, p Profile) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("link identity: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	// The identity of a deleted user is free again, like its email.
	if _, err := tx.ExecContext(ctx, `DELETE FROM auth_identities WHERE provider = $1 AND subject = $2
		AND user_id IN (SELECT id FROM users WHERE deleted_at IS NOT NULL)`, provider, p.Subject); err != nil {
		return 0, fmt.Errorf("link identity: %w", err)
	}
	store := users.NewSQLStore(tx)
	var u users.User
	if p.EmailVerified && p.Email != "" {
		u, err = store.GetByEmail(ctx, p.Email)
		switch apperr.CodeOf(err) {
		case "":
			if u.EmailVerifiedAt == nil {
				if _, err := tx.ExecContext(ctx, `DELETE FROM auth_passwords WHERE user_id = $1`, u.ID); err != nil {
					return 0, fmt.Errorf("link identity: %w", err)
				}
				if _, err := tx.ExecContext(ctx, `UPDATE auth_refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
					u.ID, time.Now().UTC().Truncate(time.Microsecond)); err != nil {
					return 0, fmt.Errorf("link identity: %w", err)
				}
				verified := true
				if u, err = store.Update(ctx, u.ID, u.Version, users.Patch{EmailVerified: &verified}); err != nil {
					return 0, err
				}
			}
		case apperr.NotFound:
			u, err = store.Create(ctx, users.New{Email: p.Email, Name: p.Name, EmailVerified: true})
		}
	} else {
		// An unverified email is not stored: it could be someone else's.
		u, err = store.Create(ctx, users.New{Name: p.Name})
	}
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO auth_identities (provider, subject, user_id, created_at) VALUES ($1, $2, $3, $4)`,
		provider, p.Subject, u.ID, time.Now().UTC().Truncate(time.Microsecond)); err != nil {
		return 0, fmt.Errorf("link identity: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("link identity: %w", err)
	}
	// The sessions revoked above (of an unverified account taken over by
	// the email's owner) are refused from now on.
	return u.ID, s.sessions.revoked.sync(ctx)
}

func (s *Service) linkedUser(ctx context.Context, provider, subject string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT i.user_id FROM auth_identities i JOIN users u ON u.id = i.user_id
		WHERE i.provider = $1 AND i.subject = $2 AND u.deleted_at IS NULL`, provider, subject).Scan(&id)
	return id, err
}

// getJSON GETs url with c and decodes at most 1 MiB of JSON into v.
func getJSON(ctx context.Context, c *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

func githubProfile(ctx context.Context, c *http.Client, api string) (Profile, error) {
	var u struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
		Name  string `json:"name"`
	}
	if err := getJSON(ctx, c, api+"/user", &u); err != nil {
		return Profile{}, err
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := getJSON(ctx, c, api+"/user/emails", &emails); err != nil {
		return Profile{}, err
	}
	p := Profile{Subject: strconv.FormatInt(u.ID, 10), Name: cmp.Or(u.Name, u.Login)}
	if u.ID == 0 {
		p.Subject = ""
	}
	for _, e := range emails {
		if e.Primary {
			p.Email, p.EmailVerified = e.Email, e.Verified
		}
	}
	return p, nil
}

func googleProfile(ctx context.Context, c *http.Client, api string) (Profile, error) {
	var u struct {
		Sub           string `json:"sub"`
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := getJSON(ctx, c, api+"/v1/userinfo", &u); err != nil {
		return Profile{}, err
	}
	return Profile{Subject: u.Sub, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name}, nil
}
