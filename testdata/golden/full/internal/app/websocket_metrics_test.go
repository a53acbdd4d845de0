package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// websocket_connections and websocket_users follow the open WebSockets.
func TestWebSocketMetrics(t *testing.T) {
	addr, _ := runService(t, map[string]string{"METRICS_TOKEN": metricsToken})
	gauge := func(name string) float64 {
		t.Helper()
		code, fams := scrapeMetrics(t, "http://"+addr+"/metrics", metricsToken)
		if code != http.StatusOK || fams[name] == nil || len(fams[name].GetMetric()) != 1 {
			t.Fatalf("GET /metrics = %d, %s = %v", code, name, fams[name])
		}
		return fams[name].GetMetric()[0].GetGauge().GetValue()
	}
	if n := gauge("websocket_connections"); n != 0 {
		t.Fatalf("websocket_connections = %v before any connection", n)
	}
	api := "http://" + addr + "/api/v1"
	creds := `{"email":"ada@example.com","password":"correct horse battery"}`
	if code, body := apiCall(t, "POST", api+"/auth/register", "", creds); code != http.StatusAccepted {
		t.Fatalf("register = %d %v", code, body)
	}
	_, body := apiCall(t, "POST", api+"/auth/login", "", creds)
	token, _ := body["access_token"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var conns []*websocket.Conn
	for range 2 {
		_, body := apiCall(t, "POST", api+"/ws/ticket", token, "")
		ticket, _ := body["ticket"].(string)
		conn, resp, err := websocket.Dial(ctx, "ws://"+addr+"/api/v1/ws?ticket="+ticket, nil)
		if err != nil {
			t.Fatalf("dial: %v (%v)", err, resp)
		}
		defer conn.CloseNow()
		// A subscribe answered means the hub has the connection.
		if err := conn.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","channel":"broadcast","id":"1"}`)); err != nil {
			t.Fatal(err)
		}
		if _, msg, err := conn.Read(ctx); err != nil || !strings.Contains(string(msg), `"type":"ack"`) {
			t.Fatalf("subscribe answered %s, %v", msg, err)
		}
		conns = append(conns, conn)
	}
	if n, u := gauge("websocket_connections"), gauge("websocket_users"); n != 2 || u != 1 {
		t.Fatalf("websocket_connections = %v, websocket_users = %v; want 2 and 1", n, u)
	}
	for _, c := range conns {
		_ = c.Close(websocket.StatusNormalClosure, "")
	}
	deadline := time.Now().Add(5 * time.Second)
	for gauge("websocket_connections") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("websocket_connections is not 0 after every connection closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
