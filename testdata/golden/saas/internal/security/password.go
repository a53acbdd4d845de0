package security

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are argon2id cost parameters.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8  // parallelism
}

// DefaultArgon2Params are the OWASP Password Storage Cheat Sheet's current
// minimum for argon2id: 19 MiB, 2 passes, 1 thread.
var DefaultArgon2Params = Argon2Params{Memory: 19456, Time: 2, Threads: 1}

// owaspMinimums are the equivalent argon2id settings OWASP lists: each
// memory size (KiB) is enough with at least that many passes.
var owaspMinimums = []struct{ memory, time uint32 }{
	{47104, 1}, {19456, 2}, {12288, 3}, {9216, 4}, {7168, 5},
}

// maxArgon2Memory bounds the memory a stored hash may ask for (1 GiB), so a
// tampered hash cannot exhaust memory at login.
const maxArgon2Memory = 1 << 20

// Validate reports an error when p is below OWASP's minimum or absurdly high.
func (p Argon2Params) Validate() error {
	if p.Threads < 1 {
		return fmt.Errorf("argon2id parameters m=%d,t=%d,p=%d: need at least 1 thread", p.Memory, p.Time, p.Threads)
	}
	if p.Memory > maxArgon2Memory || p.Time > 64 {
		return fmt.Errorf("argon2id parameters m=%d,t=%d,p=%d: above the sane maximum (m=%d, t=64)", p.Memory, p.Time, p.Threads, maxArgon2Memory)
	}
	for _, min := range owaspMinimums {
		if p.Time >= min.time && p.Memory >= min.memory {
			return nil
		}
	}
	return fmt.Errorf("argon2id parameters m=%d,t=%d,p=%d: below the OWASP minimum (m=19456,t=2,p=1 or an equivalent)", p.Memory, p.Time, p.Threads)
}

// PasswordHasher hashes passwords with argon2id and verifies stored hashes.
type PasswordHasher struct {
	params Argon2Params
}

// NewPasswordHasher returns a hasher with p, refusing parameters below the
// OWASP minimum (a start-up error, not something to discover in an audit).
func NewPasswordHasher(p Argon2Params) (*PasswordHasher, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &PasswordHasher{params: p}, nil
}

const (
	saltLen = 16
	keyLen  = 32
)

// Hash returns password's argon2id hash as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
func (h *PasswordHasher) Hash(password string) string {
	salt := RandomBytes(saltLen)
	key := argon2.IDKey([]byte(password), salt, h.params.Time, h.params.Memory, h.params.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// ErrMalformedHash is returned for a stored hash Verify cannot read.
var ErrMalformedHash = errors.New("malformed argon2id hash")

// Verify reports whether password matches the stored PHC hash, comparing in
// constant time. When it matches and the hash was made with weaker
// parameters than h's, rehash is true: store h.Hash(password) now, while
// the plain password is at hand.
func (h *PasswordHasher) Verify(password, encoded string) (ok, rehash bool, err error) {
	p, salt, key, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	weaker := p.Memory < h.params.Memory || p.Time < h.params.Time || p.Threads < h.params.Threads
	return true, weaker, nil
}

// parsePHC reads $argon2id$v=19$m=..,t=..,p=..$salt$hash.
func parsePHC(s string) (Argon2Params, []byte, []byte, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Argon2Params{}, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Argon2Params{}, nil, nil, ErrMalformedHash
	}
	var p Argon2Params
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || n != 3 ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > maxArgon2Memory || p.Time > 64 {
		return Argon2Params{}, nil, nil, ErrMalformedHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Argon2Params{}, nil, nil, ErrMalformedHash
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return Argon2Params{}, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}
