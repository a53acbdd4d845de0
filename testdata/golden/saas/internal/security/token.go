package security

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// TokenBytes is the entropy of Token and of API keys: 256 bits.
const TokenBytes = 32

// RandomBytes returns n bytes from the operating system's CSPRNG.
// crypto/rand.Read never fails on supported platforms (it crashes the
// program rather than return predictable bytes).
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Token returns a random, URL-safe token of TokenBytes bytes, encoded as
// unpadded base64url (43 characters). Use it for refresh tokens, one-time
// links and anything else that travels in a URL or header.
func Token() string {
	return base64.RawURLEncoding.EncodeToString(RandomBytes(TokenBytes))
}

// HashToken returns the hex SHA-256 of a high-entropy token, for storage.
// A fast hash is right for random tokens (guessing is hopeless); passwords
// need HashPassword instead.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenMatches reports whether token hashes to hash, in constant time.
func TokenMatches(token, hash string) bool {
	got := HashToken(token)
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1
}

// APIKey is a newly minted API key. Show Key to its owner once; store only
// ID and Hash.
type APIKey struct {
	Key  string // the full secret key: "<prefix>_<64 hex digits>"
	ID   string // public, non-secret identifier: "<prefix>_<first 8 hex digits>"; index on it
	Hash string // HashToken(Key)
}

// ErrMalformedAPIKey is returned for a string that cannot be an API key.
var ErrMalformedAPIKey = errors.New("malformed API key")

var apiKeyPrefixRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)

// NewAPIKey mints a key with a short, lower-case prefix naming its kind,
// e.g. "live" or "test", so leaked keys are easy to recognise and scan for.
func NewAPIKey(prefix string) (APIKey, error) {
	if !apiKeyPrefixRE.MatchString(prefix) {
		return APIKey{}, fmt.Errorf("API key prefix %q: want 1-16 lower-case letters or digits, starting with a letter", prefix)
	}
	key := prefix + "_" + hex.EncodeToString(RandomBytes(TokenBytes))
	id, _ := APIKeyID(key)
	return APIKey{Key: key, ID: id, Hash: HashToken(key)}, nil
}

// APIKeyID returns the public identifier of key, to look up its stored hash.
func APIKeyID(key string) (string, error) {
	prefix, secret, ok := strings.Cut(key, "_")
	if !ok || !apiKeyPrefixRE.MatchString(prefix) || len(secret) != 2*TokenBytes {
		return "", ErrMalformedAPIKey
	}
	if _, err := hex.DecodeString(secret); err != nil {
		return "", ErrMalformedAPIKey
	}
	return prefix + "_" + secret[:8], nil
}

// CheckAPIKey reports whether key matches the stored hash, in constant time.
func CheckAPIKey(key, hash string) bool {
	if _, err := APIKeyID(key); err != nil {
		return false
	}
	return TokenMatches(key, hash)
}
