package contact_test

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/contact"
	"example.com/myapp/internal/db/dbtest"
)

// clock is a settable time for the service: no test sleeps.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type fixture struct {
	svc   *contact.Service
	db    *sql.DB
	clock *clock
}

func newFixture(t *testing.T, change ...func(*contact.Config)) fixture {
	t.Helper()
	db := dbtest.Open(t)
	c := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	cfg := contact.Config{
		DB: db, Key: []byte("0123456789abcdef0123456789abcdef"), MinAge: 3 * time.Second,
		Limit: contact.Limit{Count: 5, Window: time.Hour}, Now: c.Now,
	}
	for _, f := range change {
		f(&cfg)
	}
	svc, err := contact.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{svc: svc, db: db, clock: c}
}

var ada = netip.MustParseAddr("203.0.113.7")

func valid(token string) contact.Input {
	return contact.Input{Name: "Ada Lovelace", Email: "ada@example.com", Message: "Hello there", Source: "/pricing",
		Fields: map[string]string{"plan": "team"}, Token: token}
}

// human fetches a token, waits like a person and sends.
func (f fixture) human(t *testing.T, from netip.Addr, in contact.Input) contact.Result {
	t.Helper()
	in.Token = f.svc.IssueForm().Token
	f.clock.Add(5 * time.Second)
	res, err := f.svc.Submit(context.Background(), from, in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f fixture) stored(t *testing.T) []contact.Submission {
	t.Helper()
	page, err := f.svc.List(context.Background(), "", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return page.Submissions
}

var referenceRE = regexp.MustCompile(`^C-[A-HJ-NP-Z2-9]{10}$`)

func TestHumanIsStored(t *testing.T) {
	f := newFixture(t)
	var hooked []contact.Submission
	f.svc.AfterSubmit(func(_ context.Context, s contact.Submission) { hooked = append(hooked, s) })
	res := f.human(t, ada, valid(""))
	if res.Outcome != contact.OutcomeStored || !referenceRE.MatchString(res.Reference) {
		t.Fatalf("result %+v", res)
	}
	got := f.stored(t)
	if len(got) != 1 || got[0].Reference != res.Reference || got[0].Status != contact.StatusNew ||
		got[0].Source != "/pricing" || got[0].Fields["plan"] != "team" || got[0].Name != "Ada Lovelace" {
		t.Fatalf("stored %+v", got)
	}
	if len(hooked) != 1 || hooked[0].ID != got[0].ID {
		t.Errorf("hooks saw %+v", hooked)
	}
	// References are random, not sequential.
	if other := f.human(t, ada, valid("")); other.Reference == res.Reference {
		t.Error("two messages with one reference")
	}
	// The address itself is nowhere in the table.
	var n int
	if err := f.db.QueryRow("SELECT COUNT(*) FROM contact_submissions WHERE ip_hash LIKE '%203.0.113%'").Scan(&n); err != nil || n != 0 {
		t.Errorf("raw address stored (%d, %v)", n, err)
	}
}

// Bots are answered like people, with a reference, but nothing is stored
// and nothing is sent; each reason is counted.
func TestBotsAreDropped(t *testing.T) {
	f := newFixture(t, func(c *contact.Config) { c.Limit.Count = 100 })
	var hooked, hookedTx int
	f.svc.AfterSubmit(func(context.Context, contact.Submission) { hooked++ })
	f.svc.OnSubmitTx(func(context.Context, *sql.Tx, contact.Submission) error {
		hookedTx++
		return nil
	})
	tok := f.svc.IssueForm().Token
	forged := tok[:strings.LastIndexByte(tok, '.')+1] + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	// The same nonce and MAC under a changed time.
	ts, rest, _ := strings.Cut(tok, ".")
	retimed := ts[:len(ts)-1] + string(rune('0'+(ts[len(ts)-1]-'0'+1)%10)) + "." + rest
	otherKey, _ := contact.New(contact.Config{DB: f.db, Key: []byte("another key of at least thirty-two bytes"), Limit: contact.Limit{Count: 1, Window: time.Hour}, Now: f.clock.Now})
	foreign := otherKey.IssueForm().Token

	for _, tc := range []struct {
		name, want string
		in         func() contact.Input
		wait       time.Duration
	}{
		{"no token", contact.DropNoToken, func() contact.Input { return valid("") }, 5 * time.Second},
		{"garbage", contact.DropBadToken, func() contact.Input { return valid("not-a-token") }, 5 * time.Second},
		{"forged MAC", contact.DropBadToken, func() contact.Input { return valid(forged) }, 5 * time.Second},
		{"changed time", contact.DropBadToken, func() contact.Input { return valid(retimed) }, 5 * time.Second},
		{"another key", contact.DropBadToken, func() contact.Input { return valid(foreign) }, 5 * time.Second},
		{"too fast", contact.DropTooFast, func() contact.Input { return valid(f.svc.IssueForm().Token) }, time.Second},
		{"expired", contact.DropExpired, func() contact.Input { return valid(f.svc.IssueForm().Token) }, 61 * time.Minute},
		{"honeypot", contact.DropHoneypot, func() contact.Input {
			in := valid(f.svc.IssueForm().Token)
			in.Honeypot = "http://spam.example"
			return in
		}, 5 * time.Second},
	} {
		in := tc.in()
		f.clock.Add(tc.wait)
		res, err := f.svc.Submit(context.Background(), ada, in)
		if err != nil || res.Outcome != tc.want || !referenceRE.MatchString(res.Reference) {
			t.Errorf("%s: %+v, %v; want dropped as %s with a reference", tc.name, res, err, tc.want)
		}
	}
	if got := f.stored(t); len(got) != 0 {
		t.Errorf("stored %d dropped messages", len(got))
	}
	if hooked != 0 || hookedTx != 0 {
		t.Errorf("dropped messages reached the hooks (%d, %d times): they would be emailed", hooked, hookedTx)
	}
	st, err := f.svc.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{contact.OutcomeStored: 0, contact.DropNoToken: 1, contact.DropBadToken: 4, contact.DropTooFast: 1, contact.DropExpired: 1, contact.DropHoneypot: 1}
	for k, v := range want {
		if st.Last24h[k] != v {
			t.Errorf("counter %s = %d, want %d (all: %v)", k, st.Last24h[k], v, st.Last24h)
		}
	}
	// Exactly at the minimum is human enough.
	in := valid(f.svc.IssueForm().Token)
	f.clock.Add(3 * time.Second)
	if res, err := f.svc.Submit(context.Background(), ada, in); err != nil || res.Outcome != contact.OutcomeStored {
		t.Errorf("after exactly CONTACT_MIN_SECONDS: %+v, %v", res, err)
	}
	if hooked != 1 || hookedTx != 1 {
		t.Errorf("the stored message ran the hooks %d, %d times", hooked, hookedTx)
	}
}

// tokenRE is a form token: issued unix seconds, a 12-byte nonce and the
// 32-byte HMAC, both base64url without padding.
var tokenRE = regexp.MustCompile(`^[0-9]{10}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$`)

// TestFormToken: tokens have their documented shape and differ every time.
// TestIssueFormAllocations: they cost three allocations to issue (the
// string, and the buffer and MAC that the hash's interface methods move to
// the heap; it was twelve): GET /api/v1/contact/form answers every page
// view that shows the form.
func TestFormToken(t *testing.T) {
	f := newFixture(t)
	a, b := f.svc.IssueForm().Token, f.svc.IssueForm().Token
	if !tokenRE.MatchString(a) || !tokenRE.MatchString(b) || a == b {
		t.Fatalf("tokens %q and %q: want two different <seconds>.<nonce>.<mac>", a, b)
	}
	if ts, _, _ := strings.Cut(a, "."); ts != strconv.FormatInt(f.clock.Now().Unix(), 10) {
		t.Errorf("token %q: issued at %s, want the service's clock (%d)", a, ts, f.clock.Now().Unix())
	}
}

// raceEnabled is set by race_test.go under the race detector, which
// changes allocation counts (and makes sync.Pool drop items on purpose).
var raceEnabled bool

func TestIssueFormAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts; run without -race")
	}
	f := newFixture(t)
	if n := testing.AllocsPerRun(100, func() { _ = f.svc.IssueForm() }); n > 3 {
		t.Errorf("IssueForm: %v allocations, want at most 3", n)
	}
}

