package contact

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/mail"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/security"
)

// Limit is how many messages one client address may send in any Window.
type Limit struct {
	Count  int
	Window time.Duration
}

var limitUnits = map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}

// UnmarshalText reads "<count>/<unit>", e.g. 5/hour, with unit minute,
// hour or day and count from 1 to 10000.
func (l *Limit) UnmarshalText(b []byte) error {
	s := string(b)
	count, unit, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(count)
	w, known := limitUnits[unit]
	switch {
	case !ok:
		return fmt.Errorf("%q: want <count>/<unit>, e.g. 5/hour", s)
	case err != nil || n < 1 || n > 10000:
		return fmt.Errorf("%q: count %q must be a whole number from 1 to 10000", s, count)
	case !known:
		return fmt.Errorf("%q: unit %q must be minute, hour or day", s, unit)
	}
	*l = Limit{Count: n, Window: w}
	return nil
}

// String returns l as UnmarshalText reads it.
func (l Limit) String() string {
	for name, d := range limitUnits {
		if d == l.Window {
			return strconv.Itoa(l.Count) + "/" + name
		}
	}
	return strconv.Itoa(l.Count) + "/" + l.Window.String()
}

// Form tokens: "<issued unix seconds>.<random nonce>.<HMAC>", the HMAC
// (SHA-256, under the form key) over the first two parts. They prove when
// the form was fetched, so a submission can be judged too fast (a script)
// or too old, and cannot be made without asking this service.
const (
	tokenPurpose = "contact-form-v1:"
	// MaxTokenAge is how long a form token is accepted.
	MaxTokenAge = time.Hour
	// HoneypotField is the field a person never fills (the form hides it);
	// bots that fill every input do.
	HoneypotField = "website"
)

// The reasons a submission is dropped (the outcome column; the counters).
const (
	OutcomeStored = "stored"
	DropNoToken   = "no_token"
	DropBadToken  = "bad_token"
	DropExpired   = "expired_token"
	DropTooFast   = "too_fast"
	DropHoneypot  = "honeypot"
)

// Outcomes lists every outcome, stored first.
var Outcomes = []string{OutcomeStored, DropNoToken, DropBadToken, DropExpired, DropTooFast, DropHoneypot}

// purpose is tokenPurpose as the Signer reads it: made once.
var purpose = []byte(tokenPurpose)

// issueToken builds the token in one buffer, signed by a reused HMAC
// state: the form route answers every page view of the form.
func issueToken(sign *security.Signer, now time.Time) string {
	var nonce [12]byte
	_, _ = rand.Read(nonce[:]) // never fails (see security.RandomBytes)
	b := make([]byte, 0, 80)   // 10 + 1 + 16 + 1 + 43 bytes until 2286
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	b = base64.RawURLEncoding.AppendEncode(b, nonce[:])
	payload := len(b)
	var mac [sha256.Size]byte
	b = append(b, '.')
	b = base64.RawURLEncoding.AppendEncode(b, sign.Append(mac[:0], purpose, b[:payload]))
	return string(b)
}

// checkToken returns "" for a token issued at least minAge and at most
// MaxTokenAge before now, or the reason to drop the submission.
func checkToken(sign *security.Signer, token string, now time.Time, minAge time.Duration) string {
	if token == "" {
		return DropNoToken
	}
	i := strings.LastIndexByte(token, '.')
	if i < 0 || len(token) > 200 {
		return DropBadToken
	}
	payload := token[:i]
	mac, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || !sign.Verify(mac, purpose, []byte(payload)) { // constant time
		return DropBadToken
	}
	tsText, _, _ := strings.Cut(payload, ".")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return DropBadToken
	}
	age := now.Sub(time.Unix(ts, 0))
	switch {
	case age > MaxTokenAge || age < -time.Minute: // a minute of clock skew between instances
		return DropExpired
	case age < minAge:
		return DropTooFast
	}
	return ""
}

// ipKey is what the per-address limit counts: an IPv4 address, or the /64
// network of an IPv6 one (one host usually has a whole /64).
func ipKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	if !a.IsValid() {
		return "unknown"
	}
	return a.String()
}

