package auth

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/security"
)

// MinSecretBytes is the shortest accepted HS256 key: 256 bits (RFC 7518
// §3.2, RFC 8725 §3.5).
const MinSecretBytes = 32

// AccessTokenType is the JWT "typ" header of access tokens (RFC 9068). It
// keeps them apart from any other JWT the service might sign (RFC 8725
// §3.11).
const AccessTokenType = "at+jwt"

// Leeway is the clock skew allowed when checking exp, nbf and iat.
const Leeway = 30 * time.Second

// Tokens issues and verifies the service's own access tokens: HS256 JWTs
// with exact iss and aud and a required exp.
//
// Why HS256: this service is the only one that both signs and verifies
// them, so a shared secret is enough and the fastest to verify. If other
// services must verify the tokens too, switch to EdDSA and publish the
// public key; they then cannot mint tokens.
type Tokens struct {
	key      []byte
	issuer   string
	audience string
	ttl      time.Duration
	now      func() time.Time
	parser   *jwt.Parser
}

// NewTokens returns Tokens signing with key. It refuses a key shorter than
// MinSecretBytes and an empty issuer or audience, because golang-jwt skips
// the iss and aud checks when the expected value is empty.
func NewTokens(key []byte, issuer, audience string, ttl time.Duration) (*Tokens, error) {
	switch {
	case len(key) < MinSecretBytes:
		return nil, fmt.Errorf("JWT_SECRET: %d bytes; want at least %d random bytes", len(key), MinSecretBytes)
	case issuer == "":
		return nil, errors.New("JWT_ISSUER: must not be empty")
	case audience == "":
		return nil, errors.New("JWT_AUDIENCE: must not be empty")
	case ttl <= 0:
		return nil, errors.New("AUTH_ACCESS_TTL: must be positive")
	}
	t := &Tokens{key: key, issuer: issuer, audience: audience, ttl: ttl, now: time.Now}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), // the header never picks the algorithm
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithStrictDecoding(), // one encoding per token: no malleable signatures
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
	)
	return t, nil
}

// TTL is the lifetime of an access token.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// accessClaims are the claims of an access token: the registered ones and
// the sign-in (refresh-token family) it belongs to, under the name OpenID
// Connect gives a session id.
type accessClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
}

// Issue returns a signed access token for the user's sign-in sessionID.
func (t *Tokens) Issue(userID int64, sessionID string) (string, error) {
	if sessionID == "" {
		return "", errors.New("sign access token: no session id")
	}
	now := t.now()
	claims := accessClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    t.issuer,
		Subject:   strconv.FormatInt(userID, 10),
		Audience:  jwt.ClaimStrings{t.audience},
		ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
		NotBefore: jwt.NewNumericDate(now),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        security.Token()[:22],
	}, SessionID: sessionID}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["typ"] = AccessTokenType
	s, err := tok.SignedString(t.key)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return s, nil
}

// Verify checks an access token and returns its user id and session id.
// Every failure is the same apperr.Unauthorized error: callers learn
// nothing about why. Whether the session is still live is the caller's
// check (Service.Authenticate).
func (t *Tokens) Verify(token string) (userID int64, sessionID string, err error) {
	var claims accessClaims
	if _, err := t.parser.ParseWithClaims(token, &claims, t.keyFor); err != nil {
		return 0, "", errInvalidToken
	}
	id, err := strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil || id <= 0 || claims.SessionID == "" || len(claims.SessionID) > 64 {
		return 0, "", errInvalidToken
	}
	return id, claims.SessionID, nil
}

// keyFor returns the one key, for the one algorithm, of the one token type.
// kid, jku, x5u, jwk and x5c headers are never read.
func (t *Tokens) keyFor(tok *jwt.Token) (any, error) {
	if tok.Method != jwt.SigningMethodHS256 {
		return nil, errInvalidToken
	}
	if typ, _ := tok.Header["typ"].(string); typ != AccessTokenType {
		return nil, errInvalidToken
	}
	return t.key, nil
}

var errInvalidToken = apperr.Errorf(apperr.Unauthorized, "invalid token")

// CheckSecret rejects a JWT_SECRET that is short or looks like text (a
// human password rather than random bytes, RFC 8725 §3.5).
func CheckSecret(key []byte) error {
	if len(key) < MinSecretBytes {
		return fmt.Errorf("JWT_SECRET: %d bytes after decoding; want at least %d random bytes (openssl rand -base64 32)", len(key), MinSecretBytes)
	}
	printable := 0
	for _, b := range key {
		if b < unicode.MaxASCII && unicode.IsPrint(rune(b)) {
			printable++
		}
	}
	if printable == len(key) {
		return errors.New("JWT_SECRET: decodes to text, not random bytes; generate one with openssl rand -base64 32")
	}
	return nil
}
