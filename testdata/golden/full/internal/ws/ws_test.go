package ws_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/users"
	"example.com/myapp/internal/ws"
)

// fakeUsers is a users.Store that only answers Get.
type fakeUsers struct {
	users.Store
	mu sync.Mutex
	m  map[int64]users.User
}

func (f *fakeUsers) Get(_ context.Context, id int64) (users.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.m[id]
	if !ok {
		return users.User{}, apperr.Errorf(apperr.NotFound, "no user %d", id)
	}
	return u, nil
}

// fakeAuth accepts the tokens it knows.
type fakeAuth map[string]users.User

func (f fakeAuth) Authenticate(_ context.Context, token string) (users.User, error) {
	u, ok := f[token]
	if !ok {
		return users.User{}, apperr.Errorf(apperr.Unauthorized, "bad token")
	}
	return u, nil
}

var (
	ada   = users.User{ID: 1, Email: "ada@example.com", Role: users.RoleUser}
	bob   = users.User{ID: 2, Email: "bob@example.com", Role: users.RoleUser}
	admin = users.User{ID: 3, Email: "root@example.com", Role: users.RoleAdmin}
)

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testConfig() ws.Config {
	return ws.Config{
		AllowedOrigins:        []string{"https://app.example.com"},
		PingInterval:          time.Minute,
		PingTimeout:           10 * time.Second,
		MaxMessageBytes:       32768,
		MaxConnectionsPerUser: 10,
		MessagesPerMinute:     120,
		InstanceID:            "test",
		Rooms: func(u users.User, room string) ws.Access {
			if room == "lobby" {
				return ws.Access{Subscribe: true, Publish: true}
			}
			return ws.Access{}
		},
	}
}

type testServer struct {
	hub  *ws.Hub
	url  string // ws://.../ws
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start serves a hub behind the service's middleware chain (access log
// included) on a real listener.
func start(t *testing.T, cfg ws.Config, d ws.Deps) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	if d.Users == nil {
		d.Users = &fakeUsers{m: map[int64]users.User{ada.ID: ada, bob.ID: bob, admin.ID: admin}}
	}
	if d.Auth == nil {
		d.Auth = fakeAuth{"ada-token": ada, "bob-token": bob, "admin-token": admin}
	}
	d.Log = log
	hub, err := ws.New(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hub.Close(context.Background()) })
	mux := http.NewServeMux()
	mux.Handle("GET /ws", hub)
	srv := httptest.NewUnstartedServer(httpx.Chain(httpx.Routes(mux), httpx.ChainOptions{Log: log, MaxBodyBytes: 1 << 20}))
	// Short server timeouts: a WebSocket must outlive them.
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	return &testServer{hub: hub, url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws", logs: logs}
}

func (s *testServer) ticket(t *testing.T, u users.User) string {
	t.Helper()
	ticket, ttl, err := s.hub.MintTicket(context.Background(), u.ID)
	if err != nil || ttl <= 0 || ttl > 60*time.Second {
		t.Fatalf("MintTicket = %q, %s, %v", ticket, ttl, err)
	}
	return ticket
}

// dial opens a WebSocket with query and header; the response is the
// handshake's (its status is 101 only on success).
func (s *testServer) dial(t *testing.T, query string, header http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, s.url+query, &websocket.DialOptions{HTTPHeader: header})
	if c != nil {
		t.Cleanup(func() { _ = c.CloseNow() })
	}
	return c, resp, err
}

func (s *testServer) connect(t *testing.T, u users.User) *websocket.Conn {
	t.Helper()
	c, resp, err := s.dial(t, "?ticket="+s.ticket(t, u), nil)
	if err != nil {
		t.Fatalf("dial as %s: %v (%v)", u.Email, err, resp)
	}
	return c
}

