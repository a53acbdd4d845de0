package v1_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/auth"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/users"
)

// These tests run the real golang.org/x/oauth2 client against fake GitHub
// and Google servers that speak the providers' wire formats.

const (
	oauthBase   = "https://svc.example.test"
	oauthSecret = "provider-secret"
	// leak is in every error the fake providers send; clients must never
	// see it.
	leak = "upstream-detail-7f3a"
)

// fakeAccount is a person at a fake provider.
type fakeAccount struct {
	ID       int64 // the provider's subject
	Name     string
	Email    string
	Verified bool
}

type fakeGrant struct {
	clientID, redirectURI, challenge string
	account                          fakeAccount
	used                             bool
}

// fakeProvider is an OAuth 2.0 authorization server with PKCE (RFC 7636)
// and the profile API of GitHub (GET /user, /user/emails) or Google (OIDC
// userinfo).
type fakeProvider struct {
	t        *testing.T
	kind     string // github or google
	clientID string
	secret   string
	srv      *httptest.Server

	mu        sync.Mutex
	account   fakeAccount // who approves the next authorization
	grants    map[string]*fakeGrant
	tokens    map[string]fakeAccount
	tokenFail int // status of every token response, when not 0
	apiFail   int // status of every profile API response, when not 0
	exchanges int // token requests received
	verifiers []string
}

func newFakeProvider(t *testing.T, kind string) *fakeProvider {
	f := &fakeProvider{t: t, kind: kind, clientID: kind + "-client", secret: oauthSecret, grants: map[string]*fakeGrant{}, tokens: map[string]fakeAccount{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", f.authorize)
	mux.HandleFunc("/token", f.token)
	if kind == "github" {
		mux.HandleFunc("GET /user", f.githubUser)
		mux.HandleFunc("GET /user/emails", f.githubEmails)
	} else {
		mux.HandleFunc("GET /v1/userinfo", f.googleUserinfo)
	}
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeProvider) endpoint() auth.OAuthEndpoint {
	return auth.OAuthEndpoint{AuthURL: f.srv.URL + "/authorize", TokenURL: f.srv.URL + "/token", APIBase: f.srv.URL}
}

func (f *fakeProvider) set(fn func(f *fakeProvider)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeProvider) exchangeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exchanges
}

func oauthJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// authorize is the page the browser is sent to: the person approves at
// once, and is sent back with a code bound to the PKCE challenge.
func (f *fakeProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	challenge := q.Get("code_challenge")
	if q.Get("response_type") != "code" || q.Get("client_id") != f.clientID || q.Get("state") == "" ||
		q.Get("code_challenge_method") != "S256" || len(challenge) != 43 || q.Get("code_verifier") != "" {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	code := strconv.Itoa(len(f.grants)+1) + "-" + challenge[:8]
	f.grants[code] = &fakeGrant{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), challenge: challenge, account: f.account}
	f.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token is the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.6).
func (f *fakeProvider) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exchanges++
	if f.tokenFail != 0 {
		http.Error(w, "token endpoint exploded: "+leak, f.tokenFail)
		return
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		oauthJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != f.clientID || secret != f.secret {
		oauthJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	g := f.grants[r.PostForm.Get("code")]
	verifier := r.PostForm.Get("code_verifier")
	f.verifiers = append(f.verifiers, verifier)
	sum := sha256.Sum256([]byte(verifier))
	if r.PostForm.Get("grant_type") != "authorization_code" || g == nil || g.used || g.clientID != id ||
		g.redirectURI != r.PostForm.Get("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		oauthJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": leak})
		return
	}
	g.used = true
	tok := fmt.Sprintf("at-%d-%d", g.account.ID, len(f.tokens))
	f.tokens[tok] = g.account
	oauthJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "scope": "read:user,user:email"})
}

