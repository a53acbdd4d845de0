// Package ws serves WebSockets: authenticated connections that subscribe
// to channels, publish where allowed and see who else is there, with a
// Hub the rest of the service uses to send to a user, a channel or
// everyone. Messages reach every instance through a Bus: in this process,
// or through Redis pub/sub when several instances share one.
//
// The protocol is JSON text messages of one shape, Message. Clients send
// subscribe, unsubscribe and publish; the server sends message, presence,
// ack and error, the last two carrying the id of the request they answer.
package ws

import (
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"example.com/myapp/internal/users"
)

// Message types.
const (
	TypeSubscribe   = "subscribe"   // client: start receiving a channel
	TypeUnsubscribe = "unsubscribe" // client: stop receiving a channel
	TypePublish     = "publish"     // client: send data to a channel
	TypeMessage     = "message"     // server: data sent to a channel
	TypePresence    = "presence"    // server: a user joined or left a room
	TypeAck         = "ack"         // server: the request with this id succeeded
	TypeError       = "error"       // server: the request with this id failed
)

// Message is every frame of the protocol, in either direction.
type Message struct {
	Type    string          `json:"type"`
	Channel string          `json:"channel,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
	// ID is chosen by the client; the ack or error answering the request
	// carries it back.
	ID string `json:"id,omitempty"`
	// From is the user who published a message; 0 (absent) for the server.
	From int64 `json:"from,omitempty"`
}

// ErrorData is the data of an error message.
type ErrorData struct {
	Code   string `json:"code"`   // forbidden, invalid, unknown_type, not_subscribed
	Detail string `json:"detail"` // for people
}

// PresenceData is the data of a presence message.
type PresenceData struct {
	Event  string `json:"event"` // join or leave
	UserID int64  `json:"user_id"`
}

// The channels every service has. Others are rooms, "room:<name>", allowed
// by Config.Rooms.
const (
	// Broadcast is everyone who subscribed to it; only admins publish.
	Broadcast = "broadcast"
	// UserPrefix starts a user's own channel, "user:<id>": each connection
	// receives its user's channel without subscribing, and only the server
	// sends to it.
	UserPrefix = "user:"
	// RoomPrefix starts a room, "room:<name>".
	RoomPrefix = "room:"
)

// UserChannel is the channel of the user with the given id.
func UserChannel(id int64) string { return UserPrefix + strconv.FormatInt(id, 10) }

var channelName = regexp.MustCompile(`^[a-z0-9][a-z0-9:._-]{0,127}$`)

// ValidChannel reports whether name is a channel name: lower-case letters,
// digits and ":._-", at most 128 bytes, of a known kind.
func ValidChannel(name string) bool {
	if !channelName.MatchString(name) {
		return false
	}
	switch {
	case name == Broadcast:
		return true
	case strings.HasPrefix(name, UserPrefix):
		id, err := strconv.ParseInt(strings.TrimPrefix(name, UserPrefix), 10, 64)
		return err == nil && id > 0 && UserChannel(id) == name
	case strings.HasPrefix(name, RoomPrefix):
		return len(name) > len(RoomPrefix)
	}
	return false
}

// Access is what a user may do on a channel.
type Access struct {
	Subscribe bool
	Publish   bool
}

// RoomPolicy decides what u may do in the room (the part after "room:").
// It is asked on every subscribe and publish, so a change (a user removed
// from a room) takes effect at the next request. Nil allows nothing.
type RoomPolicy func(u users.User, room string) Access

// AccessTo is the authorization of u on channel: their own user channel
// read-only, broadcast read-only (admins also publish), rooms as rooms
// says. Invalid names get nothing.
func AccessTo(u users.User, channel string, rooms RoomPolicy) Access {
	switch {
	case !ValidChannel(channel):
		return Access{}
	case channel == Broadcast:
		return Access{Subscribe: true, Publish: u.Role.AtLeast(users.RoleAdmin)}
	case strings.HasPrefix(channel, UserPrefix):
		return Access{Subscribe: channel == UserChannel(u.ID)}
	case rooms != nil:
		return rooms(u, strings.TrimPrefix(channel, RoomPrefix))
	}
	return Access{}
}

// hasPresence reports whether joins and leaves of channel are announced:
// rooms only. A user's channel is theirs alone, and announcing every
// subscriber of broadcast to every other one costs the square of the
// audience; GET /api/v1/ws/presence still lists broadcast's listeners.
func hasPresence(channel string) bool { return strings.HasPrefix(channel, RoomPrefix) }

// Config are the limits of the service's WebSockets (WS_* variables).
type Config struct {
	// AllowedOrigins are the exact browser origins (scheme://host[:port])
	// that may open a WebSocket besides the service's own host. Requests
	// without an Origin (non-browser clients) are accepted.
	AllowedOrigins []string
	// AllowQueryToken also accepts an access token as ?token= (for clients
	// that cannot mint a ticket first). Off by default: URLs end up in
	// logs; the access log redacts it.
	AllowQueryToken bool
	PingInterval    time.Duration // how often each connection is pinged
	PingTimeout     time.Duration // how long a pong may take before the connection is dropped
	MaxMessageBytes int64         // largest message a client may send (close 1009 beyond)
	// MaxConnectionsPerUser caps a user's open connections on this
	// instance; more are refused with 429.
	MaxConnectionsPerUser int
	MessagesPerMinute     int           // per connection; beyond, close 1008
	TicketTTL             time.Duration // how long a ticket may wait to be used (at most 60 s)
	// SendBuffer is how many messages may wait for a slow client before it
	// is dropped (close 1013) rather than slowing everyone else down.
	SendBuffer int
	// WriteTimeout bounds writing one message to a client.
	WriteTimeout time.Duration
	// InstanceID names this instance in the status and in Redis.
	InstanceID string
	Rooms      RoomPolicy
}

// MaxTicketTTL is the longest a ticket may live (SECURITY.md §7).
const MaxTicketTTL = 60 * time.Second

func (c Config) withDefaults() (Config, error) {
	if c.TicketTTL == 0 {
		c.TicketTTL = MaxTicketTTL
	}
	if c.SendBuffer == 0 {
		c.SendBuffer = 64
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	switch {
	case c.PingInterval <= 0 || c.PingTimeout <= 0:
		return c, errors.New("ws: ping interval and timeout must be positive")
	case c.MaxMessageBytes <= 0 || c.MaxConnectionsPerUser <= 0 || c.MessagesPerMinute <= 0:
		return c, errors.New("ws: message size, connection and message limits must be positive")
	case c.TicketTTL < 0 || c.TicketTTL > MaxTicketTTL:
		return c, errors.New("ws: ticket lifetime must be at most 60s")
	case c.InstanceID == "":
		return c, errors.New("ws: instance id missing")
	}
	return c, nil
}
