package redisx

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

func TestOpenRejectsBadURLsWithoutLeakingThem(t *testing.T) {
	for _, url := range []string{"http://localhost:6379", "redis://:s3cret@local host:6379", "redis://localhost:6379/notanumber", "s3cret"} {
		_, err := Open(url)
		if err == nil {
			t.Errorf("Open(%q) succeeded", url)
			continue
		}
		if !strings.Contains(err.Error(), "REDIS_URL") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q) error %q: want one naming REDIS_URL without the secret", url, err)
		}
	}
}

func TestPing(t *testing.T) {
	mr := miniredis.RunT(t)
	c, err := Open("redis://" + mr.Addr() + "/0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := Ping(c)(context.Background()); err != nil {
		t.Fatalf("Ping = %v", err)
	}
	mr.Close()
	if err := Ping(c)(context.Background()); err == nil {
		t.Fatal("Ping succeeded with Redis stopped")
	}
}

// TestRealRedis runs when REDIS_URL points at a Redis server (CI sets it).
func TestRealRedis(t *testing.T) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		t.Skip("REDIS_URL not set")
	}
	c, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := Ping(c)(context.Background()); err != nil {
		t.Fatalf("Ping(%s) = %v", c.Options().Addr, err)
	}
}