// caller returns the account of the request's bearer token.
func (f *fakeProvider) caller(w http.ResponseWriter, r *http.Request) (fakeAccount, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	switch {
	case f.apiFail != 0:
		oauthJSON(w, f.apiFail, map[string]string{"message": "Bad credentials " + leak})
		return fakeAccount{}, false
	case !ok:
		oauthJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return fakeAccount{}, false
	}
	return a, true
}

func (f *fakeProvider) githubUser(w http.ResponseWriter, r *http.Request) {
	if a, ok := f.caller(w, r); ok {
		oauthJSON(w, http.StatusOK, map[string]any{"id": a.ID, "login": "user" + strconv.FormatInt(a.ID, 10), "name": a.Name})
	}
}

func (f *fakeProvider) githubEmails(w http.ResponseWriter, r *http.Request) {
	if a, ok := f.caller(w, r); ok {
		oauthJSON(w, http.StatusOK, []map[string]any{
			// A verified secondary address must not stand in for the primary.
			{"email": "secondary@example.org", "primary": false, "verified": true, "visibility": nil},
			{"email": a.Email, "primary": true, "verified": a.Verified, "visibility": "public"},
		})
	}
}

func (f *fakeProvider) googleUserinfo(w http.ResponseWriter, r *http.Request) {
	if a, ok := f.caller(w, r); ok {
		oauthJSON(w, http.StatusOK, map[string]any{
			"sub": strconv.FormatInt(a.ID, 10), "email": a.Email, "email_verified": a.Verified, "name": a.Name,
		})
	}
}

// inbox keeps the last token sent to each address.
type inbox struct {
	mu     sync.Mutex
	tokens map[string]string
}

func (b *inbox) Notify(_ context.Context, m auth.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens[m.Kind+":"+m.To] = m.Token
	return nil
}

type oauthEnv struct {
	h      http.Handler
	db     *sql.DB
	store  users.Store
	inbox  *inbox
	github *fakeProvider
	google *fakeProvider
}

// newOAuthAPI serves the API with the given fake providers configured
// ("github", "google"); the others are off.
func newOAuthAPI(t *testing.T, production bool, providers ...string) *oauthEnv {
	t.Helper()
	db := dbtest.Open(t)
	e := &oauthEnv{db: db, store: users.NewSQLStore(db), inbox: &inbox{tokens: map[string]string{}}}
	cfg := auth.OAuthConfig{RedirectBaseURL: oauthBase + "/", Endpoints: map[string]auth.OAuthEndpoint{}}
	for _, p := range providers {
		f := newFakeProvider(t, p)
		cfg.Endpoints[p] = f.endpoint()
		if p == "github" {
			e.github, cfg.GitHubClientID, cfg.GitHubClientSecret = f, f.clientID, oauthSecret
		} else {
			e.google, cfg.GoogleClientID, cfg.GoogleClientSecret = f, f.clientID, oauthSecret
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := auth.New(db, e.store, auth.Config{
		Production: production,
		Secret:     base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef\x00")),
		Issuer:     "https://issuer.test", Audience: "test-api", OAuth: cfg,
		AccessTTL: 15 * time.Minute, RefreshTTL: time.Hour, SessionMaxAge: 24 * time.Hour,
	}, e.inbox, log)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a := api.New(mux, "test", "1.0.0")
	v1.Register(a, v1.Deps{Items: items.NewSQLStore(db), Users: e.store, Authenticator: svc, Auth: svc})
	e.h = mux
	return e
}

func (e *oauthEnv) fake(provider string) *fakeProvider {
	if provider == "github" {
		return e.github
	}
	return e.google
}

func (e *oauthEnv) get(t *testing.T, target string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func (e *oauthEnv) userCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func stateCookie(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == "oauth_state" {
			return c
		}
	}
	t.Fatalf("no oauth_state cookie in %v", w.Header())
	return nil
}

// start begins a sign-in and returns the provider URL and the cookie.
func (e *oauthEnv) start(t *testing.T, provider string) (*url.URL, *http.Cookie) {
	t.Helper()
	w := e.get(t, "/api/v1/auth/oauth/"+provider)
	if w.Code != http.StatusFound {
		t.Fatalf("start = %d %s", w.Code, w.Body)
	}
	u, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u, stateCookie(t, w)
}

// authorize plays the browser at the provider: it follows authURL and
// returns where the provider sends it back.
func authorize(t *testing.T, authURL *url.URL) *url.URL {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL.String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("authorize = %d %s", resp.StatusCode, b)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(back.String(), oauthBase+"/api/v1/auth/oauth/") {
		t.Fatalf("provider sent the browser to %s", back)
	}
	return back
}

// callback delivers the provider's redirect to the service.
func (e *oauthEnv) callback(t *testing.T, back *url.URL, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	return e.get(t, back.RequestURI(), cookies...)
}

// signIn runs a whole sign-in as a at provider and returns the response.
func (e *oauthEnv) signIn(t *testing.T, provider string, a fakeAccount) *httptest.ResponseRecorder {
	t.Helper()
	e.fake(provider).set(func(f *fakeProvider) { f.account = a })
	authURL, cookie := e.start(t, provider)
	return e.callback(t, authorize(t, authURL), cookie)
}

// signedIn runs a sign-in that must succeed, and returns the user.
func (e *oauthEnv) signedIn(t *testing.T, provider string, a fakeAccount) v1.User {
	t.Helper()
	w := e.signIn(t, provider, a)
	var tok v1.TokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &tok); w.Code != http.StatusOK || err != nil || tok.AccessToken == "" {
		t.Fatalf("callback = %d %s", w.Code, w.Body)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", w.Header().Get("Cache-Control"))
	}
	if c := stateCookie(t, w); c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("callback leaves the state cookie: %v", c)
	}
	return e.me(t, tok.AccessToken)
}

