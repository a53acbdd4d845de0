package auth

import (
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
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"example.com/myapp/internal/apperr"
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
	cookie := &http.Cookie{
		Name: "oauth_state", Value: value, Path: "/api/v1/auth/oauth/",
		MaxAge: int(stateTTL / time.Second), HttpOnly: true, Secure: s.cfg.Production, SameSite: http.SameSiteLaxMode,
	}
	return p.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), cookie, nil
}

// OAuthCallback finishes a sign-in: it checks state against the cookie,
// exchanges the code with the PKCE verifier, reads the profile and signs
// the matching user in (creating or linking it).
func (s *Service) OAuthCallback(ctx context.Context, name, code, state, cookie string) (TokenPair, error) {
	p := s.oauth[name]
	if p == nil {
		return TokenPair{}, errOAuthUnknown
	}
	verifier, ok := p.checkState(name, state, cookie)
	if !ok || code == "" {
		return TokenPair{}, errOAuthState
	}
	client := &http.Client{Timeout: 10 * time.Second}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		s.log.WarnContext(ctx, "oauth exchange failed", "provider", name, "error", err)
		return TokenPair{}, errOAuthState
	}
	prof, err := p.profile(ctx, p.oauth.Client(ctx, tok), p.apiBase)
	if err != nil {
		return TokenPair{}, fmt.Errorf("oauth %s profile: %w", name, err)
	}
	if prof.Subject == "" {
		return TokenPair{}, fmt.Errorf("oauth %s profile: no subject", name)
	}
	return s.signInExternal(ctx, name, prof)
}

func (p *provider) checkState(name, state, cookie string) (verifier string, ok bool) {
	b64, sig64, found := strings.Cut(cookie, ".")
	if !found {
		return "", false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(b64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sig64)
	if err1 != nil || err2 != nil || !security.VerifyHMAC(p.key, payload, sig) {
		return "", false
	}
	parts := strings.Split(string(payload), "|")
	if len(parts) != 4 || parts[0] != name {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || time.Now().Unix() > exp {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(parts[1]), []byte(state)) != 1 {
		return "", false
	}
	return parts[2], true
}

// signInExternal signs in the user linked to (provider, subject), linking
// or creating one on first sight. An existing account is linked only
// through an email the provider has verified; if that account had not
// verified its email, its password is dropped, since whoever set it did not
// prove they own the address (account pre-hijacking).
func (s *Service) signInExternal(ctx context.Context, provider string, p Profile) (TokenPair, error) {
	id, err := s.linkedUser(ctx, provider, p.Subject)
	if err == nil {
		return s.signIn(ctx, id)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return TokenPair{}, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return TokenPair{}, fmt.Errorf("link identity: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	store := users.NewSQLStore(tx)
	var u users.User
	if p.EmailVerified && p.Email != "" {
		u, err = store.GetByEmail(ctx, p.Email)
		switch apperr.CodeOf(err) {
		case "":
			if u.EmailVerifiedAt == nil {
				if _, err := tx.ExecContext(ctx, `DELETE FROM auth_passwords WHERE user_id = $1`, u.ID); err != nil {
					return TokenPair{}, fmt.Errorf("link identity: %w", err)
				}
				if _, err := tx.ExecContext(ctx, `UPDATE auth_refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
					u.ID, time.Now().UTC()); err != nil {
					return TokenPair{}, fmt.Errorf("link identity: %w", err)
				}
				verified := true
				if u, err = store.Update(ctx, u.ID, u.Version, users.Patch{EmailVerified: &verified}); err != nil {
					return TokenPair{}, err
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
		return TokenPair{}, err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO auth_identities (provider, subject, user_id, created_at) VALUES ($1, $2, $3, $4)`,
		provider, p.Subject, u.ID, time.Now().UTC().Truncate(time.Microsecond)); err != nil {
		return TokenPair{}, fmt.Errorf("link identity: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return TokenPair{}, fmt.Errorf("link identity: %w", err)
	}
	return s.signIn(ctx, u.ID)
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
	p := Profile{Subject: strconv.FormatInt(u.ID, 10), Name: cmp(u.Name, u.Login)}
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

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
