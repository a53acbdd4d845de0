package ws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis shares WebSockets between instances: messages through one pub/sub
// channel that every instance subscribes to, tickets as keys that expire,
// presence as a hash per channel. When Redis is unreachable each part
// falls back to this instance alone (messages reach only local clients,
// tickets work where they were minted, presence lists local users), the
// readiness check reports degraded, and it recovers by itself: go-redis
// reconnects, and the hub re-announces its presence every refresh.
type Redis struct {
	client   redis.UniversalClient
	prefix   string // every key and channel starts with it
	instance string
	log      *slog.Logger
	tickets  *MemoryTickets // while Redis is down
	deliver  atomic.Pointer[func(channel string, payload []byte)]
	down     atomic.Bool // the last operation failed
	// subscribed is closed once Redis has confirmed Run's subscription:
	// from then on this instance receives what any instance publishes.
	subscribed     chan struct{}
	subscribedOnce sync.Once
}

// presenceTTL is how long an instance's presence entries live without a
// refresh: a crashed instance's users disappear within it.
const presenceTTL = 60 * time.Second

// NewRedis returns the shared state on client under prefix (e.g.
// "myapp:ws:"), for the instance named instance.
func NewRedis(client redis.UniversalClient, prefix, instance string, log *slog.Logger) *Redis {
	return &Redis{client: client, prefix: prefix, instance: instance, log: log, tickets: NewMemoryTickets(), subscribed: make(chan struct{})}
}

// Subscribed is closed once Run's subscription to the bus is active
// (go-redis sends SUBSCRIBE without waiting for Redis to confirm it):
// messages published before then do not reach this instance.
func (r *Redis) Subscribed() <-chan struct{} { return r.subscribed }

// State returns r as the hub's shared tickets and presence.
func (r *Redis) State() SharedState { return SharedState{Tickets: r, Presence: r} }

func (r *Redis) busChannel() string { return r.prefix + "bus" }

// failed records an outage once, and reports the error.
func (r *Redis) failed(what string, err error) {
	if !r.down.Swap(true) {
		r.log.Warn("Redis unreachable: WebSockets reach this instance only until it is back", "during", what, "error", err.Error())
	}
}

func (r *Redis) ok() {
	if r.down.Swap(false) {
		r.log.Info("Redis is back: WebSockets are shared again")
	}
}

// Check is the readiness check: an error while Redis does not answer.
func (r *Redis) Check(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("websocket fan-out: %w", err)
	}
	return nil
}

// Publish sends payload to every instance; while Redis is down, to this
// instance's clients only.
func (r *Redis) Publish(ctx context.Context, channel string, payload []byte) error {
	err := r.client.Publish(ctx, r.busChannel(), channel+"\n"+string(payload)).Err()
	if err == nil {
		r.ok()
		return nil
	}
	r.failed("publish", err)
	if deliver := r.deliver.Load(); deliver != nil {
		(*deliver)(channel, payload)
	}
	return nil
}

// Run subscribes to the bus and delivers what any instance publishes
// until ctx is done. go-redis re-subscribes after a lost connection.
func (r *Redis) Run(ctx context.Context, deliver func(channel string, payload []byte)) {
	r.deliver.Store(&deliver)
	sub := r.client.Subscribe(ctx, r.busChannel())
	defer sub.Close()
	// Wait for Redis to confirm the subscription. If Redis is down now,
	// go on: go-redis subscribes again when it is back.
	if _, err := sub.Receive(ctx); err == nil {
		r.subscribedOnce.Do(func() { close(r.subscribed) })
	} else if ctx.Err() == nil {
		r.failed("subscribe", err)
	}
	msgs := sub.Channel(redis.WithChannelHealthCheckInterval(5 * time.Second))
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			channel, payload, found := strings.Cut(m.Payload, "\n")
			if !found || !ValidChannel(channel) {
				continue
			}
			deliver(channel, []byte(payload))
		}
	}
}

func (r *Redis) ticketKey(hash string) string { return r.prefix + "ticket:" + hash }

// Put stores a ticket hash in Redis, or in memory while Redis is down.
func (r *Redis) Put(ctx context.Context, hash string, userID int64, ttl time.Duration) error {
	err := r.client.SetArgs(ctx, r.ticketKey(hash), userID, redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	if err == nil {
		r.ok()
		return nil
	}
	r.failed("ticket", err)
	return r.tickets.Put(ctx, hash, userID, ttl)
}

// Take spends a ticket hash (GETDEL: once, on any instance).
func (r *Redis) Take(ctx context.Context, hash string) (int64, bool, error) {
	v, err := r.client.GetDel(ctx, r.ticketKey(hash)).Result()
	switch {
	case err == nil:
		r.ok()
		id, perr := strconv.ParseInt(v, 10, 64)
		return id, perr == nil, nil
	case errors.Is(err, redis.Nil):
		return r.tickets.Take(ctx, hash) // perhaps minted here during an outage
	default:
		r.failed("ticket", err)
		return r.tickets.Take(ctx, hash)
	}
}

func (r *Redis) presenceKey(channel string) string { return r.prefix + "presence:" + channel }

func (r *Redis) presenceField(userID int64) string {
	return r.instance + "/" + strconv.FormatInt(userID, 10)
}

// Join records a user in channel on this instance.
func (r *Redis) Join(ctx context.Context, channel string, userID int64) error {
	return r.Refresh(ctx, map[string][]int64{channel: {userID}})
}

// Leave removes a user from channel on this instance.
func (r *Redis) Leave(ctx context.Context, channel string, userID int64) error {
	if err := r.client.HDel(ctx, r.presenceKey(channel), r.presenceField(userID)).Err(); err != nil {
		r.failed("presence", err)
		return err
	}
	return nil
}

// Refresh renews this instance's presence entries, each with an
// expiry, so that entries of a crashed instance vanish.
func (r *Redis) Refresh(ctx context.Context, local map[string][]int64) error {
	if len(local) == 0 {
		return nil
	}
	expires := strconv.FormatInt(time.Now().Add(presenceTTL).UnixMilli(), 10)
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for channel, ids := range local {
			key := r.presenceKey(channel)
			for _, id := range ids {
				p.HSet(ctx, key, r.presenceField(id), expires)
			}
			p.PExpire(ctx, key, presenceTTL)
		}
		return nil
	})
	if err != nil {
		r.failed("presence", err)
	}
	return err
}

// List returns the users of channel on every live instance.
func (r *Redis) List(ctx context.Context, channel string) ([]int64, error) {
	entries, err := r.client.HGetAll(ctx, r.presenceKey(channel)).Result()
	if err != nil {
		r.failed("presence", err)
		return nil, err
	}
	now := time.Now().UnixMilli()
	seen := map[int64]bool{}
	ids := []int64{}
	for field, exp := range entries {
		id, err1 := strconv.ParseInt(field[strings.LastIndexByte(field, '/')+1:], 10, 64)
		until, err2 := strconv.ParseInt(exp, 10, 64)
		if err1 != nil || err2 != nil || until < now || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}
