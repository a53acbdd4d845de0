package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/users"
)

// Bus carries messages between the instances of the service. Publish
// sends a channel's encoded message to every instance, this one included,
// whose Hub then delivers it to its own subscribers.
type Bus interface {
	// Publish sends payload for channel to every instance.
	Publish(ctx context.Context, channel string, payload []byte) error
	// Run delivers what any instance publishes until ctx is done.
	Run(ctx context.Context, deliver func(channel string, payload []byte))
}

// Local is the Bus of a single instance: Publish delivers at once.
type Local struct {
	mu      sync.RWMutex
	deliver func(channel string, payload []byte)
}

// Publish delivers payload to this instance's subscribers.
func (l *Local) Publish(_ context.Context, channel string, payload []byte) error {
	l.mu.RLock()
	deliver := l.deliver
	l.mu.RUnlock()
	if deliver != nil {
		deliver(channel, payload)
	}
	return nil
}

// Run starts delivering.
func (l *Local) Run(ctx context.Context, deliver func(channel string, payload []byte)) {
	l.mu.Lock()
	l.deliver = deliver
	l.mu.Unlock()
	<-ctx.Done()
}

// SharedState is what instances share besides messages: tickets (minted
// by one instance, redeemed by another) and who is in which channel. Nil
// parts are kept in this process.
type SharedState struct {
	Tickets  TicketStore
	Presence PresenceStore
}

// PresenceStore records which users listen to a channel on which instance.
type PresenceStore interface {
	// Join and Leave record the first and last connection of a user to a
	// channel on this instance.
	Join(ctx context.Context, channel string, userID int64) error
	Leave(ctx context.Context, channel string, userID int64) error
	// List returns the users of channel on every instance, sorted.
	List(ctx context.Context, channel string) ([]int64, error)
	// Refresh renews every entry of this instance (channel → users), every
	// presenceRefresh: entries of an instance that stopped refreshing
	// expire, and those lost in an outage come back.
	Refresh(ctx context.Context, local map[string][]int64) error
}

// presenceRefresh is how often the hub renews its shared presence.
const presenceRefresh = 20 * time.Second

// Deps are what a Hub needs from the rest of the service.
type Deps struct {
	Users users.Store         // the accounts: tickets name a user id
	Auth  users.Authenticator // bearer tokens; nil refuses them
	Bus   Bus                 // nil: a Local bus
	State SharedState         // nil parts: in this process
	Log   *slog.Logger
}

// Hub holds this instance's connections and delivers messages to them.
// Its Send methods are the API for the rest of the service.
type Hub struct {
	cfg      Config
	users    users.Store
	auth     users.Authenticator
	bus      Bus
	tickets  TicketStore
	presence PresenceStore // nil: local only
	log      *slog.Logger

	ctx    context.Context // ends when the hub closes
	cancel context.CancelFunc
	conns  sync.WaitGroup // every serving connection
	runs   sync.WaitGroup // the bus

	mu       sync.RWMutex
	closed   bool
	channels map[string]map[*client]struct{} // subscriptions, user channels excluded
	byUser   map[int64]map[*client]struct{}
	perUser  map[int64]int            // connections and reservations, for the cap
	local    map[string]map[int64]int // channel → user → connections here
}

// New returns a running hub; Close stops it.
func New(cfg Config, d Deps) (*Hub, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if d.Users == nil || d.Log == nil {
		return nil, errors.New("ws: users store and logger are required")
	}
	if d.Bus == nil {
		d.Bus = &Local{}
	}
	if d.State.Tickets == nil {
		d.State.Tickets = NewMemoryTickets()
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		cfg: cfg, users: d.Users, auth: d.Auth, bus: d.Bus,
		tickets: d.State.Tickets, presence: d.State.Presence, log: d.Log,
		ctx: ctx, cancel: cancel,
		channels: map[string]map[*client]struct{}{},
		byUser:   map[int64]map[*client]struct{}{},
		perUser:  map[int64]int{},
		local:    map[string]map[int64]int{},
	}
	started := make(chan struct{})
	h.runs.Go(func() {
		close(started)
		h.bus.Run(ctx, h.deliver)
	})
	<-started
	if h.presence != nil {
		h.runs.Go(func() { h.refreshPresence(ctx) })
	}
	return h, nil
}

