package security

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
)

// SignHMAC returns the HMAC-SHA256 of msg under key.
func SignHMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// VerifyHMAC reports whether mac is the HMAC-SHA256 of msg under key. The
// comparison takes the same time wherever the first difference is.
func VerifyHMAC(key, msg, mac []byte) bool {
	return hmac.Equal(SignHMAC(key, msg), mac)
}

// A Signer computes HMAC-SHA256 under one key, as SignHMAC does, for a
// key used on a hot path (a token per request): it reuses keyed hash
// states instead of deriving one from the key every time, and appends the
// MAC to a buffer of the caller's, so signing allocates nothing. Safe for
// concurrent use.
type Signer struct {
	pool sync.Pool // of hash.Hash, keyed
}

// NewSigner returns a Signer for key (copied).
func NewSigner(key []byte) *Signer {
	key = bytes.Clone(key)
	return &Signer{pool: sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// Append appends to dst the HMAC-SHA256 of the concatenation of parts.
func (s *Signer) Append(dst []byte, parts ...[]byte) []byte {
	m := s.pool.Get().(hash.Hash)
	m.Reset()
	for _, p := range parts {
		m.Write(p)
	}
	dst = m.Sum(dst)
	s.pool.Put(m)
	return dst
}

// Verify reports whether mac is the HMAC-SHA256 of the concatenation of
// parts, in constant time as VerifyHMAC.
func (s *Signer) Verify(mac []byte, parts ...[]byte) bool {
	var sum [sha256.Size]byte
	return hmac.Equal(s.Append(sum[:0], parts...), mac)
}
