package ws_test

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"

	"example.com/myapp/internal/ws"
)

// redisServers returns miniredis and, when REDIS_URL is set, that server;
// each test uses a key prefix of its own.
func redisServers(t *testing.T) map[string]redis.UniversalClient {
	t.Helper()
	mr := miniredis.RunT(t)
	clients := map[string]redis.UniversalClient{"miniredis": redis.NewClient(&redis.Options{Addr: mr.Addr()})}
	if url := os.Getenv("REDIS_URL"); url != "" {
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatalf("REDIS_URL: %v", err)
		}
		clients["redis"] = redis.NewClient(opt)
	}
	for _, c := range clients {
		t.Cleanup(func() { _ = c.Close() })
	}
	return clients
}

// startShared starts an instance on Redis under prefix.
func startShared(t *testing.T, c redis.UniversalClient, prefix, instance string) (*testServer, *ws.Redis) {
	t.Helper()
	cfg := testConfig()
	cfg.InstanceID = instance
	shared := ws.NewRedis(c, prefix, instance, discardLog())
	s := start(t, cfg, ws.Deps{Bus: shared, State: shared.State()})
	select { // what the other instance publishes from now on reaches this one
	case <-shared.Subscribed():
	case <-time.After(5 * time.Second):
		t.Fatalf("instance %s: the bus subscription was not confirmed within 5 s", instance)
	}
	return s, shared
}

// Two instances sharing Redis: a broadcast from one reaches the clients
// of both, exactly once each; a ticket minted on one works once, on
// either; presence lists the users of both.
func TestTwoInstances(t *testing.T) {
	for name, c := range redisServers(t) {
		t.Run(name, func(t *testing.T) {
			prefix := "test:" + t.Name() + ":" + time.Now().Format("150405.000000000") + ":"
			a, _ := startShared(t, c, prefix, "a")
			b, _ := startShared(t, c, prefix, "b")

			ticket := a.ticket(t, ada)
			onB, resp, err := b.dial(t, "?ticket="+ticket, nil)
			if err != nil {
				t.Fatalf("ticket from a on b: %v (%v)", err, resp)
			}
			_, resp, err = a.dial(t, "?ticket="+ticket, nil)
			refused(t, resp, err, http.StatusUnauthorized)
			onA := a.connect(t, bob)

			// Bob joins on a, then Ada on b: a's client sees her join come
			// through Redis.
			send(t, onA, ws.Message{Type: ws.TypeSubscribe, Channel: "room:lobby", ID: "s"})
			if got := collect(t, onA, 2); !has(got, ws.TypeAck, "s", "") || !has(got, ws.TypePresence, "", `{"event":"join","user_id":2}`) {
				t.Fatalf("bob joins on a: %+v", got)
			}
			send(t, onB, ws.Message{Type: ws.TypeSubscribe, Channel: "room:lobby", ID: "s"})
			// Bob's join may reach b through Redis just after Ada is in the
			// room: a real event, so up to three messages may come.
			var got []ws.Message
			for len(got) < 3 && !(has(got, ws.TypeAck, "s", "") && has(got, ws.TypePresence, "", `{"event":"join","user_id":1}`)) {
				got = append(got, read(t, onB, 5*time.Second))
			}
			if !has(got, ws.TypeAck, "s", "") || !has(got, ws.TypePresence, "", `{"event":"join","user_id":1}`) {
				t.Fatalf("ada joins on b: %+v", got)
			}
			if m := read(t, onA, 5*time.Second); m.Type != ws.TypePresence || string(m.Data) != `{"event":"join","user_id":1}` {
				t.Fatalf("a's client sees %+v, want ada's join on b", m)
			}
			for _, s := range []*testServer{a, b} {
				if ids, err := s.hub.Presence(context.Background(), "room:lobby"); err != nil || len(ids) != 2 || ids[0] != 1 || ids[1] != 2 {
					t.Fatalf("presence on %s = %v, %v; want [1 2]", s.hub.InstanceID(), ids, err)
				}
			}

			if err := a.hub.SendToChannel(context.Background(), "room:lobby", "hello"); err != nil {
				t.Fatal(err)
			}
			// Exactly once: the next message after it is a marker sent later
			// to each user (a read with a timeout would close the client).
			for _, u := range []int64{ada.ID, bob.ID} {
				if err := b.hub.SendToUser(context.Background(), u, "marker"); err != nil {
					t.Fatal(err)
				}
			}
			for _, conn := range []*websocket.Conn{onA, onB} {
				if m := read(t, conn, 5*time.Second); m.Type != ws.TypeMessage || m.Channel != "room:lobby" || string(m.Data) != `"hello"` {
					t.Fatalf("broadcast received as %+v", m)
				}
				if m := read(t, conn, 5*time.Second); string(m.Data) != `"marker"` {
					t.Fatalf("after the broadcast: %+v, want the marker (no duplicate)", m)
				}
			}
			// Sending to a user reaches them on whichever instance they are.
			if err := a.hub.SendToUser(context.Background(), ada.ID, "to ada"); err != nil {
				t.Fatal(err)
			}
			if m := read(t, onB, 5*time.Second); m.Channel != ws.UserChannel(ada.ID) || string(m.Data) != `"to ada"` {
				t.Fatalf("user message received as %+v", m)
			}
		})
	}
}

// With Redis gone, each instance keeps serving its own clients, tickets
// work where minted, readiness says degraded; it recovers by itself.
func TestRedisOutage(t *testing.T) {
	mr := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	a, shared := startShared(t, c, "test:", "a")
	conn := a.connect(t, ada)
	request(t, conn, ws.Message{Type: ws.TypeSubscribe, Channel: ws.Broadcast, ID: "s"})

	addr := mr.Addr()
	mr.Close()
	if err := shared.Check(context.Background()); err == nil {
		t.Fatal("readiness check passes with Redis down")
	}
	if err := a.hub.SendToAll(context.Background(), "local"); err != nil {
		t.Fatalf("send during the outage: %v", err)
	}
	if m := read(t, conn, 5*time.Second); string(m.Data) != `"local"` {
		t.Fatalf("during the outage: %+v", m)
	}
	if _, resp, err := a.dial(t, "?ticket="+a.ticket(t, bob), nil); err != nil {
		t.Fatalf("ticket minted during the outage: %v (%v)", err, resp)
	}

	if err := mr.StartAddr(addr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "readiness after Redis is back", func() bool { return shared.Check(context.Background()) == nil })
	// The subscription comes back too: a message published through Redis
	// (by another instance) arrives.
	waitFor(t, 15*time.Second, "the bus re-subscribed", func() bool {
		n, _ := c.PubSubNumSub(context.Background(), "test:bus").Result()
		return n["test:bus"] == 1
	})
	if err := c.Publish(context.Background(), "test:bus", ws.Broadcast+"\n"+`{"type":"message","channel":"broadcast","data":"back"}`).Err(); err != nil {
		t.Fatal(err)
	}
	if m := read(t, conn, 5*time.Second); string(m.Data) != `"back"` {
		t.Fatalf("after recovery: %+v", m)
	}
}