func send(t *testing.T, c *websocket.Conn, m ws.Message) {
	t.Helper()
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// read returns the next message, failing after within.
func read(t *testing.T, c *websocket.Conn, within time.Duration) ws.Message {
	t.Helper()
	m, err := tryRead(c, within)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

func tryRead(c *websocket.Conn, within time.Duration) (ws.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		return ws.Message{}, err
	}
	var m ws.Message
	if err := json.Unmarshal(b, &m); err != nil {
		return ws.Message{}, fmt.Errorf("message %s: %w", b, err)
	}
	return m, nil
}

// request sends m with an id and returns the answer (ack or error).
func request(t *testing.T, c *websocket.Conn, m ws.Message) ws.Message {
	t.Helper()
	send(t, c, m)
	for {
		got := read(t, c, 5*time.Second)
		if got.ID == m.ID && (got.Type == ws.TypeAck || got.Type == ws.TypeError) {
			return got
		}
	}
}

// collect reads n messages.
func collect(t *testing.T, c *websocket.Conn, n int) []ws.Message {
	t.Helper()
	var out []ws.Message
	for range n {
		out = append(out, read(t, c, 5*time.Second))
	}
	return out
}

// has reports whether ms holds a message of type typ with the id (if not
// "") and data (if not "").
func has(ms []ws.Message, typ, id, data string) bool {
	for _, m := range ms {
		if m.Type == typ && (id == "" || m.ID == id) && (data == "" || string(m.Data) == data) {
			return true
		}
	}
	return false
}

func errorCode(m ws.Message) string {
	var d ws.ErrorData
	_ = json.Unmarshal(m.Data, &d)
	return d.Code
}

// refused checks a failed handshake: the status, a problem body, no 101.
func refused(t *testing.T, resp *http.Response, err error, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("handshake succeeded; want %d", status)
	}
	if resp == nil {
		t.Fatalf("no response: %v", err)
	}
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d", resp.StatusCode, status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != httpx.ProblemContentType {
		t.Fatalf("Content-Type %q, want a problem", ct)
	}
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func closeStatus(t *testing.T, c *websocket.Conn, within time.Duration) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatalf("connection still open after %s", within)
			}
			return websocket.CloseStatus(err)
		}
	}
}

