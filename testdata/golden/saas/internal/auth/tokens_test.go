package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testKey = []byte("0123456789abcdef0123456789abcdef\x00\x01") // never text in production: see CheckSecret

func newTestTokens(t testing.TB) *Tokens {
	t.Helper()
	tk, err := NewTokens(testKey, "https://issuer.test", "test-api", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// sign makes a token with the given header and claims, signed by method and key.
func sign(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unsigned builds header.claims. with an empty signature.
func unsigned(header, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "."
}

func TestVerifyAttacks(t *testing.T) {
	tk := newTestTokens(t)
	now := time.Now()
	valid := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "https://issuer.test", "aud": "test-api", "sub": "42", "sid": "session-1",
			"exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "nbf": now.Unix()}
	}
	with := func(k string, v any) jwt.MapClaims {
		c := valid()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	at := map[string]any{"typ": AccessTokenType}
	hs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodHS256, testKey, at, c) }

	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	jwk, _ := json.Marshal(map[string]string{"kty": "oct", "k": base64.RawURLEncoding.EncodeToString(testKey)})

	// A server that must never be contacted (jku/x5u are ignored).
	var hits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer evil.Close()

	if id, sid, err := tk.Verify(hs(valid())); err != nil || id != 42 || sid != "session-1" {
		t.Fatalf("valid token: user %d, session %q, %v", id, sid, err)
	}
	if _, _, err := tk.Verify(hs(with("exp", now.Add(-20*time.Second).Unix()))); err != nil {
		t.Fatalf("exp 20 s ago is within the 30 s leeway: %v", err)
	}
	attacks := map[string]string{
		"alg none":               unsigned(map[string]any{"alg": "none", "typ": AccessTokenType}, valid()),
		"alg NoNe":               unsigned(map[string]any{"alg": "NoNe", "typ": AccessTokenType}, valid()),
		"alg NONE":               unsigned(map[string]any{"alg": "NONE", "typ": AccessTokenType}, valid()),
		"HS512 with the key":     sign(t, jwt.SigningMethodHS512, testKey, at, valid()),
		"HS384 with the key":     sign(t, jwt.SigningMethodHS384, testKey, at, valid()),
		"RS256 attacker key":     sign(t, jwt.SigningMethodRS256, rsaKey, at, valid()),
		"ES256 attacker key":     sign(t, jwt.SigningMethodES256, ecKey, at, valid()),
		"HS256 with PEM as key":  sign(t, jwt.SigningMethodHS256, pubPEM, at, valid()),
		"HS256 with JWK as key":  sign(t, jwt.SigningMethodHS256, jwk, at, valid()),
		"wrong key":              sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("k", 32)), at, valid()),
		"no exp":                 hs(with("exp", nil)),
		"expired 61 s":           hs(with("exp", now.Add(-61*time.Second).Unix())),
		"nbf in 120 s":           hs(with("nbf", now.Add(120*time.Second).Unix())),
		"iat in 1 h":             hs(with("iat", now.Add(time.Hour).Unix())),
		"iss evil":               hs(with("iss", "https://evil")),
		"iss missing":            hs(with("iss", nil)),
		"aud other":              hs(with("aud", "other")),
		"aud missing":            hs(with("aud", nil)),
		"sub missing":            hs(with("sub", nil)),
		"sub not a number":       hs(with("sub", "' OR 1=1--")),
		"sid missing":            hs(with("sid", nil)),
		"sid empty":              hs(with("sid", "")),
		"sid not a string":       hs(with("sid", 7)),
		"typ missing":            sign(t, jwt.SigningMethodHS256, testKey, nil, valid()),
		"typ JWT":                sign(t, jwt.SigningMethodHS256, testKey, map[string]any{"typ": "JWT"}, valid()),
		"kid path":               sign(t, jwt.SigningMethodRS256, rsaKey, map[string]any{"typ": AccessTokenType, "kid": "../../dev/null"}, valid()),
		"kid sql":                sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), map[string]any{"typ": AccessTokenType, "kid": "' OR 1=1--"}, valid()),
		"jku to attacker":        sign(t, jwt.SigningMethodRS256, rsaKey, map[string]any{"typ": AccessTokenType, "jku": evil.URL + "/jwks"}, valid()),
		"x5u to attacker":        sign(t, jwt.SigningMethodRS256, rsaKey, map[string]any{"typ": AccessTokenType, "x5u": evil.URL + "/cert"}, valid()),
		"refresh token (opaque)": "MmyjzvDwTuK7SOairDgMRVIVQqvnTorW0UGhDWEVjcU",
		"empty":                  "",
		"garbage":                "a.b.c",
	}
	for name, token := range attacks {
		t.Run(name, func(t *testing.T) {
			if id, _, err := tk.Verify(token); err == nil {
				t.Fatalf("accepted, user %d", id)
			} else if err != errInvalidToken {
				t.Fatalf("err = %v; want the one generic error", err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("attacker's key server was contacted %d times", n)
	}
}

func TestNewTokensRefuses(t *testing.T) {
	if _, err := NewTokens(make([]byte, 16), "i", "a", time.Minute); err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
		t.Errorf("16-byte key: %v", err)
	}
	if _, err := NewTokens(testKey, "", "a", time.Minute); err == nil || !strings.Contains(err.Error(), "JWT_ISSUER") {
		t.Errorf("empty issuer: %v", err)
	}
	if _, err := NewTokens(testKey, "i", "", time.Minute); err == nil || !strings.Contains(err.Error(), "JWT_AUDIENCE") {
		t.Errorf("empty audience: %v", err)
	}
}

func TestCheckSecret(t *testing.T) {
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	if err := CheckSecret(random); err != nil {
		t.Errorf("32 random bytes: %v", err)
	}
	for name, key := range map[string][]byte{
		"16 bytes": random[:16],
		"text":     []byte("correct horse battery staple 123"),
	} {
		if err := CheckSecret(key); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// FuzzVerifyJWT: Verify never panics and never accepts a token it did not
// sign (the fuzzer cannot forge an HMAC).
func FuzzVerifyJWT(f *testing.F) {
	tk := newTestTokens(f)
	good, _ := tk.Issue(1, "session-1")
	f.Add(good)
	f.Add(unsigned(map[string]any{"alg": "none"}, map[string]any{"sub": "1"}))
	f.Add("e30.e30.")
	f.Fuzz(func(t *testing.T, s string) {
		id, _, err := tk.Verify(s)
		if err == nil && s != good {
			t.Fatalf("accepted a token it did not issue: %q (user %d)", s, id)
		}
	})
}

// BenchmarkVerifyHS256 measures what Authenticate does before it reads the
// user: verify the token, then look its session up in the revoked set
// (here 10,000 sessions, already synced).
func BenchmarkVerifyHS256(b *testing.B) {
	tk := newTestTokens(b)
	token, _ := tk.Issue(42, "live-session")
	r := newRevocations(nil, 15*time.Minute)
	r.synced = time.Now().Add(time.Hour) // no database read during the benchmark
	for i := range 10_000 {
		r.add(fmt.Sprintf("revoked-%d", i), time.Now())
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, sid, err := tk.Verify(token)
		if err != nil {
			b.Fatal(err)
		}
		if revoked, err := r.revoked(ctx, sid); err != nil || revoked {
			b.Fatal(revoked, err)
		}
	}
}

// Impersonation tokens are their own type (RFC 8725 §3.11): neither kind
// passes for the other, the actor is required and is not the subject, and
// the lifetime is at most MaxImpersonationTTL.
func TestImpersonationTokens(t *testing.T) {
	tk := newTestTokens(t)
	imp, exp, err := tk.IssueImpersonation(42, 7, "imp-1", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d > MaxImpersonationTTL || d < MaxImpersonationTTL-time.Minute {
		t.Errorf("expires in %s; want about %s", d, MaxImpersonationTTL)
	}
	sub, act, sid, err := tk.VerifyImpersonation(imp)
	if err != nil || sub != 42 || act != 7 || sid != "imp-1" {
		t.Fatalf("VerifyImpersonation = %d, %d, %q, %v; want 42, 7, imp-1", sub, act, sid, err)
	}
	if _, _, err := tk.Verify(imp); err == nil {
		t.Error("an impersonation token passed as an access token")
	}
	access, err := tk.Issue(42, "session-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := tk.VerifyImpersonation(access); err == nil {
		t.Error("an access token passed as an impersonation token")
	}
	for _, bad := range []struct {
		name           string
		subject, actor int64
		ttl            time.Duration
	}{
		{"too long", 42, 7, MaxImpersonationTTL + time.Second},
		{"no lifetime", 42, 7, 0},
		{"oneself", 42, 42, time.Minute},
		{"no actor", 42, 0, time.Minute},
	} {
		if _, _, err := tk.IssueImpersonation(bad.subject, bad.actor, "imp-2", bad.ttl); err == nil {
			t.Errorf("IssueImpersonation %s: no error", bad.name)
		}
	}

	// Forged with the right key but wrong claims: still refused.
	now := time.Now()
	claims := func(extra jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "https://issuer.test", "aud": "test-api", "sub": "42", "sid": "imp-1",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "act": map[string]any{"sub": "7"}}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	for name, c := range map[string]jwt.MapClaims{
		"no act":                claims(jwt.MapClaims{"act": nil}),
		"act names the subject": claims(jwt.MapClaims{"act": map[string]any{"sub": "42"}}),
		"an hour long":          claims(jwt.MapClaims{"exp": now.Add(time.Hour).Unix()}),
	} {
		if c["act"] == nil {
			delete(c, "act")
		}
		tok := sign(t, jwt.SigningMethodHS256, testKey, map[string]any{"typ": ImpersonationTokenType}, c)
		if _, _, _, err := tk.VerifyImpersonation(tok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// An access-typed token carrying act is no access token either.
	withAct := sign(t, jwt.SigningMethodHS256, testKey, map[string]any{"typ": AccessTokenType}, claims(nil))
	if _, _, err := tk.Verify(withAct); err == nil {
		t.Error("an access token with act accepted")
	}
}
