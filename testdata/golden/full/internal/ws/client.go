package ws

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/users"
)

// Close codes the server uses besides the library's own (1009 for a
// message over the limit).
const (
	StatusGoingAway       = websocket.StatusGoingAway       // 1001: the server is shutting down
	StatusPolicyViolation = websocket.StatusPolicyViolation // 1008: too many messages, or the sign-in ended
	StatusSlowConsumer    = websocket.StatusTryAgainLater   // 1013: the client read too slowly; reconnect
)

// client is one connection of an authenticated user.
type client struct {
	hub     *Hub
	conn    *websocket.Conn
	id      int64     // the user's id, fixed for the connection
	expires time.Time // when the credential it connected with ends; zero: never
	send    chan []byte

	mu   sync.Mutex
	user users.User // re-read by the heartbeat
	subs map[string]struct{}

	closeOnce sync.Once
	closing   chan struct{} // closed by drop
	code      websocket.StatusCode
	reason    string
}

func newClient(h *Hub, conn *websocket.Conn, u users.User, expires time.Time) *client {
	return &client{
		hub: h, conn: conn, id: u.ID, user: u, expires: expires,
		send:    make(chan []byte, h.cfg.SendBuffer),
		subs:    map[string]struct{}{},
		closing: make(chan struct{}),
	}
}

// drop asks the connection to close with code; it never blocks, so the hub
// can call it while delivering.
func (c *client) drop(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.code, c.reason = code, reason
		close(c.closing)
	})
}

func (c *client) subscriptions() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.subs))
	for ch := range c.subs {
		out = append(out, ch)
	}
	return out
}

// serve runs the connection until it ends: the read loop in this
// goroutine, the writer and the heartbeat (which also closes) beside it:
// three goroutines per connection. It returns once all have stopped.
func (c *client) serve() {
	ctx, cancel := context.WithCancel(c.hub.ctx)
	defer cancel()
	c.conn.SetReadLimit(c.hub.cfg.MaxMessageBytes)
	writerDone, heartbeatDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop(ctx)
	}()
	go func() {
		defer close(heartbeatDone)
		c.heartbeat(ctx)
	}()
	c.readLoop(ctx)
	c.drop(0, "") // the reader ended: the client left or broke the protocol
	<-heartbeatDone
	cancel()
	<-writerDone
	_ = c.conn.CloseNow()
}

// finish closes the connection as drop asked: with its close code and a
// close handshake (bounded by the library), or at once.
func (c *client) finish() {
	if c.code != 0 {
		_ = c.conn.Close(c.code, c.reason)
		return
	}
	_ = c.conn.CloseNow()
}

// readLoop handles the client's requests until the connection fails.
func (c *client) readLoop(ctx context.Context) {
	limit := newBucket(c.hub.cfg.MessagesPerMinute, time.Minute)
	for {
		typ, data, err := c.conn.Read(ctx)
		if err != nil {
			return // 1009 for an oversized message is sent by the library
		}
		if !limit.take(time.Now()) {
			c.drop(StatusPolicyViolation, "message rate limit exceeded")
			return
		}
		if typ != websocket.MessageText {
			c.reply(Message{Type: TypeError, Data: errorData("invalid", "Messages are JSON text frames.")})
			continue
		}
		var m Message
		if err := json.Unmarshal(data, &m); err != nil {
			c.reply(Message{Type: TypeError, Data: errorData("invalid", "The message is not a JSON object {type, channel, data, id}.")})
			continue
		}
		c.handle(ctx, m)
	}
}

