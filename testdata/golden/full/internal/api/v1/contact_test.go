package v1_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/contact"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/users"
)

// testClock is the contact service's time, moved by the tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) wait(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newContactAPI is newUsersAPI with the contact form, behind the
// middleware chain so handlers see a client address: the X-Test-Client
// header's.
func newContactAPI(t *testing.T) (*usersAPI, *testClock) {
	t.Helper()
	db := dbtest.Open(t)
	store := users.NewSQLStore(db)
	clock := &testClock{t: time.Now()}
	svc, err := contact.New(contact.Config{
		DB: db, Key: []byte("0123456789abcdef0123456789abcdef"), MinAge: 3 * time.Second,
		Limit: contact.Limit{Count: 5, Window: time.Hour}, Now: clock.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a := api.New(mux, "test", "1.0.0")
	v1.Register(a, v1.Deps{Items: items.NewSQLStore(db), Users: store, Authenticator: tokenAuth{store}, Contact: svc})
	h := httpx.Chain(httpx.Routes(mux), httpx.ChainOptions{
		Log:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		MaxBodyBytes: 1 << 20,
		ClientIP: func(r *http.Request) netip.Addr {
			addr, _ := netip.ParseAddr(r.Header.Get("X-Test-Client"))
			return addr
		},
	})
	return &usersAPI{t: t, h: h, store: store}, clock
}

type contactForm struct {
	Token         string `json:"token"`
	HoneypotField string `json:"honeypot_field"`
	MinSeconds    int    `json:"min_seconds"`
}

func contactBody(token string, change ...func(map[string]any)) string {
	m := map[string]any{"name": "Ada", "email": "ada@example.com", "message": "Hello", "source": "/pricing", "token": token}
	for _, f := range change {
		f(m)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func (a *usersAPI) contactMessages(as int64, query string) []v1.ContactMessage {
	a.t.Helper()
	w := a.do(as, "GET", "/api/v1/admin/contact"+query, "")
	if w.Code != 200 {
		a.t.Fatalf("list = %d %s", w.Code, w.Body)
	}
	return decode[struct{ Messages []v1.ContactMessage }](a.t, w).Messages
}

// A bot posting at once is answered 200 with a reference and dropped; a
// person who takes a few seconds is stored; admins see only the latter.
func TestContactBotAndHuman(t *testing.T) {
	a, clock := newContactAPI(t)
	adm := a.user("admin@example.com", users.RoleAdmin)
	const ip = "X-Test-Client"
	w := a.do(0, "GET", "/api/v1/contact/form", "", ip, "198.51.100.1")
	form := decode[contactForm](t, w)
	if w.Code != 200 || form.Token == "" || form.HoneypotField != "website" || form.MinSeconds != 3 {
		t.Fatalf("form = %d %s", w.Code, w.Body)
	}
	for _, body := range []string{
		contactBody(form.Token), // too fast
		contactBody(""),         // no token
		contactBody(form.Token + "x"),
		"wait",
		contactBody(form.Token, func(m map[string]any) { m["website"] = "http://spam.example" }), // in time, but the honeypot
	} {
		if body == "wait" {
			clock.wait(4 * time.Second) // a person's time
			continue
		}
		w := a.do(0, "POST", "/api/v1/contact", body, ip, "198.51.100.1")
		ref := decode[struct{ Reference string }](t, w).Reference
		if w.Code != 200 || !strings.HasPrefix(ref, "C-") {
			t.Errorf("bot post = %d %s, want 200 with a reference", w.Code, w.Body)
		}
	}
	if got := a.contactMessages(adm.ID, ""); len(got) != 0 {
		t.Fatalf("bots stored: %+v", got)
	}
	w = a.do(0, "POST", "/api/v1/contact", contactBody(form.Token), ip, "198.51.100.1")
	ref := decode[struct{ Reference string }](t, w).Reference
	if w.Code != 200 {
		t.Fatalf("human post = %d %s", w.Code, w.Body)
	}
	got := a.contactMessages(adm.ID, "?status=new")
	if len(got) != 1 || got[0].Reference != ref || got[0].Source != "/pricing" || got[0].Status != "new" {
		t.Fatalf("stored %+v", got)
	}
	// Five posts counted (dropped ones too): none left for this address.
	w = a.do(0, "GET", "/api/v1/contact/status", "", ip, "198.51.100.1")
	st := decode[struct {
		Configured bool
		Limit      string
		Remaining  int
	}](t, w)
	if w.Code != 200 || st.Remaining != 0 || st.Limit != "5/hour" || st.Configured {
		t.Errorf("status = %d %s", w.Code, w.Body)
	}
	w = a.do(adm.ID, "GET", "/api/v1/admin/contact/stats", "")
	stats := decode[contact.Stats](t, w)
	if w.Code != 200 || stats.Last24h["stored"] != 1 || stats.Last24h["too_fast"] != 1 || stats.Last24h["honeypot"] != 1 ||
		stats.Last24h["no_token"] != 1 || stats.Last24h["bad_token"] != 1 {
		t.Errorf("stats = %d %s", w.Code, w.Body)
	}
}

// SECURITY.md §8: a line break in a header-bound field is a 400 naming it.
func TestContactHeaderInjection(t *testing.T) {
	a, clock := newContactAPI(t)
	token := decode[contactForm](t, a.do(0, "GET", "/api/v1/contact/form", "")).Token
	clock.wait(5 * time.Second)
	for field, value := range map[string]string{
		"subject": "hi\r\nBcc: x@evil.example",
		"name":    "Ada\nBcc: x@evil.example",
		"email":   "ada@example.com\r\nBcc: x@evil.example",
	} {
		w := a.do(0, "POST", "/api/v1/contact", contactBody(token, func(m map[string]any) { m[field] = value }), "X-Test-Client", "198.51.100.2")
		p := decode[httpx.Problem](t, w)
		if w.Code != 400 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") ||
			len(p.Errors) != 1 || p.Errors[0].Location != "body."+field || !strings.Contains(p.Errors[0].Message, "CR or LF") {
			t.Errorf("%s: %d %s", field, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), "evil") {
			t.Errorf("%s: the answer echoes the injected value: %s", field, w.Body)
		}
	}
	// Schema violations are problems too.
	w := a.do(0, "POST", "/api/v1/contact", `{"name":"Ada","email":"ada@example.com"}`)
	if w.Code != 422 || !strings.Contains(w.Body.String(), "message") {
		t.Errorf("missing message: %d %s", w.Code, w.Body)
	}
}

// The 6th post in the hour from one address is a 429 problem with
// Retry-After; another address still gets through.
func TestContactRateLimit(t *testing.T) {
	a, clock := newContactAPI(t)
	for i := range 6 {
		token := decode[contactForm](t, a.do(0, "GET", "/api/v1/contact/form", "")).Token
		clock.wait(5 * time.Second)
		w := a.do(0, "POST", "/api/v1/contact", contactBody(token), "X-Test-Client", "198.51.100.3")
		if i < 5 {
			if w.Code != 200 {
				t.Fatalf("post %d = %d %s", i+1, w.Code, w.Body)
			}
			continue
		}
		retry, err := strconv.Atoi(w.Header().Get("Retry-After"))
		if w.Code != 429 || err != nil || retry < 1 || retry > 3600 ||
			!strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
			t.Fatalf("6th post = %d (Retry-After %q) %s", w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	}
	w := a.do(0, "POST", "/api/v1/contact", contactBody(""), "X-Test-Client", "198.51.100.4")
	if w.Code != 200 {
		t.Errorf("another address = %d", w.Code)
	}
}

func TestContactAdmin(t *testing.T) {
	a, clock := newContactAPI(t)
	u := a.user("u@example.com", users.RoleUser)
	adm := a.user("admin@example.com", users.RoleAdmin)
	token := decode[contactForm](t, a.do(0, "GET", "/api/v1/contact/form", "")).Token
	clock.wait(5 * time.Second)
	a.do(0, "POST", "/api/v1/contact", contactBody(token), "X-Test-Client", "198.51.100.5")
	msgs := a.contactMessages(adm.ID, "")
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	id := strconv.FormatInt(msgs[0].ID, 10)
	for _, tc := range []struct {
		as           int64
		method, path string
		body         string
		want         int
	}{
		{0, "GET", "/api/v1/admin/contact", "", 401},
		{u.ID, "GET", "/api/v1/admin/contact", "", 403},
		{u.ID, "GET", "/api/v1/admin/contact/stats", "", 403},
		{u.ID, "PATCH", "/api/v1/admin/contact/" + id, `{"status":"read"}`, 403},
		{adm.ID, "PATCH", "/api/v1/admin/contact/" + id, `{"status":"spam"}`, 422},
		{adm.ID, "PATCH", "/api/v1/admin/contact/99999", `{"status":"read"}`, 404},
		{adm.ID, "GET", "/api/v1/admin/contact?status=spam", "", 422},
		{adm.ID, "GET", "/api/v1/admin/contact?cursor=x", "", 422},
		{adm.ID, "PATCH", "/api/v1/admin/contact/" + id, `{"status":"archived"}`, 200},
	} {
		if w := a.do(tc.as, tc.method, tc.path, tc.body); w.Code != tc.want {
			t.Errorf("%s %s as %d = %d %s, want %d", tc.method, tc.path, tc.as, w.Code, w.Body, tc.want)
		}
	}
	if got := a.contactMessages(adm.ID, "?status=archived"); len(got) != 1 || got[0].Status != "archived" {
		t.Errorf("archived: %+v", got)
	}
	if got := a.contactMessages(adm.ID, "?status=new"); len(got) != 0 {
		t.Errorf("new: %+v", got)
	}
}
