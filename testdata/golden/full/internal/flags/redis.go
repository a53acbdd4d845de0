package flags

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisBus is the Bus over Redis pub/sub. A message carries no data: it
// only says "reload", so a lost one costs at most one refresh interval,
// and after a reconnect (go-redis resubscribes by itself) the snapshot is
// reloaded in case something was missed meanwhile.
type RedisBus struct {
	client  redis.UniversalClient
	channel string
}

var _ Bus = RedisBus{}

// NewRedisBus returns a bus on the Redis channel (e.g. "myapp:flags").
func NewRedisBus(client redis.UniversalClient, channel string) RedisBus {
	return RedisBus{client: client, channel: channel}
}

// Publish implements Bus.
func (b RedisBus) Publish(ctx context.Context) error {
	if err := b.client.Publish(ctx, b.channel, "changed").Err(); err != nil {
		return fmt.Errorf("publish flag change: %w", err)
	}
	return nil
}

// Subscribe implements Bus.
func (b RedisBus) Subscribe(ctx context.Context, changed func()) error {
	ps := b.client.Subscribe(ctx, b.channel)
	// Wait for the confirmation, so changes published after Subscribe
	// returns are not missed.
	confirm, cancel := context.WithTimeout(ctx, confirmTimeout)
	_, err := ps.Receive(confirm)
	cancel()
	go func() {
		defer ps.Close()
		// Subscription messages arrive after each reconnect.
		ch := ps.ChannelWithSubscriptions()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-ch:
				if !ok {
					return
				}
				changed()
			}
		}
	}()
	if err != nil {
		return fmt.Errorf("subscribe to flag changes: %w", err)
	}
	return nil
}

// confirmTimeout bounds the wait for the subscription's confirmation.
const confirmTimeout = 2 * time.Second
