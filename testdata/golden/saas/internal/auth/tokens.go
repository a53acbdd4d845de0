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

// ImpersonationTokenType is the "typ" header of impersonation tokens: an
// admin acting as another user. Its own type, so an impersonation token is
// never taken for an access token or the other way round (RFC 8725 §3.11,
// §3.12), and MaxImpersonationTTL caps its lifetime.
const ImpersonationTokenType = "imp+jwt"

// MaxImpersonationTTL is the longest lifetime of an impersonation token
// (as Clerk's actor tokens: 10 minutes); it is never refreshed.
const MaxImpersonationTTL = 10 * time.Minute

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

// actor is the "act" claim of an impersonation token (RFC 8693 §4.1): who
// acts on behalf of the subject.
type actor struct {
	Subject string `json:"sub"`
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
	// Act is set in impersonation tokens only.
	Act *actor `json:"act,omitempty"`
}

// Issue returns a signed access token for the user's sign-in sessionID.
func (t *Tokens) Issue(userID int64, sessionID string) (string, error) {
	s, _, err := t.sign(AccessTokenType, userID, nil, sessionID, t.ttl)
	return s, err
}

// IssueImpersonation returns a signed impersonation token: subject is the
// user acted as, actorID the admin acting (the "act" claim), sessionID the
// impersonation, ttl at most MaxImpersonationTTL. It also returns when the
// token expires.
func (t *Tokens) IssueImpersonation(subjectID, actorID int64, sessionID string, ttl time.Duration) (string, time.Time, error) {
	if ttl <= 0 || ttl > MaxImpersonationTTL {
		return "", time.Time{}, fmt.Errorf("sign impersonation token: lifetime %s; want at most %s", ttl, MaxImpersonationTTL)
	}
	if actorID <= 0 || actorID == subjectID {
		return "", time.Time{}, errors.New("sign impersonation token: the actor must be another user")
	}
	return t.sign(ImpersonationTokenType, subjectID, &actor{Subject: strconv.FormatInt(actorID, 10)}, sessionID, ttl)
}

func (t *Tokens) sign(typ string, userID int64, act *actor, sessionID string, ttl time.Duration) (string, time.Time, error) {
	if sessionID == "" {
		return "", time.Time{}, errors.New("sign token: no session id")
	}
	now := t.now()
	exp := now.Add(ttl)
	claims := accessClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    t.issuer,
		Subject:   strconv.FormatInt(userID, 10),
		Audience:  jwt.ClaimStrings{t.audience},
		ExpiresAt: jwt.NewNumericDate(exp),
		NotBefore: jwt.NewNumericDate(now),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        security.Token()[:22],
	}, SessionID: sessionID, Act: act}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["typ"] = typ
	s, err := tok.SignedString(t.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign %s token: %w", typ, err)
	}
	return s, exp, nil
}

// Verify checks an access token and returns its user id and session id.
// Every failure is the same apperr.Unauthorized error: callers learn
// nothing about why. Whether the session is still live is the caller's
// check (Service.Authenticate).
func (t *Tokens) Verify(token string) (userID int64, sessionID string, err error) {
	claims, err := t.verify(token, AccessTokenType)
	if err != nil || claims.Act != nil {
		return 0, "", errInvalidToken
	}
	return claims.userID, claims.SessionID, nil
}

// VerifyImpersonation checks an impersonation token and returns the user
// acted as, the acting admin and the impersonation's id. Every failure is
// the same apperr.Unauthorized error. Whether the impersonation is still
// going on is the caller's check.
func (t *Tokens) VerifyImpersonation(token string) (subjectID, actorID int64, sessionID string, err error) {
	claims, err := t.verify(token, ImpersonationTokenType)
	if err != nil || claims.Act == nil {
		return 0, 0, "", errInvalidToken
	}
	actorID, err = strconv.ParseInt(claims.Act.Subject, 10, 64)
	if err != nil || actorID <= 0 || actorID == claims.userID {
		return 0, 0, "", errInvalidToken
	}
	// A token that claims to live longer than any impersonation may is forged
	// or from a misconfigured issuer.
	if claims.ExpiresAt.Sub(claims.IssuedAt.Time) > MaxImpersonationTTL {
		return 0, 0, "", errInvalidToken
	}
	return claims.userID, actorID, claims.SessionID, nil
}

// verified are the claims of a verified token, with the subject parsed.
type verified struct {
	accessClaims
	userID int64
}

// verify checks a token of type typ.
func (t *Tokens) verify(token, typ string) (verified, error) {
	var claims accessClaims
	keyFor := func(tok *jwt.Token) (any, error) { return t.keyFor(tok, typ) }
	if _, err := t.parser.ParseWithClaims(token, &claims, keyFor); err != nil {
		return verified{}, errInvalidToken
	}
	id, err := strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil || id <= 0 || claims.SessionID == "" || len(claims.SessionID) > 64 {
		return verified{}, errInvalidToken
	}
	return verified{accessClaims: claims, userID: id}, nil
}

// keyFor returns the one key, for the one algorithm, of a token of type
// typ. kid, jku, x5u, jwk and x5c headers are never read.
func (t *Tokens) keyFor(tok *jwt.Token, typ string) (any, error) {
	if tok.Method != jwt.SigningMethodHS256 {
		return nil, errInvalidToken
	}
	if got, _ := tok.Header["typ"].(string); got != typ {
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