func BenchmarkIssueForm(b *testing.B) {
	svc, err := contact.New(contact.Config{Key: []byte("0123456789abcdef0123456789abcdef"), Limit: contact.Limit{Count: 1, Window: time.Hour}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = svc.IssueForm()
	}
}

// CR or LF in a header-bound field is a 400 naming the field, before
// anything is stored or counted.
func TestValidation(t *testing.T) {
	f := newFixture(t, func(c *contact.Config) { c.RequireSubject, c.RequirePhone = true, true })
	base := valid("")
	base.Subject, base.Phone = "Hi", "+44 20 7946 0000"
	for _, tc := range []struct {
		field  string
		change func(*contact.Input)
	}{
		{"subject", func(in *contact.Input) { in.Subject = "hi\r\nBcc: x@evil.example" }},
		{"name", func(in *contact.Input) { in.Name = "Ada\nBcc: x@evil.example" }},
		{"email", func(in *contact.Input) { in.Email = "ada@example.com\r\nBcc: x@evil.example" }},
		{"email", func(in *contact.Input) { in.Email = "Ada <ada@example.com>" }},
		{"email", func(in *contact.Input) { in.Email = "not an address" }},
		{"name", func(in *contact.Input) { in.Name = "" }},
		{"message", func(in *contact.Input) { in.Message = "  " }},
		{"message", func(in *contact.Input) { in.Message = strings.Repeat("x", contact.MaxMessage+1) }},
		{"subject", func(in *contact.Input) { in.Subject = "" }},
		{"phone", func(in *contact.Input) { in.Phone = "" }},
		{"name", func(in *contact.Input) { in.Name = strings.Repeat("é", contact.MaxName+1) }},
		{"company", func(in *contact.Input) { in.Company = "a\x00b" }},
		{"fields", func(in *contact.Input) {
			in.Fields = map[string]string{}
			for i := range contact.MaxFields + 1 {
				in.Fields[string(rune('a'+i))] = "x"
			}
		}},
		{"fields", func(in *contact.Input) { in.Fields = map[string]string{"k": strings.Repeat("x", contact.MaxValue+1)} }},
		{"fields", func(in *contact.Input) { in.Fields = map[string]string{strings.Repeat("k", contact.MaxKey+1): "x"} }},
		{"fields", func(in *contact.Input) { in.Fields = map[string]string{"a\nb": "x"} }},
	} {
		in := base
		tc.change(&in)
		in.Token = f.svc.IssueForm().Token
		f.clock.Add(5 * time.Second)
		_, err := f.svc.Submit(context.Background(), ada, in)
		fe, ok := errors.AsType[apperr.FieldErrors](err)
		if !ok || len(fe) == 0 || fe[0].Field != tc.field || apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("%s: %v, want a field error on %s", tc.field, err, tc.field)
		}
	}
	if got := f.stored(t); len(got) != 0 {
		t.Errorf("stored %d invalid messages", len(got))
	}
	if n, _ := f.svc.Remaining(context.Background(), ada); n != 5 {
		t.Errorf("invalid messages counted against the limit: %d remaining", n)
	}
}

