package ai_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/ai/aitest"
	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/resilience"
)

var routes = map[ai.Complexity]ai.Route{
	ai.Simple:   {Provider: ai.OpenAI, Model: "gpt-4o-mini", CostPer1KInput: 0.00015, CostPer1KOutput: 0.0006},
	ai.Moderate: {Provider: ai.OpenAI, Model: "gpt-4o", CostPer1KInput: 0.0025, CostPer1KOutput: 0.01},
	ai.Complex:  {Provider: ai.Anthropic, Model: "claude-sonnet-4-5", CostPer1KInput: 0.003, CostPer1KOutput: 0.015},
}

func testConfig() ai.Config {
	return ai.Config{
		DefaultProvider: ai.OpenAI, FallbackOrder: []string{ai.OpenAI, ai.Anthropic, ai.Gemini}, Routes: routes,
		Timeout: 5 * time.Second, StreamTimeout: 5 * time.Second, IdleTimeout: 2 * time.Second,
		MaxPromptBytes: 1000, MaxTokens: 100, MaxConcurrent: 64, MaxConcurrentPerUser: 64,
		Backoff: time.Millisecond,
	}
}

func fakes() (*aitest.Fake, *aitest.Fake, *aitest.Fake) {
	u := ai.Usage{InputTokens: 10, OutputTokens: 4}
	return &aitest.Fake{ProviderName: ai.OpenAI, Model: "gpt-4o-mini", Deltas: []string{"from ", "openai"}, Usage: u},
		&aitest.Fake{ProviderName: ai.Anthropic, Model: "claude-sonnet-4-5", Deltas: []string{"from ", "anthropic"}, Usage: u},
		&aitest.Fake{ProviderName: ai.Gemini, Model: "gemini-2.5-flash", Deltas: []string{"from ", "gemini"}, Usage: u}
}