func (e *oauthEnv) me(t *testing.T, accessToken string) v1.User {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/api/v1/auth/me", nil)
	r.Header.Set("Authorization", "Bearer "+accessToken)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	var u v1.User
	if err := json.Unmarshal(w.Body.Bytes(), &u); w.Code != http.StatusOK || err != nil {
		t.Fatalf("me = %d %s", w.Code, w.Body)
	}
	return u
}

func (e *oauthEnv) post(t *testing.T, path string, body any) *httptest.ResponseRecorder {
	t.Helper()
	b, _ := json.Marshal(body)
	return post(t, e.h, path, string(b))
}

// wantProblem checks that w is an RFC 9457 problem with the given status
// that says nothing of what the provider answered.
func wantProblem(t *testing.T, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d: %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != status {
		t.Errorf("body = %s", w.Body)
	}
	for _, s := range []string{leak, "oauth2", "127.0.0.1", "token", "GET "} {
		if strings.Contains(p.Detail, s) {
			t.Errorf("problem leaks %q: %s", s, w.Body)
		}
	}
	if strings.Contains(w.Body.String(), leak) {
		t.Errorf("problem leaks the provider's answer: %s", w.Body)
	}
}

var ada = fakeAccount{ID: 1001, Name: "Ada Lovelace", Email: "Ada@Example.com", Verified: true}