// Access is what u may do on channel (see AccessTo), with this hub's room
// policy.
func (h *Hub) Access(u users.User, channel string) Access {
	return AccessTo(u, channel, h.cfg.Rooms)
}

// InstanceID names this instance.
func (h *Hub) InstanceID() string { return h.cfg.InstanceID }

// SendToUser sends data to every connection of the user, on every
// instance, as a message on their channel "user:<id>".
func (h *Hub) SendToUser(ctx context.Context, userID int64, data any) error {
	return h.send(ctx, UserChannel(userID), data, 0)
}

// SendToChannel sends data to every subscriber of channel on every
// instance.
func (h *Hub) SendToChannel(ctx context.Context, channel string, data any) error {
	return h.send(ctx, channel, data, 0)
}

// SendToAll sends data to every subscriber of the broadcast channel (every
// client that listens to announcements), on every instance.
func (h *Hub) SendToAll(ctx context.Context, data any) error {
	return h.send(ctx, Broadcast, data, 0)
}

func (h *Hub) send(ctx context.Context, channel string, data any, from int64) error {
	if !ValidChannel(channel) {
		return apperr.Errorf(apperr.Invalid, "%q is not a channel", channel)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("ws: encode data: %w", err)
	}
	return h.publish(ctx, Message{Type: TypeMessage, Channel: channel, Data: raw, From: from})
}

func (h *Hub) publish(ctx context.Context, m Message) error {
	payload, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("ws: encode message: %w", err)
	}
	return h.bus.Publish(ctx, m.Channel, payload)
}

// deliver hands an encoded message to this instance's subscribers of
// channel. It never blocks: a client whose buffer is full is dropped.
func (h *Hub) deliver(channel string, payload []byte) {
	var slow []*client
	h.mu.RLock()
	targets := h.channels[channel]
	if id, ok := userIDOf(channel); ok {
		targets = h.byUser[id] // every connection of the user receives their channel
	}
	for c := range targets {
		select {
		case c.send <- payload:
		default:
			slow = append(slow, c)
		}
	}
	h.mu.RUnlock()
	for _, c := range slow {
		c.drop(StatusSlowConsumer, "too slow: messages were dropped")
	}
}

// reserve takes one of the user's connection slots; false when they are
// all taken or the hub is closed.
func (h *Hub) reserve(userID int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.perUser[userID] >= h.cfg.MaxConnectionsPerUser {
		return false
	}
	h.perUser[userID]++
	return true
}

func (h *Hub) release(userID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perUser[userID]--; h.perUser[userID] <= 0 {
		delete(h.perUser, userID)
	}
}

// add registers c; false when the hub closed meanwhile.
func (h *Hub) add(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	if h.byUser[c.id] == nil {
		h.byUser[c.id] = map[*client]struct{}{}
	}
	h.byUser[c.id][c] = struct{}{}
	h.conns.Add(1)
	return true
}

// remove unregisters c and ends its subscriptions.
func (h *Hub) remove(c *client) {
	for _, ch := range c.subscriptions() {
		h.unsubscribe(c, ch)
	}
	h.mu.Lock()
	delete(h.byUser[c.id], c)
	if len(h.byUser[c.id]) == 0 {
		delete(h.byUser, c.id)
	}
	h.mu.Unlock()
	h.conns.Done()
}

// subscribe adds c to channel; the first connection of a user to a room
// announces them.
func (h *Hub) subscribe(c *client, channel string) {
	h.mu.Lock()
	if h.channels[channel] == nil {
		h.channels[channel] = map[*client]struct{}{}
	}
	if _, ok := h.channels[channel][c]; ok {
		h.mu.Unlock()
		return
	}
	h.channels[channel][c] = struct{}{}
	if h.local[channel] == nil {
		h.local[channel] = map[int64]int{}
	}
	h.local[channel][c.id]++
	first := h.local[channel][c.id] == 1
	h.mu.Unlock()
	if first {
		h.presenceChanged(channel, c.id, "join")
	}
}