// hashIP is the stored form of a client address: an HMAC under the form
// key, so the table identifies repeat senders without holding addresses
// (personal data), and cannot be reversed by hashing all 2^32 IPv4
// addresses without the key.
func hashIP(sign *security.Signer, a netip.Addr) string {
	var mac [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(sign.Append(mac[:0], []byte("contact-ip:"+ipKey(a))))[:32]
}

// CheckAddress reports whether s is a bare email address (ada@example.com,
// no display name), as ADMIN_EMAIL must be.
func CheckAddress(s string) error {
	if p, err := mail.ParseAddress(s); err != nil || p.Address != s || strings.ContainsAny(s, "\r\n") {
		return fmt.Errorf("%q is not a bare email address such as ops@example.com", s)
	}
	return nil
}

// Bounds of a submission.
const (
	MaxName    = 200
	MaxEmail   = 254
	MaxSubject = 200
	MaxPhone   = 40
	MaxCompany = 200
	MaxMessage = 10000
	MaxSource  = 500
	MaxFields  = 20  // extra fields
	MaxKey     = 50  // bytes of an extra field's name
	MaxValue   = 500 // bytes of an extra field's value
)

// Input is a submission as the client sent it.
type Input struct {
	Name, Email, Subject, Phone, Company, Message string
	Source                                        string            // the page the form is on
	Fields                                        map[string]string // extra fields, bounded
	Token                                         string            // from GET /contact/form
	Honeypot                                      string            // the HoneypotField's value
}

// validate checks in against the bounds and the required fields; the
// errors name the fields as the client sends them.
func (in *Input) validate(requireSubject, requirePhone bool) error {
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.TrimSpace(in.Email)
	in.Subject = strings.TrimSpace(in.Subject)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Company = strings.TrimSpace(in.Company)
	in.Message = strings.TrimSpace(in.Message)
	var errs apperr.FieldErrors
	line := func(field, v string, max int, required bool) {
		switch {
		case strings.ContainsAny(v, "\r\n"):
			// The value could end up in an email header (the notification's
			// subject, Reply-To): a line break would start a header of its own.
			errs = append(errs, apperr.FieldError{Field: field, Message: "must be one line (no CR or LF)"})
		case strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }):
			errs = append(errs, apperr.FieldError{Field: field, Message: "contains a control character"})
		case required && v == "":
			errs = append(errs, apperr.FieldError{Field: field, Message: "is required"})
		case !utf8.ValidString(v):
			errs = append(errs, apperr.FieldError{Field: field, Message: "is not valid UTF-8"})
		case utf8.RuneCountInString(v) > max:
			errs = append(errs, apperr.FieldError{Field: field, Message: fmt.Sprintf("is longer than %d characters", max)})
		}
	}
	line("name", in.Name, MaxName, true)
	line("email", in.Email, MaxEmail, true)
	line("subject", in.Subject, MaxSubject, requireSubject)
	line("phone", in.Phone, MaxPhone, requirePhone)
	line("company", in.Company, MaxCompany, false)
	line("source", in.Source, MaxSource, false)
	if !hasField(errs, "email") {
		if p, err := mail.ParseAddress(in.Email); in.Email != "" && (err != nil || p.Name != "" || p.Address != in.Email) {
			errs = append(errs, apperr.FieldError{Field: "email", Message: "is not an email address such as ada@example.com"})
		}
	}
	switch {
	case in.Message == "":
		errs = append(errs, apperr.FieldError{Field: "message", Message: "is required"})
	case !utf8.ValidString(in.Message) || strings.ContainsRune(in.Message, 0):
		errs = append(errs, apperr.FieldError{Field: "message", Message: "is not valid text"})
	case utf8.RuneCountInString(in.Message) > MaxMessage:
		errs = append(errs, apperr.FieldError{Field: "message", Message: fmt.Sprintf("is longer than %d characters", MaxMessage)})
	}
	if len(in.Fields) > MaxFields {
		errs = append(errs, apperr.FieldError{Field: "fields", Message: fmt.Sprintf("has more than %d entries", MaxFields)})
	}
	for k, v := range in.Fields {
		if k == "" || len(k) > MaxKey || len(v) > MaxValue || !utf8.ValidString(k) || !utf8.ValidString(v) ||
			strings.ContainsFunc(k, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			errs = append(errs, apperr.FieldError{Field: "fields", Message: fmt.Sprintf("names are 1 to %d bytes and values at most %d, without control characters", MaxKey, MaxValue)})
			break
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func hasField(errs apperr.FieldErrors, name string) bool {
	for _, e := range errs {
		if e.Field == name {
			return true
		}
	}
	return false
}

// RateLimitedError is the error of Submit for an address over the limit.
type RateLimitedError struct {
	RetryAfter time.Duration // until the oldest message of the window leaves it
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("contact: too many messages from this address; retry in %s", e.RetryAfter)
}
