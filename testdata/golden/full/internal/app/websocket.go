package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/health"
	"example.com/myapp/internal/users"
	"example.com/myapp/internal/ws"
)

// wireWebsocket serves GET /api/v1/ws and shares the hub with the features
// after it (w.ws: SendToUser, SendToChannel, SendToAll). With Redis,
// messages, tickets and presence are shared by every instance; while Redis
// is down, each instance serves its own clients and readiness says degraded.
// On shutdown every connection gets close 1001 before the server stops.
func (a *App) wireWebsocket(_ context.Context, w *wiring) error {
	cfg := a.cfg
	instance := instanceID()
	deps := ws.Deps{Users: w.v1.Users, Auth: w.v1.Authenticator, Log: a.log}
	if w.redis != nil {
		shared := ws.NewRedis(w.redis, Name+":ws:", instance, a.log)
		deps.Bus, deps.State = shared, shared.State()
		w.checks = append(w.checks, health.Check{Name: "websocket", Ping: shared.Check, Optional: true})
	}
	hub, err := ws.New(ws.Config{
		AllowedOrigins:        cfg.WSAllowedOrigins,
		AllowQueryToken:       cfg.WSAllowQueryToken,
		PingInterval:          cfg.WSPingInterval,
		PingTimeout:           cfg.WSPingTimeout,
		MaxMessageBytes:       cfg.WSMaxMessageBytes,
		MaxConnectionsPerUser: cfg.WSMaxConnectionsPerUser,
		MessagesPerMinute:     cfg.WSMessagesPerMinute,
		InstanceID:            instance,
		Rooms:                 wsRooms,
	}, deps)
	if err != nil {
		return err
	}
	a.stopping = append(a.stopping, func(ctx context.Context) { _ = hub.Close(ctx) })
	a.closers = append(a.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		return hub.Close(ctx) // a no-op after the shutdown closed it
	})
	err = w.metrics.Register(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "websocket_connections", Help: "Open WebSockets on this instance."},
			func() float64 { return float64(hub.Status().Connections) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "websocket_users", Help: "Distinct users with an open WebSocket on this instance."},
			func() float64 { return float64(hub.Status().Users) }),
	)
	if err != nil {
		return err
	}
	w.mux.Handle("GET "+v1.Prefix+"/ws", hub)
	w.v1.WS, w.ws = hub, hub
	return nil
}

// wsRooms decides who may subscribe to and publish in each room
// ("room:<name>"). It is asked on every subscribe and publish. It allows
// nothing: write your rules here, for example
//
//	if room == "lobby" {
//		return ws.Access{Subscribe: true, Publish: true}
//	}
//	if team, ok := strings.CutPrefix(room, "team-"); ok && isMember(u, team) { ... }
func wsRooms(u users.User, room string) ws.Access {
	return ws.Access{}
}

// instanceID names this process in the WebSocket status and in Redis:
// the host name and a random suffix, so restarts and replicas differ.
func instanceID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "instance"
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}