func TestOAuthStartRedirect(t *testing.T) {
	e := newOAuthAPI(t, false, "github", "google")
	for _, provider := range []string{"github", "google"} {
		t.Run(provider, func(t *testing.T) {
			authURL, cookie := e.start(t, provider)
			f := e.fake(provider)
			if got := authURL.Scheme + "://" + authURL.Host + authURL.Path; got != f.srv.URL+"/authorize" {
				t.Errorf("redirect to %s", got)
			}
			q := authURL.Query()
			want := map[string]string{
				"response_type":         "code",
				"client_id":             f.clientID,
				"redirect_uri":          oauthBase + "/api/v1/auth/oauth/" + provider + "/callback",
				"code_challenge_method": "S256",
			}
			for k, v := range want {
				if q.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, q.Get(k), v)
				}
			}
			if len(q.Get("state")) < 43 || len(q.Get("code_challenge")) != 43 || q.Get("scope") == "" {
				t.Errorf("state, challenge or scope missing: %s", authURL.RawQuery)
			}
			if q.Has("code_verifier") || strings.Contains(authURL.String(), "verifier") {
				t.Errorf("the verifier leaves the service: %s", authURL)
			}
			if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/api/v1/auth/oauth/" ||
				cookie.MaxAge <= 0 || cookie.MaxAge > 600 || cookie.Secure {
				t.Errorf("state cookie = %+v", cookie)
			}
			// Every start is a new attempt.
			authURL2, cookie2 := e.start(t, provider)
			if authURL2.Query().Get("state") == q.Get("state") || authURL2.Query().Get("code_challenge") == q.Get("code_challenge") ||
				cookie2.Value == cookie.Value {
				t.Error("two starts share state or challenge")
			}
		})
	}
	t.Run("production cookie is Secure", func(t *testing.T) {
		_, cookie := newOAuthAPI(t, true, "github").start(t, "github")
		if !cookie.Secure {
			t.Errorf("state cookie = %+v", cookie)
		}
	})
}

func TestOAuthFirstAndSecondSignIn(t *testing.T) {
	for _, provider := range []string{"github", "google"} {
		t.Run(provider, func(t *testing.T) {
			e := newOAuthAPI(t, false, provider)
			u := e.signedIn(t, provider, ada)
			if u.Email != "ada@example.com" || !u.EmailVerified || u.Name != "Ada Lovelace" {
				t.Errorf("first sign-in made %+v", u)
			}
			// The same account again, now with another email and name: the
			// same user.
			again := ada
			again.Email, again.Name = "countess@example.com", "Countess"
			if u2 := e.signedIn(t, provider, again); u2.ID != u.ID {
				t.Errorf("second sign-in is user %d, want %d", u2.ID, u.ID)
			}
			// Another account: another user.
			bob := fakeAccount{ID: 2002, Name: "Bob", Email: "bob@example.com", Verified: true}
			if u3 := e.signedIn(t, provider, bob); u3.ID == u.ID {
				t.Error("another account signed in as the first user")
			}
			if n := e.userCount(t); n != 2 {
				t.Errorf("%d users, want 2", n)
			}
			f := e.fake(provider)
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.exchanges != 3 || len(f.verifiers) != 3 || len(f.verifiers[0]) < 43 {
				t.Errorf("token requests = %d, verifiers %q", f.exchanges, f.verifiers)
			}
		})
	}
}

func TestOAuthSameSubjectOtherProvider(t *testing.T) {
	// Subjects are per provider: GitHub user 1001 is not Google user 1001.
	e := newOAuthAPI(t, false, "github", "google")
	gh := e.signedIn(t, "github", fakeAccount{ID: 1001, Name: "A"})
	gg := e.signedIn(t, "google", fakeAccount{ID: 1001, Name: "B"})
	if gh.ID == gg.ID {
		t.Error("one user for two providers' unrelated accounts")
	}
}