// handle answers one request: ack or error, carrying its id.
func (c *client) handle(ctx context.Context, m Message) {
	if len(m.ID) > 64 {
		c.reply(Message{Type: TypeError, Data: errorData("invalid", "id is longer than 64 bytes.")})
		return
	}
	fail := func(code, detail string) {
		c.reply(Message{Type: TypeError, Channel: m.Channel, ID: m.ID, Data: errorData(code, detail)})
	}
	switch m.Type {
	case TypeSubscribe, TypeUnsubscribe, TypePublish:
	default:
		fail("unknown_type", "type must be subscribe, unsubscribe or publish.")
		return
	}
	if !ValidChannel(m.Channel) {
		fail("invalid", "channel must be broadcast, user:<id> or room:<name> (a-z, 0-9, \":._-\", at most 128 bytes).")
		return
	}
	c.mu.Lock()
	u := c.user
	c.mu.Unlock()
	access := AccessTo(u, m.Channel, c.hub.cfg.Rooms)
	switch m.Type {
	case TypeSubscribe:
		if !access.Subscribe {
			fail("forbidden", "You may not subscribe to this channel.")
			return
		}
		if _, own := userIDOf(m.Channel); !own { // a user's own channel arrives without subscribing
			c.mu.Lock()
			c.subs[m.Channel] = struct{}{}
			c.mu.Unlock()
			c.hub.subscribe(c, m.Channel)
		}
	case TypeUnsubscribe:
		c.mu.Lock()
		_, ok := c.subs[m.Channel]
		delete(c.subs, m.Channel)
		c.mu.Unlock()
		if !ok {
			fail("not_subscribed", "You are not subscribed to this channel.")
			return
		}
		c.hub.unsubscribe(c, m.Channel)
	case TypePublish:
		if !access.Publish {
			fail("forbidden", "You may not publish to this channel.")
			return
		}
		if len(m.Data) == 0 {
			fail("invalid", "publish needs data.")
			return
		}
		if err := c.hub.publish(ctx, Message{Type: TypeMessage, Channel: m.Channel, Data: m.Data, From: c.id}); err != nil {
			fail("unavailable", "The message could not be sent; retry later.")
			return
		}
	}
	if m.ID != "" {
		c.reply(Message{Type: TypeAck, Channel: m.Channel, ID: m.ID})
	}
}

// reply queues an answer to the client itself.
func (c *client) reply(m Message) {
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	select {
	case c.send <- b:
	default:
		c.drop(StatusSlowConsumer, "too slow: messages were dropped")
	}
}

// writeLoop writes queued messages, each within the write timeout.
func (c *client) writeLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-c.send:
			wctx, cancel := context.WithTimeout(ctx, c.hub.cfg.WriteTimeout)
			err := c.conn.Write(wctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				c.drop(0, "")
				return
			}
		}
	}
}

// heartbeat pings every interval and drops a client that does not answer
// within the timeout; it also ends the connection when the credential it
// was opened with expires, and re-reads the user, so a deleted account or
// a changed role takes effect within one interval. It closes the
// connection once drop was called.
func (c *client) heartbeat(ctx context.Context) {
	t := time.NewTicker(c.hub.cfg.PingInterval)
	defer t.Stop()
	var expiry <-chan time.Time
	if !c.expires.IsZero() {
		e := time.NewTimer(time.Until(c.expires))
		defer e.Stop()
		expiry = e.C
	}
	for {
		// A drop wins over a pending tick: select would pick at random.
		select {
		case <-c.closing:
			c.finish()
			return
		default:
		}
		select {
		case <-ctx.Done():
			return
		case <-c.closing:
			c.finish()
			return
		case <-expiry:
			c.drop(StatusPolicyViolation, "token expired")
			continue
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, c.hub.cfg.PingTimeout)
		err := c.conn.Ping(pctx)
		cancel()
		switch {
		case err != nil:
			c.drop(0, "") // no pong: the peer is gone, no close handshake
		case !c.refreshUser(ctx):
			c.drop(StatusPolicyViolation, "account no longer active")
		}
	}
}

// refreshUser re-reads the account; false when it is gone. A failing
// database keeps the connection (the user was valid at the last check).
func (c *client) refreshUser(ctx context.Context) bool {
	rctx, cancel := context.WithTimeout(ctx, c.hub.cfg.PingTimeout)
	defer cancel()
	u, err := c.hub.users.Get(rctx, c.id)
	if err != nil {
		return apperr.CodeOf(err) != apperr.NotFound
	}
	c.mu.Lock()
	c.user = u
	c.mu.Unlock()
	return true
}

func errorData(code, detail string) json.RawMessage {
	b, _ := json.Marshal(ErrorData{Code: code, Detail: detail})
	return b
}

// userIDOf returns the id of a user channel.
func userIDOf(channel string) (int64, bool) {
	if !strings.HasPrefix(channel, UserPrefix) {
		return 0, false
	}
	id, err := strconv.ParseInt(channel[len(UserPrefix):], 10, 64)
	return id, err == nil
}

// bucket is a token bucket: n tokens per period, at most n saved up.
type bucket struct {
	tokens, max, perNano float64
	last                 time.Time
}

func newBucket(n int, period time.Duration) *bucket {
	return &bucket{tokens: float64(n), max: float64(n), perNano: float64(n) / float64(period)}
}

// take spends a token; false when none is left.
func (b *bucket) take(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.max, b.tokens+float64(now.Sub(b.last))*b.perNano)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
