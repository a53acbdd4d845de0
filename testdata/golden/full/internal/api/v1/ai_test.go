package v1_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/ai/aitest"
	"example.com/myapp/internal/api"
	v1 "example.com/myapp/internal/api/v1"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/items"
	"example.com/myapp/internal/users"
)

type aiAPI struct {
	*usersAPI
	usage *ai.SQLStore
}

func aiConfig() ai.Config {
	return ai.Config{
		DefaultProvider: ai.OpenAI, FallbackOrder: []string{ai.OpenAI, ai.Anthropic, ai.Gemini},
		Routes: map[ai.Complexity]ai.Route{
			ai.Simple:   {Provider: ai.OpenAI, Model: "gpt-4o-mini", CostPer1KInput: 0.00015, CostPer1KOutput: 0.0006},
			ai.Moderate: {Provider: ai.OpenAI, Model: "gpt-4o", CostPer1KInput: 0.0025, CostPer1KOutput: 0.01},
			ai.Complex:  {Provider: ai.Anthropic, Model: "claude-sonnet-4-5", CostPer1KInput: 0.003, CostPer1KOutput: 0.015},
		},
		Timeout: 5 * time.Second, StreamTimeout: 5 * time.Second, IdleTimeout: 2 * time.Second,
		MaxPromptBytes: 100, MaxTokens: 50, MaxConcurrent: 8, MaxConcurrentPerUser: 8, Backoff: time.Millisecond,
	}
}

func aiFakes() (*aitest.Fake, *aitest.Fake) {
	u := ai.Usage{InputTokens: 10, OutputTokens: 3}
	return &aitest.Fake{ProviderName: ai.OpenAI, Model: "gpt-4o-mini", Deltas: []string{"Hel", "lo"}, Usage: u},
		&aitest.Fake{ProviderName: ai.Anthropic, Model: "claude-sonnet-4-5", Deltas: []string{"Bon", "jour"}, Usage: u}
}