func TestOAuthStateChecked(t *testing.T) {
	e := newOAuthAPI(t, false, "github", "google")
	e.github.set(func(f *fakeProvider) { f.account = ada })
	authURL, cookie := e.start(t, "github")
	back := authorize(t, authURL)
	_, otherCookie := e.start(t, "github")
	googleURL, googleCookie := e.start(t, "google")
	googleBack := authorize(t, googleURL)

	with := func(u *url.URL, set map[string]string) *url.URL {
		c := *u
		q := c.Query()
		for k, v := range set {
			if v == "" {
				q.Del(k)
			} else {
				q.Set(k, v)
			}
		}
		c.RawQuery = q.Encode()
		return &c
	}
	tampered := *cookie
	tampered.Value = "x" + cookie.Value[1:]
	forged := *cookie
	payload, _, _ := strings.Cut(cookie.Value, ".")
	forged.Value = payload + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	// GitHub's state and cookie presented at Google's callback.
	crossed, _ := url.Parse(strings.Replace(back.String(), "/github/", "/google/", 1))

	tests := []struct {
		name    string
		back    *url.URL
		cookies []*http.Cookie
	}{
		{"no cookie", back, nil},
		{"no state", with(back, map[string]string{"state": ""}), []*http.Cookie{cookie}},
		{"wrong state", with(back, map[string]string{"state": "AAAA" + back.Query().Get("state")[4:]}), []*http.Cookie{cookie}},
		{"another start's cookie", back, []*http.Cookie{otherCookie}},
		{"tampered cookie", back, []*http.Cookie{&tampered}},
		{"forged signature", back, []*http.Cookie{&forged}},
		{"other provider's cookie", googleBack, []*http.Cookie{cookie}},
		{"other provider's callback", crossed, []*http.Cookie{cookie, googleCookie}},
		{"no code", with(back, map[string]string{"code": ""}), []*http.Cookie{cookie}},
		{"provider error", with(back, map[string]string{"code": "", "error": "access_denied"}), []*http.Cookie{cookie}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.callback(t, tt.back, tt.cookies...)
			if w.Code != http.StatusBadRequest && w.Code != http.StatusUnauthorized {
				t.Fatalf("callback = %d %s", w.Code, w.Body)
			}
			wantProblem(t, w, w.Code)
		})
	}
	if n := e.userCount(t); n != 0 {
		t.Errorf("%d users created", n)
	}
	if n := e.github.exchangeCount() + e.google.exchangeCount(); n != 0 {
		t.Errorf("%d codes exchanged without a matching state", n)
	}
	// The untouched pair still works: none of the above spent it.
	if w := e.callback(t, back, cookie); w.Code != http.StatusOK {
		t.Fatalf("genuine callback = %d %s", w.Code, w.Body)
	}
}

func TestOAuthStateSingleUse(t *testing.T) {
	e := newOAuthAPI(t, false, "github")
	e.github.set(func(f *fakeProvider) { f.account = ada })
	authURL, cookie := e.start(t, "github")
	back := authorize(t, authURL)
	if w := e.callback(t, back, cookie); w.Code != http.StatusOK {
		t.Fatalf("callback = %d %s", w.Code, w.Body)
	}
	// The same redirect again (a reload, or a copy of the URL and cookie).
	wantProblem(t, e.callback(t, back, cookie), http.StatusUnauthorized)
	// The same state with a fresh code bound to the same challenge: the
	// service refuses it before asking the provider.
	fresh := authorize(t, authURL)
	before := e.github.exchangeCount()
	wantProblem(t, e.callback(t, fresh, cookie), http.StatusUnauthorized)
	if e.github.exchangeCount() != before {
		t.Error("a spent state reached the token endpoint")
	}
	if n := e.userCount(t); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
}

func TestOAuthPKCEVerifier(t *testing.T) {
	e := newOAuthAPI(t, false, "github")
	e.github.set(func(f *fakeProvider) { f.account = ada })
	authURL, cookie := e.start(t, "github")
	other, _ := e.start(t, "github")
	// A code bound to another attempt's challenge, returned with this
	// attempt's state (an injected code): the verifier does not match, and
	// the fake provider refuses the exchange.
	injected := *authURL
	q := injected.Query()
	q.Set("code_challenge", other.Query().Get("code_challenge"))
	injected.RawQuery = q.Encode()
	wantProblem(t, e.callback(t, authorize(t, &injected), cookie), http.StatusUnauthorized)
	if n := e.userCount(t); n != 0 {
		t.Errorf("%d users created", n)
	}
	e.github.mu.Lock()
	defer e.github.mu.Unlock()
	if e.github.exchanges != 1 || len(e.github.verifiers) != 1 || e.github.verifiers[0] == "" {
		t.Errorf("token requests = %d, verifiers %q", e.github.exchanges, e.github.verifiers)
	}
}