// The 6th message from one address in the hour is refused, whether the
// others were stored or dropped; other addresses are not affected, and the
// window slides.
func TestLimit(t *testing.T) {
	f := newFixture(t)
	bob := netip.MustParseAddr("2001:db8:1:2::10")
	bobNeighbour := netip.MustParseAddr("2001:db8:1:2::99") // the same /64
	for i := range 5 {
		if i == 2 {
			f.svc.Submit(context.Background(), ada, valid("")) // dropped, still counted
			continue
		}
		f.human(t, ada, valid(""))
	}
	if n, _ := f.svc.Remaining(context.Background(), ada); n != 0 {
		t.Errorf("remaining %d, want 0", n)
	}
	in := valid(f.svc.IssueForm().Token)
	f.clock.Add(5 * time.Second)
	_, err := f.svc.Submit(context.Background(), ada, in)
	limited, ok := errors.AsType[*contact.RateLimitedError](err)
	if !ok || limited.RetryAfter <= 0 || limited.RetryAfter > time.Hour {
		t.Fatalf("6th: %v, want a RateLimitedError", err)
	}
	if n, _ := f.svc.Remaining(context.Background(), netip.MustParseAddr("198.51.100.1")); n != 5 {
		t.Errorf("another address has %d remaining", n)
	}
	for range 5 {
		f.human(t, bob, valid(""))
	}
	if _, err := f.svc.Submit(context.Background(), bobNeighbour, valid("")); !errors.As(err, &limited) {
		t.Errorf("the same IPv6 /64 is one client: %v", err)
	}
	f.clock.Add(limited.RetryAfter + time.Second)
	if res := f.human(t, bob, valid("")); res.Outcome != contact.OutcomeStored {
		t.Errorf("after Retry-After: %+v", res)
	}
}

