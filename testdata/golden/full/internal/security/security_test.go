package security

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestToken(t *testing.T) {
	a, b := Token(), Token()
	if a == b || len(a) != 43 || strings.ContainsAny(a, "+/=") {
		t.Fatalf("Token() = %q, %q: want two different 43-char base64url strings", a, b)
	}
	if !TokenMatches(a, HashToken(a)) || TokenMatches(b, HashToken(a)) {
		t.Fatal("TokenMatches disagrees with HashToken")
	}
}

func TestAPIKey(t *testing.T) {
	k, err := NewAPIKey("live")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.Key, "live_") || !strings.HasPrefix(k.Key, k.ID) || strings.Contains(k.Hash, k.Key) {
		t.Fatalf("key %+v: want live_ prefix, ID a prefix of Key, Hash not containing Key", k)
	}
	if id, err := APIKeyID(k.Key); err != nil || id != k.ID {
		t.Fatalf("APIKeyID = %q, %v; want %q", id, err, k.ID)
	}
	if !CheckAPIKey(k.Key, k.Hash) {
		t.Fatal("CheckAPIKey(own key) = false")
	}
	other, _ := NewAPIKey("live")
	for _, bad := range []string{other.Key, "", "live_", k.Key + "0", strings.ToUpper(k.Key), "x" + k.Key} {
		if CheckAPIKey(bad, k.Hash) {
			t.Errorf("CheckAPIKey(%q) = true", bad)
		}
	}
	for _, prefix := range []string{"", "Live", "1x", "a_b", strings.Repeat("a", 17)} {
		if _, err := NewAPIKey(prefix); err == nil {
			t.Errorf("NewAPIKey(%q) succeeded", prefix)
		}
	}
}

func TestHMAC(t *testing.T) {
	key, msg := []byte("k"), []byte("message")
	mac := SignHMAC(key, msg)
	if !VerifyHMAC(key, msg, mac) {
		t.Fatal("VerifyHMAC(SignHMAC) = false")
	}
	flipped := bytes.Clone(mac)
	flipped[0] ^= 1
	if VerifyHMAC(key, msg, flipped) || VerifyHMAC([]byte("other"), msg, mac) || VerifyHMAC(key, []byte("messagf"), mac) || VerifyHMAC(key, msg, nil) {
		t.Fatal("VerifyHMAC accepted a wrong MAC, key or message")
	}
}

// TestSigner: a Signer's MAC is SignHMAC's over the parts joined, from
// every goroutine at once (its hash states are shared through a pool).
// TestSignerAllocations: signing into a buffer allocates nothing.
func TestSigner(t *testing.T) {
	key := []byte("a key of thirty-two bytes, or so")
	parts := [][]byte{[]byte("contact-form-v1:"), []byte("1700000000"), nil, []byte(".nonce")}
	want := SignHMAC(key, bytes.Join(parts, nil))
	s := NewSigner(key)
	key[0] = 'X' // NewSigner copied it: this changes nothing
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := s.Append(nil, parts...); !bytes.Equal(got, want) {
					t.Errorf("Append = %x, want %x", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	if !s.Verify(want, parts...) {
		t.Error("Verify(the MAC) = false")
	}
	flipped := bytes.Clone(want)
	flipped[len(flipped)-1] ^= 1
	if s.Verify(flipped, parts...) || s.Verify(want, parts[:2]...) || s.Verify(want[:16], parts...) || NewSigner([]byte("other")).Verify(want, parts...) {
		t.Error("Verify accepted a wrong MAC, message or key")
	}
}

// raceEnabled is set by race_test.go under the race detector, which
// changes allocation counts (and makes sync.Pool drop items on purpose).
var raceEnabled bool

func TestSignerAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts; run without -race")
	}
	s := NewSigner([]byte("a key of thirty-two bytes, or so"))
	parts := [][]byte{[]byte("contact-form-v1:"), []byte("1700000000")}
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = s.Append(buf[:0], parts...) }); n != 0 {
		t.Errorf("Append into a buffer: %v allocations, want 0", n)
	}
}

// The test vector published with the Standard Webhooks reference libraries.
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS     = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestWebhookReferenceVector(t *testing.T) {
	secret, err := ParseWebhookSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(vectorTS, 0)
	if got := SignWebhook(vectorID, ts, []byte(vectorBody), secret); got != vectorSig {
		t.Fatalf("SignWebhook = %q, want %q", got, vectorSig)
	}
	h := http.Header{}
	h.Set(WebhookIDHeader, vectorID)
	h.Set(WebhookTimestampHeader, strconv.Itoa(vectorTS))
	h.Set(WebhookSignatureHeader, "v1,bm9wZQ== "+vectorSig)
	if err := VerifyWebhook(h, []byte(vectorBody), ts.Add(time.Minute), secret); err != nil {
		t.Fatalf("VerifyWebhook(reference vector) = %v", err)
	}
}