func TestOAuthLinksVerifiedEmail(t *testing.T) {
	const email, password = "ada@example.com", "correct horse battery"
	login := func(e *oauthEnv) int {
		return e.post(t, "/api/v1/auth/login", map[string]string{"email": email, "password": password}).Code
	}
	register := func(t *testing.T, e *oauthEnv, verify bool) users.User {
		t.Helper()
		if w := e.post(t, "/api/v1/auth/register", map[string]string{"email": email, "password": password}); w.Code != 202 {
			t.Fatalf("register = %d %s", w.Code, w.Body)
		}
		if verify {
			token := e.inbox.tokens[auth.KindVerifyEmail+":"+email]
			if w := e.post(t, "/api/v1/auth/email/verify", map[string]string{"token": token}); w.Code != 204 {
				t.Fatalf("verify = %d %s", w.Code, w.Body)
			}
		}
		u, err := e.store.GetByEmail(context.Background(), email)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	for _, provider := range []string{"github", "google"} {
		t.Run(provider+"/verified local account", func(t *testing.T) {
			e := newOAuthAPI(t, false, provider)
			local := register(t, e, true)
			if u := e.signedIn(t, provider, ada); u.ID != local.ID {
				t.Errorf("signed in as %d, want the local user %d", u.ID, local.ID)
			}
			if c := login(e); c != 200 {
				t.Errorf("password login after linking = %d", c)
			}
			if n := e.userCount(t); n != 1 {
				t.Errorf("%d users, want 1", n)
			}
		})
		t.Run(provider+"/unverified local account", func(t *testing.T) {
			// Someone registered the address without proving it; its owner
			// signs in through the provider: the account is theirs now, and
			// the squatter's password and sessions are gone.
			e := newOAuthAPI(t, false, provider)
			local := register(t, e, false)
			squatter := e.post(t, "/api/v1/auth/login", map[string]string{"email": email, "password": password})
			var tok v1.TokenResponse
			_ = json.Unmarshal(squatter.Body.Bytes(), &tok)
			u := e.signedIn(t, provider, ada)
			if u.ID != local.ID || !u.EmailVerified {
				t.Errorf("signed in as %+v, want the local user %d, verified", u, local.ID)
			}
			if c := login(e); c != 401 {
				t.Errorf("squatter's password login = %d, want 401", c)
			}
			if w := e.post(t, "/api/v1/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}); w.Code != 401 {
				t.Errorf("squatter's refresh = %d, want 401", w.Code)
			}
		})
		t.Run(provider+"/unverified provider email", func(t *testing.T) {
			// The provider does not vouch for the address: no link, no
			// takeover, and the address is not copied to the new user.
			e := newOAuthAPI(t, false, provider)
			local := register(t, e, true)
			mallory := fakeAccount{ID: 666, Name: "Mallory", Email: email, Verified: false}
			u := e.signedIn(t, provider, mallory)
			if u.ID == local.ID || u.Email != "" || u.EmailVerified {
				t.Errorf("unverified provider email made %+v (local user %d)", u, local.ID)
			}
			if c := login(e); c != 200 {
				t.Errorf("owner's password login = %d", c)
			}
			if got, err := e.store.Get(context.Background(), local.ID); err != nil || got.Email != email || got.EmailVerifiedAt == nil {
				t.Errorf("local user now %+v, %v", got, err)
			}
			// Verifying the address at the provider later does not move the
			// identity either: it stays with the user it made.
			mallory.Verified = true
			if again := e.signedIn(t, provider, mallory); again.ID != u.ID {
				t.Errorf("second sign-in is user %d, want %d", again.ID, u.ID)
			}
		})
	}
}

func TestOAuthProviderErrors(t *testing.T) {
	tests := []struct {
		name      string
		tokenFail int
		apiFail   int
	}{
		{"token endpoint 500", http.StatusInternalServerError, 0},
		{"token endpoint 503", http.StatusServiceUnavailable, 0},
		{"user API 401", 0, http.StatusUnauthorized},
		{"user API 500", 0, http.StatusInternalServerError},
	}
	for _, provider := range []string{"github", "google"} {
		for _, tt := range tests {
			t.Run(provider+"/"+tt.name, func(t *testing.T) {
				e := newOAuthAPI(t, false, provider)
				e.fake(provider).set(func(f *fakeProvider) { f.tokenFail, f.apiFail = tt.tokenFail, tt.apiFail })
				w := e.signIn(t, provider, ada)
				wantProblem(t, w, http.StatusServiceUnavailable)
				if n := e.userCount(t); n != 0 {
					t.Errorf("%d users created", n)
				}
			})
		}
	}
	t.Run("client secret refused", func(t *testing.T) {
		// invalid_client is the service's misconfiguration, not the
		// caller's fault.
		e := newOAuthAPI(t, false, "github")
		e.github.set(func(f *fakeProvider) { f.secret = "rotated" })
		wantProblem(t, e.signIn(t, "github", ada), http.StatusServiceUnavailable)
	})
}

func TestOAuthOffWhenUnset(t *testing.T) {
	e := newOAuthAPI(t, false)
	for _, path := range []string{
		"/api/v1/auth/oauth/github", "/api/v1/auth/oauth/google",
		"/api/v1/auth/oauth/github/callback?code=c&state=s", "/api/v1/auth/oauth/google/callback?code=c&state=s",
	} {
		wantProblem(t, e.get(t, path), http.StatusNotFound)
	}
	// Only the configured provider is on.
	e = newOAuthAPI(t, false, "github")
	wantProblem(t, e.get(t, "/api/v1/auth/oauth/google"), http.StatusNotFound)
	if w := e.get(t, "/api/v1/auth/oauth/gitlab"); w.Code/100 != 4 {
		t.Errorf("unknown provider = %d", w.Code)
	}
}

func TestOAuthConfigErrors(t *testing.T) {
	db := dbtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for name, cfg := range map[string]auth.OAuthConfig{
		"id without secret":    {RedirectBaseURL: oauthBase, GitHubClientID: "id"},
		"secret without id":    {RedirectBaseURL: oauthBase, GoogleClientSecret: "s"},
		"no redirect base URL": {GitHubClientID: "id", GitHubClientSecret: "s"},
	} {
		_, err := auth.New(db, users.NewSQLStore(db), auth.Config{Issuer: "i", Audience: "a", OAuth: cfg, AccessTTL: 15 * time.Minute, RefreshTTL: time.Hour, SessionMaxAge: 24 * time.Hour}, &inbox{}, log)
		if err == nil || !strings.Contains(err.Error(), "OAUTH_") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestOAuthDeletedUserSignsInAgain(t *testing.T) {
	e := newOAuthAPI(t, false, "github")
	u := e.signedIn(t, "github", ada)
	if err := e.store.Delete(context.Background(), u.ID, u.Version); err != nil {
		t.Fatal(err)
	}
	// The deleted user's identity is free again, like its email.
	u2 := e.signedIn(t, "github", ada)
	if u2.ID == u.ID || u2.Email != "ada@example.com" {
		t.Errorf("after deletion signed in as %+v (deleted %d)", u2, u.ID)
	}
	if again := e.signedIn(t, "github", ada); again.ID != u2.ID {
		t.Errorf("then signed in as %d, want %d", again.ID, u2.ID)
	}
}

func TestOAuthProfileSanitized(t *testing.T) {
	e := newOAuthAPI(t, false, "google")
	long := strings.Repeat("n", 300)
	u := e.signedIn(t, "google", fakeAccount{ID: 7, Name: "Eve\u202e\x00" + long, Email: "not an email", Verified: true})
	if u.Email != "" || u.EmailVerified || len(u.Name) != 200 || strings.ContainsAny(u.Name, "\u202e\x00") {
		t.Errorf("profile stored as %+v", u)
	}
}
