package ws_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/myapp/internal/users"
	"example.com/myapp/internal/ws"
)

// rawClient is a minimal WebSocket client on a bare TCP connection, so
// that the benchmarks measure the server, not a second full client stack.
type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(addr, token string) (*rawClient, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n", addr, token)
	r := bufio.NewReaderSize(conn, 256)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_ = conn.Close()
		return nil, fmt.Errorf("handshake: %s", resp.Status)
	}
	return &rawClient{conn: conn, r: r}, nil
}

// writeText sends a masked text frame (clients must mask, RFC 6455 §5.3).
func (c *rawClient) writeText(s string) error {
	if len(s) > 125 {
		return fmt.Errorf("frame too long for this client")
	}
	frame := []byte{0x81, 0x80 | byte(len(s)), 1, 2, 3, 4}
	for i := range len(s) {
		frame = append(frame, s[i]^frame[2+i%4])
	}
	_, err := c.conn.Write(frame)
	return err
}

// readData returns the payload of the next data frame, skipping control
// frames.
func (c *rawClient) readData() ([]byte, error) {
	for {
		var h [2]byte
		if _, err := io.ReadFull(c.r, h[:]); err != nil {
			return nil, err
		}
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			var ext [2]byte
			if _, err := io.ReadFull(c.r, ext[:]); err != nil {
				return nil, err
			}
			n = int(binary.BigEndian.Uint16(ext[:]))
		case 127:
			return nil, fmt.Errorf("frame too long")
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(c.r, payload); err != nil {
			return nil, err
		}
		if h[0]&0x0f == 0x1 {
			return payload, nil
		}
	}
}

// benchServer serves a hub that lets one user open n connections.
func benchServer(b *testing.B, n int) (*ws.Hub, string) {
	cfg := testConfig()
	cfg.MaxConnectionsPerUser = n
	hub, err := ws.New(cfg, ws.Deps{
		Users: &fakeUsers{m: map[int64]users.User{ada.ID: ada}},
		Auth:  fakeAuth{"t": ada},
		Log:   discardLog(),
	})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /ws", hub)
	srv := httptest.NewServer(mux)
	b.Cleanup(func() {
		_ = hub.Close(context.Background())
		srv.Close()
	})
	return hub, strings.TrimPrefix(srv.URL, "http://")
}

func connectSubscribed(b *testing.B, addr string, n int) []*rawClient {
	clients := make([]*rawClient, n)
	for i := range clients {
		c, err := dialRaw(addr, "t")
		if err != nil {
			b.Fatalf("client %d: %v", i, err)
		}
		if err := c.writeText(`{"type":"subscribe","channel":"broadcast","id":"s"}`); err != nil {
			b.Fatal(err)
		}
		if _, err := c.readData(); err != nil { // the ack
			b.Fatal(err)
		}
		clients[i] = c
		b.Cleanup(func() { _ = c.conn.Close() })
	}
	return clients
}

// BenchmarkBroadcast1000 measures one SendToAll to 1,000 local
// connections: the time until the last client has read the message.
func BenchmarkBroadcast1000(b *testing.B) {
	const n = 1000
	hub, addr := benchServer(b, n)
	clients := connectSubscribed(b, addr, n)
	var got sync.WaitGroup
	round := make([]chan struct{}, n)
	for i, c := range clients {
		round[i] = make(chan struct{})
		go func() {
			for range round[i] {
				if _, err := c.readData(); err != nil {
					panic(err)
				}
				got.Done()
			}
		}()
	}
	b.ResetTimer()
	for b.Loop() {
		got.Add(n)
		for i := range round {
			round[i] <- struct{}{}
		}
		if err := hub.SendToAll(context.Background(), "hello"); err != nil {
			b.Fatal(err)
		}
		got.Wait()
	}
	b.StopTimer()
	for i := range round {
		close(round[i])
	}
}

// BenchmarkIdleConnectionMemory reports the memory (heap and goroutine
// stacks) the server holds per idle, subscribed connection. The minimal
// clients share the process; their part (a socket and a 256-byte buffer)
// is included, so the figure is an upper bound.
func BenchmarkIdleConnectionMemory(b *testing.B) {
	const n = 1000
	_, addr := benchServer(b, n)
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		clients := connectSubscribed(b, addr, n)
		time.Sleep(100 * time.Millisecond) // let every connection settle
		runtime.GC()
		runtime.ReadMemStats(&after)
		used := int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)
		b.ReportMetric(float64(used)/n, "bytes/conn")
		for _, c := range clients {
			_ = c.conn.Close()
		}
	}
}
