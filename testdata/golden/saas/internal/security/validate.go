package security

import (
	"net/mail"
	"net/url"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidEmail reports whether s is a bare e-mail address (no display name,
// no angle brackets) of at most 254 bytes with a dotted domain.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, "<> \t\r\n") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// ValidURL reports whether s is an absolute http or https URL with a host
// and without user information. It does not make the URL safe to fetch
// (that needs a check of the dialled address against SSRF).
func ValidURL(s string) bool {
	if len(s) > 2048 {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Host == "" || u.Hostname() == "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

// ValidUUID reports whether s is a UUID in canonical form
// (8-4-4-4-12 hexadecimal digits, either case).
func ValidUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// SafePathElement reports whether s can be used as one file or directory
// name: non-empty, at most 255 bytes, valid UTF-8, no separators, NUL or
// control characters, and not "." or "..".
func SafePathElement(s string) bool {
	if s == "" || len(s) > 255 || s == "." || s == ".." || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return false
		}
	}
	return filepath.IsLocal(s)
}

// LengthBetween reports whether s has between min and max characters
// (Unicode code points, not bytes), inclusive.
func LengthBetween(s string, min, max int) bool {
	n := utf8.RuneCountInString(s)
	return n >= min && n <= max
}

// SanitizeText makes a user-supplied string safe to store and show as plain
// text: invalid UTF-8 is replaced, control characters other than newline
// and tab are removed, as are bidirectional overrides (which can make text
// display differently from what it says), and surrounding space is trimmed.
// It does not escape HTML: templates and encoders do that on output.
func SanitizeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case unicode.IsControl(r), isBidiControl(r):
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' || r == '\u200E' || r == '\u200F' || r == '\u061C'
}