func TestInbox(t *testing.T) {
	f := newFixture(t, func(c *contact.Config) { c.Limit.Count = 100 })
	var changes []string
	f.svc = mustWithRecorder(t, f, func(_ context.Context, _ *sql.Tx, s contact.Submission, before contact.Status) error {
		changes = append(changes, string(before)+"->"+string(s.Status))
		return nil
	})
	for range 5 {
		f.human(t, ada, valid(""))
	}
	all := f.stored(t)
	if len(all) != 5 || all[0].ID < all[4].ID {
		t.Fatalf("list: %d, newest first?", len(all))
	}
	if _, err := f.svc.SetStatus(context.Background(), all[1].ID, contact.StatusRead); err != nil {
		t.Fatal(err)
	}
	if s, err := f.svc.SetStatus(context.Background(), all[2].ID, contact.StatusArchived); err != nil || s.Status != contact.StatusArchived {
		t.Fatal(s, err)
	}
	if _, err := f.svc.SetStatus(context.Background(), 9999, contact.StatusRead); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := f.svc.SetStatus(context.Background(), all[0].ID, "spam"); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("bad status: %v", err)
	}
	if len(changes) != 2 || changes[0] != "new->read" {
		t.Errorf("recorded %v", changes)
	}
	page, err := f.svc.List(context.Background(), contact.StatusNew, "", 2)
	if err != nil || len(page.Submissions) != 2 || page.Next == "" {
		t.Fatalf("page 1: %+v %v", page, err)
	}
	page2, err := f.svc.List(context.Background(), contact.StatusNew, page.Next, 2)
	if err != nil || len(page2.Submissions) != 1 || page2.Next != "" || page2.Submissions[0].ID >= page.Submissions[1].ID {
		t.Fatalf("page 2: %+v %v", page2, err)
	}
	if _, err := f.svc.List(context.Background(), "", "x", 2); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("bad cursor: %v", err)
	}
	st, err := f.svc.Stats(context.Background())
	if err != nil || st.ByStatus[contact.StatusNew] != 3 || st.ByStatus[contact.StatusRead] != 1 || st.ByStatus[contact.StatusArchived] != 1 {
		t.Errorf("stats %+v %v", st, err)
	}
	if _, err := contact.DashboardStats(context.Background(), f.db); err != nil {
		t.Error(err)
	}
}

// A failing transaction hook rolls the message back.
func TestTxHookFailureRollsBack(t *testing.T) {
	f := newFixture(t)
	f.svc.OnSubmitTx(func(context.Context, *sql.Tx, contact.Submission) error { return errors.New("queue down") })
	in := valid(f.svc.IssueForm().Token)
	f.clock.Add(5 * time.Second)
	if _, err := f.svc.Submit(context.Background(), ada, in); err == nil {
		t.Fatal("no error")
	}
	if got := f.stored(t); len(got) != 0 {
		t.Errorf("stored %d", len(got))
	}
}

func mustWithRecorder(t *testing.T, f fixture, rec func(context.Context, *sql.Tx, contact.Submission, contact.Status) error) *contact.Service {
	t.Helper()
	svc, err := contact.New(contact.Config{DB: f.db, Key: []byte("0123456789abcdef0123456789abcdef"), MinAge: 3 * time.Second,
		Limit: contact.Limit{Count: 100, Window: time.Hour}, Now: f.clock.Now, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestLimitText(t *testing.T) {
	var l contact.Limit
	if err := l.UnmarshalText([]byte("5/hour")); err != nil || l != (contact.Limit{Count: 5, Window: time.Hour}) || l.String() != "5/hour" {
		t.Errorf("5/hour: %v %v", l, err)
	}
	for _, bad := range []string{"", "5", "0/hour", "-1/hour", "5/week", "five/hour", "100000/day"} {
		if err := l.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNewRefusesShortKey(t *testing.T) {
	if _, err := contact.New(contact.Config{Key: []byte("short"), Limit: contact.Limit{Count: 1, Window: time.Hour}}); err == nil {
		t.Error("short key accepted")
	}
}
