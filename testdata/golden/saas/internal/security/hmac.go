package security

import (
	"crypto/hmac"
	"crypto/sha256"
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