func newGateway(cfg ai.Config, usage ai.UsageStore, ps ...ai.Provider) *ai.Gateway {
	g := ai.New(cfg, usage, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, p := range ps {
		g.Register(p)
	}
	return g
}

func hi() []ai.Message { return []ai.Message{{Role: ai.RoleUser, Content: "hi"}} }

func TestRouting(t *testing.T) {
	o, a, gm := fakes()
	g := newGateway(testConfig(), aitest.NewMemoryUsage(), o, a, gm)
	for _, tt := range []struct {
		call            ai.Call
		provider, model string
	}{
		{ai.Call{Messages: hi()}, ai.OpenAI, "gpt-4o-mini"},
		{ai.Call{Messages: hi(), Complexity: ai.Simple}, ai.OpenAI, "gpt-4o-mini"},
		{ai.Call{Messages: hi(), Complexity: ai.Moderate}, ai.OpenAI, "gpt-4o"},
		{ai.Call{Messages: hi(), Complexity: ai.Complex}, ai.Anthropic, "claude-sonnet-4-5"},
		{ai.Call{Messages: hi(), Provider: ai.Gemini}, ai.Gemini, "gemini-2.5-flash"},
		{ai.Call{Messages: hi(), Provider: ai.Anthropic, Model: "gpt-4o"}, ai.Anthropic, "gpt-4o"},
	} {
		resp, err := g.Complete(context.Background(), tt.call)
		if err != nil || resp.Provider != tt.provider || resp.Model != tt.model || resp.Content != "from "+tt.provider {
			t.Errorf("%+v: %+v, %v; want %s %s", tt.call, resp, err, tt.provider, tt.model)
		}
	}
}

func TestFallback(t *testing.T) {
	t.Run("not configured", func(t *testing.T) {
		o, a, gm := fakes()
		o.NotConfigured = true
		g := newGateway(testConfig(), aitest.NewMemoryUsage(), o, a, gm)
		resp, err := g.Complete(context.Background(), ai.Call{Messages: hi(), Complexity: ai.Moderate})
		if err != nil || resp.Provider != ai.Anthropic || resp.Model != "claude-sonnet-4-5" {
			t.Fatalf("= %+v, %v; want anthropic with its default model", resp, err)
		}
		if _, err := g.Complete(context.Background(), ai.Call{Messages: hi(), Provider: ai.OpenAI}); !isUnavailable(err) {
			t.Fatalf("explicit unconfigured provider: err = %v, want unavailable", err)
		}
	})
	t.Run("first provider fails, retried, then the next answers", func(t *testing.T) {
		o, a, gm := fakes()
		o.Before = func(context.Context, ai.Request) error { return ai.StatusError(ai.OpenAI, 503, nil) }
		usage := aitest.NewMemoryUsage()
		g := newGateway(testConfig(), usage, o, a, gm)
		resp, err := g.Complete(context.Background(), ai.Call{Messages: hi(), UserID: 7})
		if err != nil || resp.Provider != ai.Anthropic {
			t.Fatalf("= %+v, %v", resp, err)
		}
		if o.Calls() != 3 {
			t.Fatalf("openai called %d times, want 3 (retries of a 503)", o.Calls())
		}
		recs := usage.Snapshot()
		if len(recs) != 2 || recs[0].Status != "error" || recs[1].Status != "ok" || recs[1].UserID != 7 {
			t.Fatalf("usage records = %+v", recs)
		}
	})
	t.Run("no retry on 400, but fallback", func(t *testing.T) {
		o, a, _ := fakes()
		o.Before = func(context.Context, ai.Request) error { return ai.StatusError(ai.OpenAI, 400, nil) }
		g := newGateway(testConfig(), aitest.NewMemoryUsage(), o, a)
		if _, err := g.Complete(context.Background(), ai.Call{Messages: hi()}); err != nil {
			t.Fatal(err)
		}
		if o.Calls() != 1 {
			t.Fatalf("openai called %d times after a 400, want 1", o.Calls())
		}
	})
	t.Run("explicit provider is never rerouted", func(t *testing.T) {
		o, a, _ := fakes()
		o.Before = func(context.Context, ai.Request) error { return ai.StatusError(ai.OpenAI, 500, nil) }
		g := newGateway(testConfig(), aitest.NewMemoryUsage(), o, a)
		_, err := g.Complete(context.Background(), ai.Call{Messages: hi(), Provider: ai.OpenAI})
		var up *ai.UpstreamError
		if !errors.As(err, &up) || up.Status != 500 || a.Calls() != 0 {
			t.Fatalf("err = %v, anthropic calls %d; want openai's 500 and no fallback", err, a.Calls())
		}
	})
	t.Run("open circuit", func(t *testing.T) {
		o, a, _ := fakes()
		o.Before = func(context.Context, ai.Request) error { return ai.StatusError(ai.OpenAI, 500, nil) }
		cfg := testConfig()
		cfg.Attempts = 1
		g := newGateway(cfg, aitest.NewMemoryUsage(), o, a)
		for range 5 { // five consecutive failures open the circuit
			if resp, err := g.Complete(context.Background(), ai.Call{Messages: hi()}); err != nil || resp.Provider != ai.Anthropic {
				t.Fatalf("= %+v, %v", resp, err)
			}
		}
		if s := g.Status().Providers[0]; s.Name != ai.OpenAI || s.Circuit != resilience.StateOpen.String() {
			t.Fatalf("status = %+v, want openai's circuit open", s)
		}
		before := o.Calls()
		resp, err := g.Complete(context.Background(), ai.Call{Messages: hi()})
		if err != nil || resp.Provider != ai.Anthropic || o.Calls() != before {
			t.Fatalf("= %+v, %v, openai calls %d→%d; want anthropic without calling openai", resp, err, before, o.Calls())
		}
		_, err = g.Complete(context.Background(), ai.Call{Messages: hi(), Provider: ai.OpenAI})
		var un *ai.UnavailableError
		if !errors.As(err, &un) || un.RetryAfter <= 0 {
			t.Fatalf("explicit call to an open circuit: err = %v", err)
		}
	})
	t.Run("nothing configured", func(t *testing.T) {
		g := newGateway(testConfig(), aitest.NewMemoryUsage())
		if _, err := g.Complete(context.Background(), ai.Call{Messages: hi()}); !isUnavailable(err) {
			t.Fatalf("err = %v", err)
		}
		if g.Status().Available {
			t.Fatal("available with no provider")
		}
	})
}

func isUnavailable(err error) bool {
	var un *ai.UnavailableError
	return errors.As(err, &un)
}

func TestRetryAfterIsHonoured(t *testing.T) {
	o, _, _ := fakes()
	var first time.Time
	var gap time.Duration
	o.Before = func(context.Context, ai.Request) error {
		if first.IsZero() {
			first = time.Now()
			return ai.StatusError(ai.OpenAI, 429, http.Header{"Retry-After": {"1"}})
		}
		gap = time.Since(first)
		return nil
	}
	g := newGateway(testConfig(), aitest.NewMemoryUsage(), o)
	if _, err := g.Complete(context.Background(), ai.Call{Messages: hi()}); err != nil {
		t.Fatal(err)
	}
	if gap < time.Second {
		t.Fatalf("retried after %v, want the 1 s of Retry-After", gap)
	}
}

func TestValidate(t *testing.T) {
	o, _, _ := fakes()
	g := newGateway(testConfig(), aitest.NewMemoryUsage(), o)
	for name, tt := range map[string]struct {
		call  ai.Call
		field string
	}{
		"no messages":            {ai.Call{}, "messages"},
		"unknown role":           {ai.Call{Messages: []ai.Message{{Role: "wizard", Content: "x"}, {Role: ai.RoleUser, Content: "x"}}}, "messages[0].role"},
		"only system":            {ai.Call{Messages: []ai.Message{{Role: ai.RoleSystem, Content: "x"}}}, "messages"},
		"unknown provider":       {ai.Call{Messages: hi(), Provider: "mistral"}, "provider"},
		"provider not installed": {ai.Call{Messages: hi(), Provider: ai.Gemini}, "provider"},
		"unknown complexity":     {ai.Call{Messages: hi(), Complexity: "hard"}, "complexity"},
		"model not allowed":      {ai.Call{Messages: hi(), Model: "o1-pro"}, "model"},
		"max_tokens too large":   {ai.Call{Messages: hi(), MaxTokens: 1_000_000}, "max_tokens"},
		"max_tokens negative":    {ai.Call{Messages: hi(), MaxTokens: -1}, "max_tokens"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := g.Complete(context.Background(), tt.call)
			fe, ok := errors.AsType[apperr.FieldErrors](err)
			if !ok || fe[0].Field != tt.field {
				t.Fatalf("err = %v, want a field error on %s", err, tt.field)
			}
			if o.Calls() != 0 {
				t.Fatal("the provider was called")
			}
		})
	}
	big := []ai.Message{{Role: ai.RoleUser, Content: strings.Repeat("x", 1001)}}
	if _, err := g.Complete(context.Background(), ai.Call{Messages: big}); !errors.Is(err, ai.ErrPromptTooLarge) {
		t.Fatalf("1001-byte prompt: err = %v", err)
	}
	c := ai.Call{Messages: hi()}
	if err := g.Validate(&c); err != nil || c.MaxTokens != 100 {
		t.Fatalf("Validate = %v, MaxTokens %d; want the cap as default", err, c.MaxTokens)
	}
}

