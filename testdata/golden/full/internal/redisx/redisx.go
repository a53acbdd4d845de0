// Package redisx connects the service to Redis (go-redis v9). The client
// is shared: rate limits and later features (pub/sub, caches) use the
// same connection pool.
package redisx

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Open returns a client for url (redis://[user:password@]host:port/db, or
// rediss:// for TLS). It does not connect: Redis may start after the
// service, which keeps working (see Ping and the readiness check). Short
// timeouts keep a dead Redis from stalling requests.
func Open(url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		var urlErr *neturl.Error
		if errors.As(err, &urlErr) {
			err = errors.New("malformed URL") // url.Error quotes the URL, password included
		}
		return nil, fmt.Errorf("REDIS_URL: want redis://[user:password@]host:port/db: %w", err)
	}
	opt.DialTimeout = 2 * time.Second
	opt.ReadTimeout = time.Second
	opt.WriteTimeout = time.Second
	opt.PoolTimeout = 2 * time.Second
	opt.MaxRetries = 1
	return redis.NewClient(opt), nil
}

// Ping reports whether Redis answers; it is the readiness check.
func Ping(c redis.UniversalClient) func(context.Context) error {
	return func(ctx context.Context) error { return c.Ping(ctx).Err() }
}