func TestWebhookVerify(t *testing.T) {
	oldSecret, _ := ParseWebhookSecret(NewWebhookSecret())
	newSecret, _ := ParseWebhookSecret(NewWebhookSecret())
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"type":"contact.created","data":{"id":1}}`)
	signed := func(ts time.Time, secrets ...[]byte) http.Header {
		return WebhookHeaders("msg_1", ts, body, secrets...)
	}
	flipped := bytes.Clone(body)
	flipped[5] ^= 1
	tests := []struct {
		name    string
		h       http.Header
		body    []byte
		secrets [][]byte
		want    error
	}{
		{"round trip", signed(now, newSecret), body, [][]byte{newSecret}, nil},
		{"flipped body byte", signed(now, newSecret), flipped, [][]byte{newSecret}, ErrWebhookSignature},
		{"wrong secret", signed(now, newSecret), body, [][]byte{oldSecret}, ErrWebhookSignature},
		{"stale timestamp (6 min)", signed(now.Add(-6*time.Minute), newSecret), body, [][]byte{newSecret}, ErrWebhookTimestamp},
		{"future timestamp (6 min)", signed(now.Add(6*time.Minute), newSecret), body, [][]byte{newSecret}, ErrWebhookTimestamp},
		{"4 min old", signed(now.Add(-4*time.Minute), newSecret), body, [][]byte{newSecret}, nil},
		{"rotation: two signatures, old secret", signed(now, oldSecret, newSecret), body, [][]byte{oldSecret}, nil},
		{"rotation: two signatures, new secret", signed(now, oldSecret, newSecret), body, [][]byte{newSecret}, nil},
		{"rotation: receiver knows both", signed(now, oldSecret), body, [][]byte{newSecret, oldSecret}, nil},
		{"no headers", http.Header{}, body, [][]byte{newSecret}, ErrWebhookHeaders},
		{"no secrets", signed(now, newSecret), body, nil, ErrWebhookSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyWebhook(tt.h, tt.body, now, tt.secrets...); got != tt.want {
				t.Fatalf("VerifyWebhook = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("malformed headers", func(t *testing.T) {
		for _, mutate := range []func(http.Header){
			func(h http.Header) { h.Del(WebhookIDHeader) },
			func(h http.Header) { h.Set(WebhookTimestampHeader, "soon") },
			func(h http.Header) { h.Del(WebhookSignatureHeader) },
		} {
			h := signed(now, newSecret)
			mutate(h)
			if err := VerifyWebhook(h, body, now, newSecret); err != ErrWebhookHeaders {
				t.Errorf("VerifyWebhook = %v, want ErrWebhookHeaders", err)
			}
		}
		h := signed(now, newSecret)
		h.Set(WebhookSignatureHeader, "v2,"+strings.TrimPrefix(h.Get(WebhookSignatureHeader), "v1,")+" v1,!!! v1")
		if err := VerifyWebhook(h, body, now, newSecret); err != ErrWebhookSignature {
			t.Errorf("unknown version / bad base64: VerifyWebhook = %v, want ErrWebhookSignature", err)
		}
	})
}

func TestParseWebhookSecret(t *testing.T) {
	for _, bad := range []string{"", "whsec_", "whsec_!!!", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 16)), "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65))} {
		if _, err := ParseWebhookSecret(bad); err == nil {
			t.Errorf("ParseWebhookSecret(%q) succeeded", bad)
		}
	}
	if !strings.HasPrefix(NewWebhookSecret(), "whsec_") {
		t.Error("NewWebhookSecret lacks the whsec_ prefix")
	}
}

// FuzzStdWebhookSig checks that VerifyWebhook never panics and never
// accepts a header that was not made with the secret.
func FuzzStdWebhookSig(f *testing.F) {
	secret, _ := ParseWebhookSecret(vectorSecret)
	f.Add(vectorID, strconv.Itoa(vectorTS), vectorSig, []byte(vectorBody))
	f.Add("msg_1", "1614265330", "v1,bm9wZQ== v1a,xyz v1,", []byte{})
	f.Add("a.b", "-1", "v1,,,, ", []byte("\x00"))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(WebhookIDHeader, id)
		h.Set(WebhookTimestampHeader, ts)
		h.Set(WebhookSignatureHeader, sig)
		sec, _ := strconv.ParseInt(ts, 10, 64)
		err := VerifyWebhook(h, body, time.Unix(sec, 0), secret)
		if err == nil && !strings.Contains(sig, SignWebhook(id, time.Unix(sec, 0), body, secret)) {
			t.Fatalf("accepted a signature not made with the secret: id=%q ts=%q sig=%q", id, ts, sig)
		}
	})
}

func TestPasswordHash(t *testing.T) {
	h, err := NewPasswordHasher(DefaultArgon2Params)
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"correct horse battery staple", "pässwörd-日本語-🔑", strings.Repeat("x", 128)} {
		enc := h.Hash(pw)
		if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Fatalf("Hash = %q, want the $argon2id$v=19$m=19456,t=2,p=1$ prefix", enc)
		}
		if ok, rehash, err := h.Verify(pw, enc); !ok || rehash || err != nil {
			t.Fatalf("Verify(own hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
		}
		if ok, _, _ := h.Verify(pw+"!", enc); ok {
			t.Fatal("Verify accepted a wrong password")
		}
	}
	if first, second := h.Hash("same"), h.Hash("same"); first == second {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestPasswordRehashWhenParamsRise(t *testing.T) {
	// A hash stored with m=4096 (below today's minimum) still verifies, and
	// asks to be replaced.
	weak := &PasswordHasher{params: Argon2Params{Memory: 4096, Time: 1, Threads: 1}}
	stored := weak.Hash("secret")
	h, _ := NewPasswordHasher(DefaultArgon2Params)
	ok, rehash, err := h.Verify("secret", stored)
	if !ok || !rehash || err != nil {
		t.Fatalf("Verify(m=4096 hash) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	if ok, rehash, _ := h.Verify("wrong", stored); ok || rehash {
		t.Fatal("a wrong password asked for a rehash")
	}
	stronger, _ := NewPasswordHasher(Argon2Params{Memory: 19456, Time: 3, Threads: 1})
	if _, rehash, _ := stronger.Verify("secret", h.Hash("secret")); !rehash {
		t.Fatal("t=2 hash not rehashed when the configured t is 3")
	}
}

func TestPasswordParamsBelowMinimumRejected(t *testing.T) {
	for _, p := range []Argon2Params{
		{Memory: 8192, Time: 2, Threads: 1},
		{Memory: 19455, Time: 2, Threads: 1},
		{Memory: 19456, Time: 1, Threads: 1},
		{Memory: 19456, Time: 2, Threads: 0},
		{Memory: 1 << 21, Time: 2, Threads: 1},
	} {
		if _, err := NewPasswordHasher(p); err == nil {
			t.Errorf("NewPasswordHasher(%+v) succeeded, want an error", p)
		}
	}
	for _, p := range []Argon2Params{
		{Memory: 47104, Time: 1, Threads: 1},
		{Memory: 12288, Time: 3, Threads: 1},
		{Memory: 9216, Time: 4, Threads: 1},
		{Memory: 7168, Time: 5, Threads: 1},
	} {
		if _, err := NewPasswordHasher(p); err != nil {
			t.Errorf("NewPasswordHasher(%+v) = %v; OWASP lists it as equivalent", p, err)
		}
	}
}

func TestPasswordMalformedHash(t *testing.T) {
	h, _ := NewPasswordHasher(DefaultArgon2Params)
	for _, enc := range []string{
		"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=18$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if ok, _, err := h.Verify("x", enc); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want false, error", enc, ok, err)
		}
	}
}

func TestValidation(t *testing.T) {
	check := func(name string, f func(string) bool, good, bad []string) {
		t.Helper()
		for _, s := range good {
			if !f(s) {
				t.Errorf("%s(%q) = false, want true", name, s)
			}
		}
		for _, s := range bad {
			if f(s) {
				t.Errorf("%s(%q) = true, want false", name, s)
			}
		}
	}
	check("ValidEmail", ValidEmail,
		[]string{"a@example.com", "first.last+tag@sub.example.org"},
		[]string{"", "a", "a@b", "@example.com", "Bob <bob@example.com>", "a@example.com\r\nBcc: x@evil", "a b@example.com", strings.Repeat("a", 250) + "@x.io"})
	check("ValidURL", ValidURL,
		[]string{"https://example.com", "http://localhost:8080/x?y=1"},
		[]string{"", "example.com", "javascript:alert(1)", "ftp://example.com", "https://user:pw@example.com", "https://", "/relative"})
	check("ValidUUID", ValidUUID,
		[]string{"123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000"},
		[]string{"", "123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-42661417400g", "{123e4567-e89b-12d3-a456-426614174000}"})
	check("SafePathElement", SafePathElement,
		[]string{"report.pdf", "a b", "naïve.txt"},
		[]string{"", ".", "..", "../x", "a/b", `a\b`, "a\x00b", "/etc", strings.Repeat("a", 256), "\xff"})
	if !LengthBetween("日本", 2, 2) || LengthBetween("日本", 3, 10) || LengthBetween("", 1, 5) {
		t.Error("LengthBetween counts bytes, not characters")
	}
}

func TestSanitizeText(t *testing.T) {
	for in, want := range map[string]string{
		"  hello  ":                "hello",
		"line1\nline2\ttab":        "line1\nline2\ttab",
		"bell\x07 esc\x1b[31m":     "bell esc[31m",
		"invoice\u202Efdp.exe":     "invoicefdp.exe",
		"bad\xffutf8":              "bad\uFFFDutf8",
		"<b>kept as text</b>":      "<b>kept as text</b>",
		"crlf\r\ninjection\u0085x": "crlf\ninjectionx",
	} {
		if got := SanitizeText(in); got != want {
			t.Errorf("SanitizeText(%q) = %q, want %q", in, got, want)
		}
	}
}