func TestBudget(t *testing.T) {
	o, _, _ := fakes()
	cfg := testConfig()
	cfg.DailyTokenBudget = 30
	usage := aitest.NewMemoryUsage()
	g := newGateway(cfg, usage, o)
	ok := 0
	for range 5 { // 14 tokens a call: the first three start at 0, 14 and 28 (< 30); then 42
		_, err := g.Complete(context.Background(), ai.Call{Messages: hi(), UserID: 1, MaxTokens: 4})
		var be *ai.BudgetError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &be):
			if be.RetryAfter <= 0 || be.RetryAfter > 24*time.Hour {
				t.Fatalf("RetryAfter = %v", be.RetryAfter)
			}
		default:
			t.Fatal(err)
		}
	}
	if ok != 3 || o.Calls() != 3 {
		t.Fatalf("%d calls succeeded, %d reached the provider; want 3 and 3", ok, o.Calls())
	}
	if _, err := g.Complete(context.Background(), ai.Call{Messages: hi(), UserID: 2, MaxTokens: 4}); err != nil {
		t.Fatalf("another user: %v", err)
	}
}

// Concurrent calls of one user cannot overspend the budget by more than
// one call: 20 at once, at a budget of 5 calls' worth, at most 6 succeed.
func TestBudgetConcurrent(t *testing.T) {
	o, _, _ := fakes()
	o.Before = func(context.Context, ai.Request) error { time.Sleep(50 * time.Millisecond); return nil }
	cfg := testConfig()
	cfg.DailyTokenBudget = 5 * 14 // a call: 10 input + 4 output tokens, estimated 2 + 8 + 4
	usage := aitest.NewMemoryUsage()
	g := newGateway(cfg, usage, o)
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := g.Complete(context.Background(), ai.Call{Messages: hi(), UserID: 1, MaxTokens: 4}); err == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	spent, _ := usage.TokensOn(context.Background(), 1, ai.Day(time.Now()))
	if n := ok.Load(); n < 1 || n > 6 || spent > cfg.DailyTokenBudget+14 {
		t.Fatalf("%d calls succeeded spending %d tokens; want 1..6 and at most %d", n, spent, cfg.DailyTokenBudget+14)
	}
}