func TestAuthBeforeUpgrade(t *testing.T) {
	s := start(t, testConfig(), ws.Deps{})
	t.Run("no credential", func(t *testing.T) {
		_, resp, err := s.dial(t, "", nil)
		refused(t, resp, err, http.StatusUnauthorized)
		if resp.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("forged ticket", func(t *testing.T) {
		_, resp, err := s.dial(t, "?ticket="+strings.Repeat("A", 43), nil)
		refused(t, resp, err, http.StatusUnauthorized)
	})
	t.Run("ticket works once", func(t *testing.T) {
		ticket := s.ticket(t, ada)
		if _, resp, err := s.dial(t, "?ticket="+ticket, nil); err != nil {
			t.Fatalf("first use: %v (%v)", err, resp)
		}
		_, resp, err := s.dial(t, "?ticket="+ticket, nil)
		refused(t, resp, err, http.StatusUnauthorized)
	})
	t.Run("ticket of a deleted user", func(t *testing.T) {
		ticket, _, _ := s.hub.MintTicket(context.Background(), 99)
		_, resp, err := s.dial(t, "?ticket="+ticket, nil)
		refused(t, resp, err, http.StatusUnauthorized)
	})
	t.Run("bearer header", func(t *testing.T) {
		if _, resp, err := s.dial(t, "", http.Header{"Authorization": {"Bearer ada-token"}}); err != nil {
			t.Fatalf("dial: %v (%v)", err, resp)
		}
		_, resp, err := s.dial(t, "", http.Header{"Authorization": {"Bearer wrong"}})
		refused(t, resp, err, http.StatusUnauthorized)
	})
	t.Run("query token needs WS_ALLOW_QUERY_TOKEN", func(t *testing.T) {
		_, resp, err := s.dial(t, "?token=ada-token", nil)
		refused(t, resp, err, http.StatusUnauthorized)
	})
	t.Run("plain GET", func(t *testing.T) {
		resp, err := http.Get("http" + strings.TrimPrefix(s.url, "ws"))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUpgradeRequired || resp.Header.Get("Content-Type") != httpx.ProblemContentType {
			t.Fatalf("GET without upgrade = %d %s, want a 426 problem", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
	if strings.Contains(s.logs.String(), "ticket=") && !strings.Contains(s.logs.String(), "ticket=REDACTED") {
		t.Fatalf("a ticket reached the log: %s", s.logs.String())
	}
}

func TestExpiredTicket(t *testing.T) {
	cfg := testConfig()
	cfg.TicketTTL = 50 * time.Millisecond
	s := start(t, cfg, ws.Deps{})
	ticket := s.ticket(t, ada)
	time.Sleep(120 * time.Millisecond)
	_, resp, err := s.dial(t, "?ticket="+ticket, nil)
	refused(t, resp, err, http.StatusUnauthorized)
}

// A ticket never outlives 60 s: a longer TTL is refused.
func TestTicketTTLBounded(t *testing.T) {
	cfg := testConfig()
	cfg.TicketTTL = 61 * time.Second
	if _, err := ws.New(cfg, ws.Deps{Users: &fakeUsers{}, Log: discardLog()}); err == nil {
		t.Fatal("a 61 s ticket lifetime was accepted")
	}
}

// The query token, when allowed, works and never reaches the access log;
// the connection ends with 1008 when the token expires.
func TestQueryTokenRedactedAndExpires(t *testing.T) {
	cfg := testConfig()
	cfg.AllowQueryToken = true
	claims, _ := json.Marshal(map[string]any{"sub": "1", "exp": time.Now().Add(1500*time.Millisecond).Unix() + 1})
	jwt := "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".c2lnbmF0dXJl"
	s := start(t, cfg, ws.Deps{Auth: fakeAuth{jwt: ada}})
	c, resp, err := s.dial(t, "?token="+jwt, nil)
	if err != nil {
		t.Fatalf("dial with ?token=: %v (%v)", err, resp)
	}
	if code := closeStatus(t, c, 5*time.Second); code != websocket.StatusPolicyViolation {
		t.Fatalf("close status at token expiry = %d, want 1008", code)
	}
	waitFor(t, 2*time.Second, "access log line", func() bool { return strings.Contains(s.logs.String(), `"route":"GET /ws"`) })
	logs := s.logs.String()
	if strings.Contains(logs, jwt) || strings.Contains(logs, claims2(jwt)) {
		t.Fatalf("the token reached the log: %s", logs)
	}
	if !strings.Contains(logs, "token=REDACTED") {
		t.Fatalf("access log without token=REDACTED: %s", logs)
	}
}

func claims2(jwt string) string { return strings.Split(jwt, ".")[1] }

// Cross-site WebSocket hijacking: a foreign Origin is refused before the
// upgrade; the configured one and the service's own host are accepted.
func TestOrigin(t *testing.T) {
	s := start(t, testConfig(), ws.Deps{})
	auth := func(origin string) http.Header {
		return http.Header{"Authorization": {"Bearer ada-token"}, "Origin": {origin}}
	}
	_, resp, err := s.dial(t, "", auth("https://evil.example"))
	refused(t, resp, err, http.StatusForbidden)
	_, resp, err = s.dial(t, "", auth("http://app.example.com")) // scheme matters
	refused(t, resp, err, http.StatusForbidden)
	for _, origin := range []string{"https://app.example.com", "http://" + strings.TrimPrefix(strings.TrimSuffix(s.url, "/ws"), "ws://")} {
		if _, resp, err := s.dial(t, "", auth(origin)); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("Origin %s: %v (%v), want 101", origin, err, resp)
		}
	}
}

// Subscribing to another user's channel is an error, and nothing sent to
// that user arrives.
func TestAnotherUsersChannel(t *testing.T) {
	s := start(t, testConfig(), ws.Deps{})
	c := s.connect(t, ada)
	got := request(t, c, ws.Message{Type: ws.TypeSubscribe, Channel: ws.UserChannel(bob.ID), ID: "s1"})
	if got.Type != ws.TypeError || errorCode(got) != "forbidden" || got.Channel != ws.UserChannel(bob.ID) {
		t.Fatalf("subscribe to bob's channel: %+v, want a forbidden error answering s1", got)
	}
	if err := s.hub.SendToUser(context.Background(), bob.ID, "for bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.hub.SendToUser(context.Background(), ada.ID, "for ada"); err != nil {
		t.Fatal(err)
	}
	m := read(t, c, 5*time.Second)
	if m.Type != ws.TypeMessage || m.Channel != ws.UserChannel(ada.ID) || string(m.Data) != `"for ada"` {
		t.Fatalf("next message %+v, want ada's own (bob's never arrives)", m)
	}
	// Her own channel needs no subscription, and subscribing is allowed.
	if got := request(t, c, ws.Message{Type: ws.TypeSubscribe, Channel: ws.UserChannel(ada.ID), ID: "s2"}); got.Type != ws.TypeAck {
		t.Fatalf("subscribe to her own channel: %+v", got)
	}
}

func TestProtocolErrors(t *testing.T) {
	s := start(t, testConfig(), ws.Deps{})
	c := s.connect(t, ada)
	for _, tc := range []struct {
		m    ws.Message
		code string
	}{
		{ws.Message{Type: "shout", Channel: "broadcast", ID: "1"}, "unknown_type"},
		{ws.Message{Type: ws.TypeSubscribe, Channel: "Broadcast!", ID: "2"}, "invalid"},
		{ws.Message{Type: ws.TypeSubscribe, Channel: "room:secret", ID: "3"}, "forbidden"},
		{ws.Message{Type: ws.TypePublish, Channel: ws.Broadcast, Data: json.RawMessage(`"hi"`), ID: "4"}, "forbidden"}, // read-only for users
		{ws.Message{Type: ws.TypePublish, Channel: ws.UserChannel(ada.ID), Data: json.RawMessage(`1`), ID: "5"}, "forbidden"},
		{ws.Message{Type: ws.TypeUnsubscribe, Channel: "room:lobby", ID: "6"}, "not_subscribed"},
		{ws.Message{Type: ws.TypePublish, Channel: "room:lobby", ID: "7"}, "invalid"}, // no data
	} {
		if got := request(t, c, tc.m); got.Type != ws.TypeError || errorCode(got) != tc.code {
			t.Errorf("%+v: answer %+v, want error %s", tc.m, got, tc.code)
		}
	}
	if err := c.Write(context.Background(), websocket.MessageText, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c, 5*time.Second); got.Type != ws.TypeError || errorCode(got) != "invalid" {
		t.Fatalf("malformed JSON: %+v", got)
	}
}

// Broadcast: everyone may listen, only admins may publish; rooms follow the
// policy and announce joins and leaves.
func TestBroadcastAndRooms(t *testing.T) {
	s := start(t, testConfig(), ws.Deps{})
	a, b, root := s.connect(t, ada), s.connect(t, bob), s.connect(t, admin)
	for _, c := range []*websocket.Conn{a, b} {
		if got := request(t, c, ws.Message{Type: ws.TypeSubscribe, Channel: ws.Broadcast, ID: "b"}); got.Type != ws.TypeAck {
			t.Fatalf("subscribe broadcast: %+v", got)
		}
	}
	if got := request(t, root, ws.Message{Type: ws.TypePublish, Channel: ws.Broadcast, Data: json.RawMessage(`{"n":1}`), ID: "p"}); got.Type != ws.TypeAck {
		t.Fatalf("admin publish: %+v", got)
	}
	for _, c := range []*websocket.Conn{a, b} {
		if m := read(t, c, 5*time.Second); m.Type != ws.TypeMessage || m.Channel != ws.Broadcast || m.From != admin.ID || string(m.Data) != `{"n":1}` {
			t.Fatalf("broadcast received as %+v", m)
		}
	}

	// A join is announced to the room, the joiner included; the ack and the
	// announcement may come in either order.
	send(t, a, ws.Message{Type: ws.TypeSubscribe, Channel: "room:lobby", ID: "r"})
	if got := collect(t, a, 2); !has(got, ws.TypeAck, "r", "") || !has(got, ws.TypePresence, "", `{"event":"join","user_id":1}`) {
		t.Fatalf("ada joins the lobby: %+v, want the ack and her join", got)
	}
	send(t, b, ws.Message{Type: ws.TypeSubscribe, Channel: "room:lobby", ID: "r"})
	if got := collect(t, b, 2); !has(got, ws.TypeAck, "r", "") || !has(got, ws.TypePresence, "", `{"event":"join","user_id":2}`) {
		t.Fatalf("bob joins the lobby: %+v", got)
	}
	if m := read(t, a, 5*time.Second); m.Type != ws.TypePresence || m.Channel != "room:lobby" || string(m.Data) != `{"event":"join","user_id":2}` {
		t.Fatalf("ada sees bob join as %+v", m)
	}
	if ids, err := s.hub.Presence(context.Background(), "room:lobby"); err != nil || fmt.Sprint(ids) != "[1 2]" {
		t.Fatalf("presence = %v, %v; want [1 2]", ids, err)
	}
	if ids, _ := s.hub.Presence(context.Background(), ws.Broadcast); fmt.Sprint(ids) != "[1 2]" {
		t.Fatalf("broadcast presence = %v; want [1 2]", ids)
	}
	_ = b.Close(websocket.StatusNormalClosure, "bye")
	if m := read(t, a, 5*time.Second); m.Type != ws.TypePresence || string(m.Data) != `{"event":"leave","user_id":2}` {
		t.Fatalf("ada sees bob leave as %+v", m)
	}
	// The leave is announced while bob's connection is being taken down:
	// the counts follow a moment later.
	waitFor(t, 5*time.Second, "status still counts bob's connection", func() bool {
		st := s.hub.Status()
		return st.Connections == 2 && st.Users == 2
	})
	if st := s.hub.Status(); st.Connections != 2 || st.Users != 2 || st.Channels != 2 || st.InstanceID != "test" {
		t.Fatalf("status %+v, want 2 connections of 2 users in 2 channels", st)
	}
}

func TestOversizedMessage(t *testing.T) {
	cfg := testConfig()
	s := start(t, cfg, ws.Deps{})
	c := s.connect(t, ada)
	big := bytes.Repeat([]byte("a"), int(cfg.MaxMessageBytes)+1)
	_ = c.Write(context.Background(), websocket.MessageText, big)
	if code := closeStatus(t, c, 5*time.Second); code != websocket.StatusMessageTooBig {
		t.Fatalf("close status %d, want 1009", code)
	}
}

// A client that never answers pings (it never reads, so it never pongs)
// is dropped within interval + timeout.
func TestUnansweredPingsDrop(t *testing.T) {
	cfg := testConfig()
	cfg.PingInterval, cfg.PingTimeout = 500*time.Millisecond, time.Second
	s := start(t, cfg, ws.Deps{})
	_ = s.connect(t, ada) // never read from
	start := time.Now()
	waitFor(t, 5*time.Second, "the silent client is still connected", func() bool { return s.hub.Status().Connections == 0 })
	if took := time.Since(start); took > cfg.PingInterval+cfg.PingTimeout+2*time.Second { // slack for a loaded machine
		t.Fatalf("dropped after %s, want within interval+timeout (%s)", took, cfg.PingInterval+cfg.PingTimeout)
	}
	// A client that reads answers pings and stays, beyond the server's
	// own read and write timeouts.
	c := s.connect(t, bob)
	go func() { _, _, _ = c.Read(context.Background()) }()
	time.Sleep(3 * (cfg.PingInterval + cfg.PingTimeout))
	if n := s.hub.Status().Connections; n != 1 {
		t.Fatalf("a responsive client was dropped (%d connections)", n)
	}
}

func TestConnectionCap(t *testing.T) {
	s := start(t, testConfig(), ws.Deps{})
	for i := range 10 {
		if _, resp, err := s.dial(t, "?ticket="+s.ticket(t, ada), nil); err != nil {
			t.Fatalf("connection %d: %v (%v)", i+1, err, resp)
		}
	}
	_, resp, err := s.dial(t, "?ticket="+s.ticket(t, ada), nil)
	refused(t, resp, err, http.StatusTooManyRequests)
	if _, resp, err := s.dial(t, "?ticket="+s.ticket(t, bob), nil); err != nil {
		t.Fatalf("another user refused: %v (%v)", err, resp)
	}
}

func TestMessageRateLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MessagesPerMinute = 5
	s := start(t, cfg, ws.Deps{})
	c := s.connect(t, ada)
	for range 6 {
		send(t, c, ws.Message{Type: ws.TypeSubscribe, Channel: ws.Broadcast})
	}
	if code := closeStatus(t, c, 5*time.Second); code != websocket.StatusPolicyViolation {
		t.Fatalf("close status %d, want 1008", code)
	}
}

// A client that reads too slowly is dropped; the others keep receiving.
func TestSlowConsumerDropped(t *testing.T) {
	cfg := testConfig()
	cfg.SendBuffer = 16
	s := start(t, cfg, ws.Deps{})
	slow, fast := s.connect(t, ada), s.connect(t, bob)
	for _, c := range []*websocket.Conn{slow, fast} {
		request(t, c, ws.Message{Type: ws.TypeSubscribe, Channel: ws.Broadcast, ID: "s"})
	}
	fast.SetReadLimit(1 << 20)
	received := make(chan int, 1)
	var got atomic.Int64
	go func() {
		n := 0
		for {
			if _, err := tryRead(fast, 10*time.Second); err != nil {
				received <- n
				return
			}
			got.Add(1)
			if n++; n == 400 {
				received <- n
				return
			}
		}
	}()
	chunk := strings.Repeat("x", 64<<10)
	for i := range 400 { // 25 MB: more than the socket buffers hold
		// The fast reader keeps up: never more than half its send buffer
		// behind, however slowly a loaded machine schedules it.
		waitFor(t, 10*time.Second, "the fast client stopped reading", func() bool { return int64(i)-got.Load() <= int64(cfg.SendBuffer/2) })
		if err := s.hub.SendToAll(context.Background(), chunk); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "the slow client is still connected", func() bool { return s.hub.Status().Connections == 1 })
	if n := <-received; n != 400 {
		t.Fatalf("the fast client received %d of 400", n)
	}
}

// Shutdown closes every connection with 1001 and refuses new ones.
func TestCloseGoingAway(t *testing.T) {
	s := start(t, testConfig(), ws.Deps{})
	c := s.connect(t, ada)
	ticket := s.ticket(t, bob)
	code := make(chan websocket.StatusCode, 1)
	go func() {
		_, _, err := c.Read(context.Background())
		code <- websocket.CloseStatus(err)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.hub.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := <-code; got != websocket.StatusGoingAway {
		t.Fatalf("close status %d, want 1001", got)
	}
	_, resp, err := s.dial(t, "?ticket="+ticket, nil)
	refused(t, resp, err, http.StatusServiceUnavailable)
}

// A deleted account is disconnected at the next heartbeat.
func TestDeletedUserDisconnected(t *testing.T) {
	cfg := testConfig()
	cfg.PingInterval = 100 * time.Millisecond
	store := &fakeUsers{m: map[int64]users.User{ada.ID: ada}}
	s := start(t, cfg, ws.Deps{Users: store})
	c := s.connect(t, ada)
	store.mu.Lock()
	delete(store.m, ada.ID)
	store.mu.Unlock()
	if code := closeStatus(t, c, 5*time.Second); code != websocket.StatusPolicyViolation {
		t.Fatalf("close status %d, want 1008", code)
	}
}

func TestValidChannel(t *testing.T) {
	for name, want := range map[string]bool{
		"broadcast": true, "user:1": true, "room:lobby": true, "room:a.b-c_d:e": true,
		"": false, "user:0": false, "user:01": false, "user:x": false, "room:": false, "Room:x": false,
		"other": false, "room:" + strings.Repeat("a", 124): false, "room:a b": false,
	} {
		if got := ws.ValidChannel(name); got != want {
			t.Errorf("ValidChannel(%q) = %v, want %v", name, got, want)
		}
	}
}
