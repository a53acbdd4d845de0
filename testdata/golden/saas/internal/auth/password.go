package auth

import (
	"context"
	_ "embed"
	"strings"
	"time"
	"unicode/utf8"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/security"
)

// Password length limits, in characters (ASVS 6.2.1, 6.2.9): at least 8,
// and long passphrases welcome. The upper bound only keeps requests small;
// nothing is ever truncated.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 256
)

//go:embed common_passwords.txt
var commonPasswordList string

// commonPasswords are well-known passwords that are tried first by every
// guessing attack (ASVS 6.2.4). Extend the file with a larger list (e.g.
// the top 100,000 of a breach corpus) if you like.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for line := range strings.Lines(commonPasswordList) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// CheckPassword applies the password policy: length and the common-password
// list, and no composition rules (ASVS 6.2.5). The error names the field;
// nil means the password is acceptable.
func CheckPassword(field, password string) *apperr.FieldError {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return &apperr.FieldError{Field: field, Message: "must be valid UTF-8"}
	case n < MinPasswordLen:
		return &apperr.FieldError{Field: field, Message: "must be at least 8 characters"}
	case n > MaxPasswordLen:
		return &apperr.FieldError{Field: field, Message: "must be at most 256 characters"}
	case commonPasswords[strings.ToLower(password)]:
		return &apperr.FieldError{Field: field, Message: "is one of the most common passwords; choose another"}
	}
	return nil
}

// hasher runs argon2id with a cap on concurrent hashes. Each hash holds
// 19 MiB for tens of milliseconds, so without the cap a login flood would
// exhaust memory; with it, excess logins wait (up to hashWait) and then get
// 503.
type hasher struct {
	h     *security.PasswordHasher
	sem   chan struct{}
	dummy string // hash of a random password, verified for unknown emails

	// onVerify, when set (tests only), sees the hash each verify checks
	// the password against: the stored one, or the dummy.
	onVerify func(phc string)
	// onHash, when set (tests only), is called for each hash computed.
	onHash func()
}

const hashWait = 10 * time.Second

var errBusy = apperr.Errorf(apperr.Unavailable, "the server is busy; retry in a few seconds")

func newHasher(p security.Argon2Params, max int) (*hasher, error) {
	h, err := security.NewPasswordHasher(p)
	if err != nil {
		return nil, err
	}
	return &hasher{h: h, sem: make(chan struct{}, max), dummy: h.Hash(security.Token())}, nil
}

func (h *hasher) acquire(ctx context.Context) error {
	t := time.NewTimer(hashWait)
	defer t.Stop()
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errBusy
	case <-t.C:
		return errBusy
	}
}

func (h *hasher) release() { <-h.sem }

// hash returns the PHC string of password.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	if h.onHash != nil {
		h.onHash()
	}
	return h.h.Hash(password), nil
}

// verify checks password against encoded; an empty encoded (unknown user)
// is checked against the dummy hash, so both cases cost the same time.
func (h *hasher) verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	if encoded == "" {
		if h.onVerify != nil {
			h.onVerify(h.dummy)
		}
		_, _, _ = h.h.Verify(password, h.dummy)
		return false, false, nil
	}
	if h.onVerify != nil {
		h.onVerify(encoded)
	}
	return h.h.Verify(password, encoded)
}