func TestConcurrencyLimits(t *testing.T) {
	o, _, _ := fakes()
	release := make(chan struct{})
	o.Before = func(context.Context, ai.Request) error { <-release; return nil }
	cfg := testConfig()
	cfg.MaxConcurrentPerUser, cfg.MaxConcurrent = 2, 3
	g := newGateway(cfg, aitest.NewMemoryUsage(), o)
	var wg sync.WaitGroup
	start := func(user int64, calls int64) {
		wg.Go(func() { _, _ = g.Complete(context.Background(), ai.Call{Messages: hi(), UserID: user}) })
		for o.Calls() < calls {
			time.Sleep(time.Millisecond)
		}
	}
	start(1, 1)
	start(1, 2)
	var busy *ai.BusyError
	if _, err := g.Complete(context.Background(), ai.Call{Messages: hi(), UserID: 1}); !errors.As(err, &busy) || !busy.PerUser {
		t.Errorf("third call of user 1: err = %v, want busy per user", err)
	}
	start(2, 3)
	if _, err := g.Complete(context.Background(), ai.Call{Messages: hi(), UserID: 3}); !errors.As(err, &busy) || busy.PerUser {
		t.Errorf("fourth call on the instance: err = %v, want busy", err)
	}
	close(release)
	wg.Wait()
	if _, err := g.Complete(context.Background(), ai.Call{Messages: hi(), UserID: 1}); err != nil {
		t.Fatalf("after the others finished: %v", err)
	}
}

