package v1_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/auth"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/users"
)

func newAuthAPI(t *testing.T) http.Handler {
	t.Helper()
	db := dbtest.Open(t)
	store := users.NewSQLStore(db)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := auth.New(db, store, auth.Config{
		Secret: base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef\x00")),
		Issuer: "https://issuer.test", Audience: "test-api",
		AccessTTL: 15 * time.Minute, RefreshTTL: time.Hour, SessionMaxAge: 24 * time.Hour,
	}, auth.LogNotifier{Log: log}, log)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a := api.New(mux, "test", "1.0.0")
	v1.Register(a, v1.Deps{Items: items.NewSQLStore(db), Users: store, Authenticator: svc, Auth: svc})
	return mux
}

func post(t *testing.T, h http.Handler, path, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestAuthFlow(t *testing.T) {
	h := newAuthAPI(t)
	if w := post(t, h, "/api/v1/auth/register", `{"email":"ada@example.com","password":"correct horse battery"}`); w.Code != 202 {
		t.Fatalf("register = %d %s", w.Code, w.Body)
	}
	w := post(t, h, "/api/v1/auth/login", `{"email":"ada@example.com","password":"correct horse battery"}`)
	var tok v1.TokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &tok); w.Code != 200 || err != nil {
		t.Fatalf("login = %d %s", w.Code, w.Body)
	}
	// RFC 6749 §5.1 field names, and no caching of tokens.
	for _, f := range []string{`"access_token"`, `"token_type":"Bearer"`, `"expires_in":900`, `"refresh_token"`} {
		if !strings.Contains(w.Body.String(), f) {
			t.Errorf("token response lacks %s: %s", f, w.Body)
		}
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", w.Header().Get("Cache-Control"))
	}
	me := func(token string) int {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/auth/me", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if c := me(tok.AccessToken); c != 200 {
		t.Fatalf("me = %d", c)
	}
	// Refresh token as access token, and access token at /refresh: 401.
	if c := me(tok.RefreshToken); c != 401 {
		t.Fatalf("refresh token as bearer = %d", c)
	}
	if w := post(t, h, "/api/v1/auth/refresh", `{"refresh_token":"`+tok.AccessToken+`"}`); w.Code != 401 {
		t.Fatalf("access token at /refresh = %d", w.Code)
	}
	w = post(t, h, "/api/v1/auth/refresh", `{"refresh_token":"`+tok.RefreshToken+`"}`)
	if w.Code != 200 {
		t.Fatalf("refresh = %d %s", w.Code, w.Body)
	}
	var tok2 v1.TokenResponse
	_ = json.Unmarshal(w.Body.Bytes(), &tok2)
	if w := post(t, h, "/api/v1/auth/logout", `{"refresh_token":"`+tok2.RefreshToken+`"}`); w.Code != 204 {
		t.Fatalf("logout = %d", w.Code)
	}
	if w := post(t, h, "/api/v1/auth/refresh", `{"refresh_token":"`+tok2.RefreshToken+`"}`); w.Code != 401 {
		t.Fatalf("refresh after logout = %d", w.Code)
	}
}

func TestAuthBadInput(t *testing.T) {
	h := newAuthAPI(t)
	reg := func(password string) int {
		b, _ := json.Marshal(map[string]string{"email": "x@example.com", "password": password})
		return post(t, h, "/api/v1/auth/register", string(b)).Code
	}
	if c := reg("1234567"); c != 422 {
		t.Errorf("7-char password = %d, want 422", c)
	}
	if c := reg(strings.Repeat("p", 1000)); c != 422 {
		t.Errorf("1000-char password = %d, want 422", c)
	}
	if c := reg("password123"); c != 422 {
		t.Errorf("common password = %d, want 422", c)
	}
	if c := reg(strings.Repeat("long passphrase ", 4)); c != 202 {
		t.Errorf("64-char password = %d, want 202", c)
	}
	// 1 MB JSON body: 413 before any parsing or hashing.
	big := `{"email":"x@example.com","password":"` + strings.Repeat("a", 1<<20) + `"}`
	for _, path := range []string{"/api/v1/auth/register", "/api/v1/auth/login"} {
		if w := post(t, h, path, big); w.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("1 MB body at %s = %d, want 413", path, w.Code)
		}
	}
}