func newAIAPI(t *testing.T, cfg ai.Config, ps ...ai.Provider) *aiAPI {
	t.Helper()
	db := dbtest.Open(t)
	store := users.NewSQLStore(db)
	usage := ai.NewSQLStore(db)
	gw := ai.New(cfg, usage, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, p := range ps {
		gw.Register(p)
	}
	mux := http.NewServeMux()
	a := api.New(mux, "test", "1.0.0")
	v1.Register(a, v1.Deps{Items: items.NewSQLStore(db), Users: store, Authenticator: tokenAuth{store}, AI: gw})
	return &aiAPI{usersAPI: &usersAPI{t: t, h: mux, store: store}, usage: usage}
}

func problem(t *testing.T, w *httptest.ResponseRecorder, status int) map[string]any {
	t.Helper()
	if w.Code != status || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("= %d %s %s, want %d problem+json", w.Code, w.Header().Get("Content-Type"), w.Body, status)
	}
	var p map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAIRequiresSignIn(t *testing.T) {
	o, _ := aiFakes()
	a := newAIAPI(t, aiConfig(), o)
	for _, r := range [][2]string{{"GET", "/api/v1/ai/status"}, {"POST", "/api/v1/ai/completions"}, {"POST", "/api/v1/ai/chat"}, {"POST", "/api/v1/ai/chat/routed"}, {"GET", "/api/v1/ai/usage"}} {
		body := ""
		if r[0] == "POST" {
			body = `{"prompt":"hi"}`
		}
		if w := a.do(0, r[0], r[1], body); w.Code != http.StatusUnauthorized {
			t.Errorf("%s %s anonymous = %d, want 401", r[0], r[1], w.Code)
		}
	}
	if o.Calls() != 0 {
		t.Fatal("an anonymous call reached the provider")
	}
}

func TestAIStatus(t *testing.T) {
	o, an := aiFakes()
	an.NotConfigured = true
	a := newAIAPI(t, aiConfig(), o, an)
	u := a.user("ada@example.com", users.RoleUser)
	w := a.do(u.ID, "GET", "/api/v1/ai/status", "")
	var s struct {
		Available       bool   `json:"available"`
		DefaultProvider string `json:"default_provider"`
		DefaultModel    string `json:"default_model"`
		Providers       []struct {
			Name       string `json:"name"`
			Configured bool   `json:"configured"`
		} `json:"providers"`
		Routes map[string]struct {
			Provider       string  `json:"provider"`
			Model          string  `json:"model"`
			CostPer1KInput float64 `json:"cost_per_1k_input"`
		} `json:"routes"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &s); w.Code != 200 || err != nil {
		t.Fatalf("status = %d %s", w.Code, w.Body)
	}
	if !s.Available || s.DefaultProvider != "openai" || s.DefaultModel != "gpt-4o-mini" || len(s.Providers) != 2 ||
		!s.Providers[0].Configured || s.Providers[1].Configured || s.Routes["complex"].Model != "claude-sonnet-4-5" || s.Routes["moderate"].CostPer1KInput != 0.0025 {
		t.Fatalf("status = %s", w.Body)
	}
}

// No key at all: status says so, and calls are 503 problems, at once.
func TestAIUnavailable(t *testing.T) {
	o, _ := aiFakes()
	o.NotConfigured = true
	a := newAIAPI(t, aiConfig(), o)
	u := a.user("ada@example.com", users.RoleUser)
	if w := a.do(u.ID, "GET", "/api/v1/ai/status", ""); !strings.Contains(w.Body.String(), `"available":false`) {
		t.Fatalf("status = %s", w.Body)
	}
	for _, stream := range []string{"false", "true"} {
		w := a.do(u.ID, "POST", "/api/v1/ai/completions", `{"messages":[{"role":"user","content":"hi"}],"stream":`+stream+`}`)
		problem(t, w, http.StatusServiceUnavailable)
	}
	problem(t, a.do(u.ID, "POST", "/api/v1/ai/chat", `{"prompt":"hi"}`), http.StatusServiceUnavailable)
}

func TestAICompletion(t *testing.T) {
	o, an := aiFakes()
	a := newAIAPI(t, aiConfig(), o, an)
	u := a.user("ada@example.com", users.RoleUser)
	w := a.do(u.ID, "POST", "/api/v1/ai/completions", `{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],"max_tokens":20,"temperature":0.2}`)
	var got v1.CompletionResponse
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != 200 || err != nil || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("= %d %s", w.Code, w.Body)
	}
	if got.Content != "Hello" || got.Provider != "openai" || got.Model != "gpt-4o-mini" || got.Usage.InputTokens != 10 || got.Usage.OutputTokens != 3 || got.FinishReason != "stop" {
		t.Fatalf("= %+v", got)
	}
	if r := o.Last(); r.MaxTokens != 20 || *r.Temperature != 0.2 || r.Messages[0].Role != ai.RoleSystem {
		t.Fatalf("provider got %+v", r)
	}
	w = a.do(u.ID, "POST", "/api/v1/ai/chat", `{"prompt":"hi","system":"Be brief."}`)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"text":"Hello"`) {
		t.Fatalf("chat = %d %s", w.Code, w.Body)
	}
	w = a.do(u.ID, "POST", "/api/v1/ai/chat/routed", `{"prompt":"prove it","complexity":"complex"}`)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"provider":"anthropic"`) || !strings.Contains(w.Body.String(), `"model":"claude-sonnet-4-5"`) {
		t.Fatalf("routed = %d %s", w.Code, w.Body)
	}
}

func TestAIBadInput(t *testing.T) {
	o, _ := aiFakes()
	a := newAIAPI(t, aiConfig(), o)
	u := a.user("ada@example.com", users.RoleUser)
	msg := `[{"role":"user","content":"hi"}]`
	for name, tt := range map[string]struct {
		path, body string
		status     int
		location   string
	}{
		"empty messages":         {"/api/v1/ai/completions", `{"messages":[]}`, 422, "body.messages"},
		"no messages":            {"/api/v1/ai/completions", `{}`, 422, "body"}, // "expected required property messages"
		"unknown role":           {"/api/v1/ai/completions", `{"messages":[{"role":"wizard","content":"hi"}]}`, 422, "body.messages[0].role"},
		"only a system prompt":   {"/api/v1/ai/completions", `{"messages":[{"role":"system","content":"hi"}]}`, 422, "body.messages"},
		"unknown provider":       {"/api/v1/ai/completions", `{"messages":` + msg + `,"provider":"mistral"}`, 422, "body.provider"},
		"provider not installed": {"/api/v1/ai/completions", `{"messages":` + msg + `,"provider":"gemini"}`, 422, "body.provider"},
		"model not allowed":      {"/api/v1/ai/completions", `{"messages":` + msg + `,"model":"o1-pro"}`, 422, "body.model"},
		"max_tokens 0":           {"/api/v1/ai/completions", `{"messages":` + msg + `,"max_tokens":0}`, 422, "body.max_tokens"},
		"max_tokens absurd":      {"/api/v1/ai/completions", `{"messages":` + msg + `,"max_tokens":1000000}`, 422, "body.max_tokens"},
		"temperature":            {"/api/v1/ai/completions", `{"messages":` + msg + `,"temperature":9}`, 422, "body.temperature"},
		"prompt too large":       {"/api/v1/ai/completions", `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 101) + `"}]}`, 413, ""},
		"chat prompt too large":  {"/api/v1/ai/chat", `{"prompt":"` + strings.Repeat("x", 101) + `"}`, 413, ""},
		"empty prompt":           {"/api/v1/ai/chat", `{"prompt":""}`, 422, "body.prompt"},
		"unknown complexity":     {"/api/v1/ai/chat/routed", `{"prompt":"hi","complexity":"hard"}`, 422, "body.complexity"},
		"broken JSON":            {"/api/v1/ai/completions", `{"messages":`, 400, ""},
	} {
		t.Run(name, func(t *testing.T) {
			p := problem(t, a.do(u.ID, "POST", tt.path, tt.body), tt.status)
			if tt.location != "" && !strings.Contains(mustJSON(p["errors"]), `"location":"`+tt.location+`"`) {
				t.Fatalf("problem = %v, want an error at %s", p, tt.location)
			}
		})
	}
	if o.Calls() != 0 {
		t.Fatalf("bad input reached the provider %d times", o.Calls())
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestAIBudgetExhausted(t *testing.T) {
	o, _ := aiFakes()
	cfg := aiConfig()
	cfg.DailyTokenBudget = 1000
	a := newAIAPI(t, cfg, o)
	u := a.user("ada@example.com", users.RoleUser)
	if err := a.usage.Record(context.Background(), ai.UsageRecord{UserID: u.ID, Provider: "openai", Model: "gpt-4o", Usage: ai.Usage{InputTokens: 600, OutputTokens: 400}, Status: "ok", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for path, body := range map[string]string{
		"/api/v1/ai/chat":        `{"prompt":"hi"}`,
		"/api/v1/ai/completions": `{"messages":[{"role":"user","content":"hi"}],"stream":true}`,
	} {
		w := a.do(u.ID, "POST", path, body)
		p := problem(t, w, http.StatusTooManyRequests)
		ra, err := strconv.Atoi(w.Header().Get("Retry-After"))
		if err != nil || ra < 1 || ra > 86400 || !strings.Contains(p["type"].(string), "quota-exceeded") {
			t.Fatalf("Retry-After %q, problem %v", w.Header().Get("Retry-After"), p)
		}
	}
	if o.Calls() != 0 {
		t.Fatal("a call over budget reached the provider")
	}
	other := a.user("bob@example.com", users.RoleUser)
	if w := a.do(other.ID, "POST", "/api/v1/ai/chat", `{"prompt":"hi"}`); w.Code != 200 {
		t.Fatalf("another user = %d %s", w.Code, w.Body)
	}
}

func TestAIUpstreamErrorsAreOurs(t *testing.T) {
	o, _ := aiFakes()
	o.Before = func(context.Context, ai.Request) error { return ai.StatusError(ai.OpenAI, 401, nil) }
	a := newAIAPI(t, aiConfig(), o)
	u := a.user("ada@example.com", users.RoleUser)
	p := problem(t, a.do(u.ID, "POST", "/api/v1/ai/completions", `{"messages":[{"role":"user","content":"hi"}],"provider":"openai"}`), http.StatusBadGateway)
	if !strings.Contains(p["detail"].(string), "openai answered 401") {
		t.Fatalf("problem = %v", p)
	}
}

func TestAIUsage(t *testing.T) {
	o, _ := aiFakes()
	a := newAIAPI(t, aiConfig(), o)
	ada := a.user("ada@example.com", users.RoleUser)
	bob := a.user("bob@example.com", users.RoleUser)
	admin := a.user("root@example.com", users.RoleAdmin)
	for _, id := range []int64{ada.ID, ada.ID, bob.ID} {
		if w := a.do(id, "POST", "/api/v1/ai/chat/routed", `{"prompt":"hi","complexity":"moderate"}`); w.Code != 200 {
			t.Fatalf("chat = %d %s", w.Code, w.Body)
		}
	}
	type usage struct {
		Usage []struct {
			UserID  int64   `json:"user_id"`
			Model   string  `json:"model"`
			Calls   int64   `json:"calls"`
			CostUSD float64 `json:"cost_usd"`
		} `json:"usage"`
		TotalTokens int64 `json:"total_tokens"`
	}
	get := func(as int64, query string, status int) usage {
		t.Helper()
		w := a.do(as, "GET", "/api/v1/ai/usage"+query, "")
		if w.Code != status {
			t.Fatalf("usage%s as %d = %d %s", query, as, w.Code, w.Body)
		}
		var u usage
		_ = json.Unmarshal(w.Body.Bytes(), &u)
		return u
	}
	mine := get(ada.ID, "", 200)
	if len(mine.Usage) != 1 || mine.Usage[0].UserID != ada.ID || mine.Usage[0].Calls != 2 || mine.Usage[0].Model != "gpt-4o" || mine.TotalTokens != 26 || mine.Usage[0].CostUSD <= 0 {
		t.Fatalf("ada's usage = %+v", mine)
	}
	get(ada.ID, "?user="+strconv.FormatInt(bob.ID, 10), 403)
	get(ada.ID, "?user=all", 403)
	get(ada.ID, "?user=ada", 422)
	if all := get(admin.ID, "?user=all", 200); len(all.Usage) != 2 || all.TotalTokens != 39 {
		t.Fatalf("everyone's usage = %+v", all)
	}
	if b := get(admin.ID, "?user="+strconv.FormatInt(bob.ID, 10), 200); len(b.Usage) != 1 || b.Usage[0].UserID != bob.ID {
		t.Fatalf("bob's usage = %+v", b)
	}
}

// aiServer serves the API over a real connection, so streams are read
// as a client reads them and a client can disconnect.
func aiServer(t *testing.T, a *aiAPI) *httptest.Server {
	srv := httptest.NewServer(a.h)
	t.Cleanup(srv.Close)
	return srv
}

func streamRequest(t *testing.T, srv *httptest.Server, as int64, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/ai/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer uid:"+strconv.FormatInt(as, 10))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func TestAIStream(t *testing.T) {
	o, an := aiFakes()
	a := newAIAPI(t, aiConfig(), o, an)
	u := a.user("ada@example.com", users.RoleUser)
	srv := aiServer(t, a)
	resp := streamRequest(t, srv, u.ID, `{"messages":[{"role":"user","content":"hi"}],"stream":true}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("= %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events, err := aitest.ParseSSE(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, e := range events[:len(events)-1] {
		var d v1.StreamDelta
		if e.Name != "delta" || json.Unmarshal([]byte(e.Data), &d) != nil {
			t.Fatalf("event %+v, want a delta", e)
		}
		text.WriteString(d.Text)
	}
	last := events[len(events)-1]
	var done v1.StreamDone
	if text.String() != "Hello" || last.Name != "done" || json.Unmarshal([]byte(last.Data), &done) != nil ||
		done.Provider != "openai" || done.Usage.OutputTokens != 3 || done.FinishReason != "stop" {
		t.Fatalf("stream = %+v", events)
	}
}

func TestAIStreamFailures(t *testing.T) {
	t.Run("mid-stream: an error event, then the end", func(t *testing.T) {
		o, _ := aiFakes()
		o.After = func(context.Context, int) error { return ai.StatusError(ai.OpenAI, 500, nil) }
		a := newAIAPI(t, aiConfig(), o)
		u := a.user("ada@example.com", users.RoleUser)
		resp := streamRequest(t, aiServer(t, a), u.ID, `{"messages":[{"role":"user","content":"hi"}],"stream":true}`)
		events, err := aitest.ParseSSE(resp.Body)
		if err != nil || len(events) != 2 || events[0].Name != "delta" || events[1].Name != "error" {
			t.Fatalf("events = %+v, %v", events, err)
		}
		var p struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		if json.Unmarshal([]byte(events[1].Data), &p) != nil || p.Status != 502 || !strings.Contains(p.Detail, "openai answered 500") {
			t.Fatalf("error event = %s", events[1].Data)
		}
	})
	t.Run("before the first delta: a problem response", func(t *testing.T) {
		o, _ := aiFakes()
		o.Before = func(context.Context, ai.Request) error { return ai.StatusError(ai.OpenAI, 400, nil) }
		a := newAIAPI(t, aiConfig(), o)
		u := a.user("ada@example.com", users.RoleUser)
		resp := streamRequest(t, aiServer(t, a), u.ID, `{"messages":[{"role":"user","content":"hi"}],"stream":true,"provider":"openai"}`)
		if resp.StatusCode != 502 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("= %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
	t.Run("the client disconnects: the provider's call is cancelled", func(t *testing.T) {
		o, _ := aiFakes()
		cancelled := make(chan struct{})
		o.After = func(ctx context.Context, _ int) error {
			<-ctx.Done()
			close(cancelled)
			return ctx.Err()
		}
		a := newAIAPI(t, aiConfig(), o)
		u := a.user("ada@example.com", users.RoleUser)
		resp := streamRequest(t, aiServer(t, a), u.ID, `{"messages":[{"role":"user","content":"hi"}],"stream":true}`)
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		if err != nil || line != "event: delta\n" {
			t.Fatalf("first line %q, %v", line, err)
		}
		_ = resp.Body.Close() // the client leaves
		select {
		case <-cancelled:
		case <-time.After(3 * time.Second):
			t.Fatal("the provider's call went on after the client left")
		}
		deadline := time.Now().Add(3 * time.Second)
		for {
			rows, err := a.usage.Summary(context.Background(), u.ID, ai.Day(time.Now()))
			if err == nil && len(rows) == 1 && rows[0].Calls == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("usage = %+v, %v; want the cancelled call recorded", rows, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