func TestStream(t *testing.T) {
	collect := func(g *ai.Gateway, ctx context.Context, c ai.Call) ([]string, ai.Response, error) {
		var got []string
		resp, err := g.Stream(ctx, c, func(s string) error { got = append(got, s); return nil })
		return got, resp, err
	}
	t.Run("deltas and usage", func(t *testing.T) {
		o, _, _ := fakes()
		g := newGateway(testConfig(), aitest.NewMemoryUsage(), o)
		got, resp, err := collect(g, context.Background(), ai.Call{Messages: hi()})
		if err != nil || strings.Join(got, "|") != "from |openai" || resp.Usage.Total() != 14 {
			t.Fatalf("= %q %+v %v", got, resp, err)
		}
	})
	t.Run("falls back before the first delta", func(t *testing.T) {
		o, a, _ := fakes()
		o.Before = func(context.Context, ai.Request) error { return ai.StatusError(ai.OpenAI, 500, nil) }
		g := newGateway(testConfig(), aitest.NewMemoryUsage(), o, a)
		got, resp, err := collect(g, context.Background(), ai.Call{Messages: hi()})
		if err != nil || resp.Provider != ai.Anthropic || strings.Join(got, "") != "from anthropic" {
			t.Fatalf("= %q %+v %v", got, resp, err)
		}
	})
	t.Run("no retry or fallback after the first delta", func(t *testing.T) {
		o, a, _ := fakes()
		o.After = func(context.Context, int) error { return ai.StatusError(ai.OpenAI, 503, nil) }
		g := newGateway(testConfig(), aitest.NewMemoryUsage(), o, a)
		got, _, err := collect(g, context.Background(), ai.Call{Messages: hi()})
		if err == nil || len(got) != 1 || o.Calls() != 1 || a.Calls() != 0 {
			t.Fatalf("= %q %v; openai %d, anthropic %d calls", got, err, o.Calls(), a.Calls())
		}
	})
	t.Run("a stalled stream ends within the idle deadline", func(t *testing.T) {
		o, _, _ := fakes()
		o.After = aitest.Stall
		cfg := testConfig()
		cfg.IdleTimeout = 100 * time.Millisecond
		g := newGateway(cfg, aitest.NewMemoryUsage(), o)
		start := time.Now()
		_, _, err := collect(g, context.Background(), ai.Call{Messages: hi()})
		var up *ai.UpstreamError
		if !errors.As(err, &up) || up.Kind != "stalled" || time.Since(start) > time.Second {
			t.Fatalf("err = %v after %v, want stalled within the idle deadline", err, time.Since(start))
		}
	})
	t.Run("the client leaving cancels the call and is recorded", func(t *testing.T) {
		o, _, _ := fakes()
		o.After = aitest.Stall
		usage := aitest.NewMemoryUsage()
		g := newGateway(testConfig(), usage, o)
		ctx, cancel := context.WithCancel(context.Background())
		_, err := g.Stream(ctx, ai.Call{Messages: hi()}, func(string) error { cancel(); return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if recs := usage.Snapshot(); len(recs) != 1 || recs[0].Status != "cancelled" {
			t.Fatalf("records = %+v", recs)
		}
		if g.Status().Providers[0].Circuit != "closed" {
			t.Fatal("a client leaving counted against the provider's circuit")
		}
	})
}

func TestUsageCost(t *testing.T) {
	o, _, _ := fakes()
	usage := aitest.NewMemoryUsage()
	g := newGateway(testConfig(), usage, o)
	if _, err := g.Complete(context.Background(), ai.Call{Messages: hi(), Complexity: ai.Moderate, UserID: 3}); err != nil {
		t.Fatal(err)
	}
	r := usage.Snapshot()[0]
	want := 10.0/1000*0.0025 + 4.0/1000*0.01
	if r.Provider != ai.OpenAI || r.Model != "gpt-4o" || r.Usage.Total() != 14 || r.CostUSD < want*0.999 || r.CostUSD > want*1.001 {
		t.Fatalf("record = %+v, want cost %g", r, want)
	}
}

func TestParseRoute(t *testing.T) {
	r, err := ai.ParseRoute("openai:llama3:8b:0:0.5")
	if err != nil || r.Provider != ai.OpenAI || r.Model != "llama3:8b" || r.CostPer1KOutput != 0.5 || r.String() != "openai:llama3:8b:0:0.5" {
		t.Fatalf("ParseRoute = %+v, %v", r, err)
	}
	for _, bad := range []string{"", "openai", "openai:gpt-4o:1", "mistral:m:0:0", "openai::0:0", "openai:m:-1:0", "openai:m:x:0", "openai:m:0:1e9"} {
		if _, err := ai.ParseRoute(bad); err == nil {
			t.Errorf("ParseRoute(%q) accepted", bad)
		}
	}
}

func TestStatusErrorClassification(t *testing.T) {
	for code, want := range map[int]bool{429: true, 500: true, 502: true, 503: true, 529: true, 400: false, 401: false, 403: false, 404: false, 422: false} {
		if got := ai.StatusError(ai.OpenAI, code, nil).Retryable(); got != want {
			t.Errorf("%d retryable = %v, want %v", code, got, want)
		}
	}
	e := ai.StatusError(ai.OpenAI, 429, http.Header{"Retry-After": {"3600"}})
	if e.Retryable() || e.RetryAfter != time.Hour {
		t.Errorf("429 with an hour's Retry-After: retryable %v, %v; not worth waiting inside a call", e.Retryable(), e.RetryAfter)
	}
}