// No error answer of the auth endpoints repeats a password or token sent
// to them, whatever is wrong with the request.
func TestAuthErrorsNeverEchoSecrets(t *testing.T) {
	h := newAuthAPI(t)
	const pw = "correct horse battery staple"
	long := strings.Repeat(pw+" ", 20) // over 256 characters
	for name, tt := range map[string]struct {
		path, body string
		status     int
	}{
		"login, unknown field":          {"/api/v1/auth/login", `{"email":"ada@example.com","password":"` + pw + `","extra":1}`, 422},
		"login, broken JSON":            {"/api/v1/auth/login", `{"email":"ada@example.com","password":"` + pw, 400},
		"login, password too long":      {"/api/v1/auth/login", `{"email":"ada@example.com","password":"` + long + `"}`, 422},
		"login, email missing":          {"/api/v1/auth/login", `{"password":"` + pw + `"}`, 422},
		"register, password too long":   {"/api/v1/auth/register", `{"email":"ada@example.com","password":"` + long + `"}`, 422},
		"reset, token and password bad": {"/api/v1/auth/password/reset", `{"token":"` + strings.Repeat("horse", 60) + `","password":"` + long + `"}`, 422},
		"refresh, token too long":       {"/api/v1/auth/refresh", `{"refresh_token":"` + strings.Repeat("horse", 1000) + `"}`, 422},
	} {
		t.Run(name, func(t *testing.T) {
			w := post(t, h, tt.path, tt.body)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			for _, part := range []string{"correct", "horse", "battery", "staple"} {
				if strings.Contains(w.Body.String(), part) {
					t.Fatalf("the answer repeats %q: %s", part, w.Body)
				}
			}
		})
	}
}

// The OpenAPI limits of passwords are the policy's (auth.MinPasswordLen,
// auth.MaxPasswordLen), as their descriptions say.
func TestPasswordSchemaIsThePolicy(t *testing.T) {
	mux := http.NewServeMux()
	a := api.New(mux, "test", "1.0.0")
	v1.Register(a, v1.Deps{})
	for _, name := range []string{"RegisterInputBody", "ResetInputBody", "LoginInputBody"} {
		s := a.OpenAPI().Components.Schemas.Map()[name]
		if s == nil || s.Properties["password"] == nil {
			t.Fatalf("no schema %s with a password", name)
		}
		p := s.Properties["password"]
		if p.MaxLength == nil || *p.MaxLength != auth.MaxPasswordLen || !strings.Contains(p.Description, strconv.Itoa(auth.MaxPasswordLen)) {
			t.Errorf("%s.password: maxLength %v, description %q; want %d in both", name, p.MaxLength, p.Description, auth.MaxPasswordLen)
		}
		if name != "LoginInputBody" && (p.MinLength == nil || *p.MinLength != auth.MinPasswordLen || !strings.Contains(p.Description, strconv.Itoa(auth.MinPasswordLen))) {
			t.Errorf("%s.password: minLength %v, description %q; want %d in both", name, p.MinLength, p.Description, auth.MinPasswordLen)
		}
	}
}

// TestLoginNoEnumeration: unknown email and wrong password give the same
// status and body.
func TestLoginNoEnumeration(t *testing.T) {
	h := newAuthAPI(t)
	post(t, h, "/api/v1/auth/register", `{"email":"known@example.com","password":"correct horse battery"}`)
	known := post(t, h, "/api/v1/auth/login", `{"email":"known@example.com","password":"wrong password"}`)
	unknown := post(t, h, "/api/v1/auth/login", `{"email":"unknown@example.com","password":"wrong password"}`)
	if known.Code != 401 || known.Code != unknown.Code || known.Body.String() != unknown.Body.String() {
		t.Fatalf("known: %d %s\nunknown: %d %s", known.Code, known.Body, unknown.Code, unknown.Body)
	}
	// Registering a taken email answers exactly like a new one.
	a := post(t, h, "/api/v1/auth/register", `{"email":"known@example.com","password":"another passphrase"}`)
	b := post(t, h, "/api/v1/auth/register", `{"email":"new@example.com","password":"another passphrase"}`)
	if a.Code != b.Code || a.Body.String() != b.Body.String() {
		t.Fatalf("register taken: %d %s; new: %d %s", a.Code, a.Body, b.Code, b.Body)
	}
}