// unsubscribe removes c from channel; the last connection of a user
// leaving a room announces it.
func (h *Hub) unsubscribe(c *client, channel string) {
	h.mu.Lock()
	if _, ok := h.channels[channel][c]; !ok {
		h.mu.Unlock()
		return
	}
	delete(h.channels[channel], c)
	if len(h.channels[channel]) == 0 {
		delete(h.channels, channel)
	}
	h.local[channel][c.id]--
	last := h.local[channel][c.id] == 0
	if last {
		delete(h.local[channel], c.id)
		if len(h.local[channel]) == 0 {
			delete(h.local, channel)
		}
	}
	h.mu.Unlock()
	if last {
		h.presenceChanged(channel, c.id, "leave")
	}
}

func (h *Hub) presenceChanged(channel string, userID int64, event string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(h.ctx), 2*time.Second)
	defer cancel()
	if h.presence != nil {
		var err error
		if event == "join" {
			err = h.presence.Join(ctx, channel, userID)
		} else {
			err = h.presence.Leave(ctx, channel, userID)
		}
		if err != nil {
			h.log.Warn("websocket presence not shared", "channel", channel, "error", err.Error())
		}
	}
	if !hasPresence(channel) {
		return
	}
	data, _ := json.Marshal(PresenceData{Event: event, UserID: userID})
	if err := h.publish(ctx, Message{Type: TypePresence, Channel: channel, Data: data}); err != nil {
		h.log.Warn("websocket presence event not sent", "channel", channel, "error", err.Error())
	}
}

func (h *Hub) refreshPresence(ctx context.Context) {
	t := time.NewTicker(presenceRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_ = h.presence.Refresh(rctx, h.localChannels()) // the store logs an outage
			cancel()
		}
	}
}

// Presence returns the users subscribed to channel on every instance
// (only this one's while Redis is unreachable), sorted by id.
func (h *Hub) Presence(ctx context.Context, channel string) ([]int64, error) {
	if !ValidChannel(channel) {
		return nil, apperr.Errorf(apperr.Invalid, "%q is not a channel", channel)
	}
	if h.presence != nil {
		ids, err := h.presence.List(ctx, channel)
		if err == nil {
			return ids, nil
		}
		h.log.Warn("websocket presence: shared list unavailable, answering for this instance", "error", err.Error())
	}
	return h.LocalPresence(channel), nil
}

// LocalPresence returns the users subscribed to channel on this instance.
func (h *Hub) LocalPresence(channel string) []int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ids := make([]int64, 0, len(h.local[channel]))
	for id := range h.local[channel] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// localChannels returns, for every channel with subscribers here, their
// user ids (for refreshing the shared presence).
func (h *Hub) localChannels() map[string][]int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make(map[string][]int64, len(h.local))
	for ch, us := range h.local {
		for id := range us {
			out[ch] = append(out[ch], id)
		}
	}
	return out
}

// Status is a snapshot of this instance's WebSockets.
type Status struct {
	InstanceID  string `json:"instance_id" doc:"This instance"`
	Connections int    `json:"connections" doc:"Open connections on this instance"`
	Users       int    `json:"users" doc:"Distinct users connected to this instance"`
	Channels    int    `json:"channels" doc:"Channels with subscribers on this instance (users' own channels not counted)"`
}

// Status returns the counts of this instance.
func (h *Hub) Status() Status {
	h.mu.RLock()
	defer h.mu.RUnlock()
	s := Status{InstanceID: h.cfg.InstanceID, Users: len(h.byUser), Channels: len(h.channels)}
	for _, cs := range h.byUser {
		s.Connections += len(cs)
	}
	return s
}

// Close closes every connection with 1001 (going away), waits for them
// to finish within ctx, refuses new ones and stops the bus. It is safe to
// call more than once.
func (h *Hub) Close(ctx context.Context) error {
	h.mu.Lock()
	already := h.closed
	h.closed = true
	var all []*client
	for _, cs := range h.byUser {
		for c := range cs {
			all = append(all, c)
		}
	}
	h.mu.Unlock()
	if already {
		return nil
	}
	for _, c := range all {
		c.drop(StatusGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { h.conns.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("ws: %d connections still closing: %w", len(all), ctx.Err())
	}
	h.cancel()
	h.runs.Wait()
	return err
}
