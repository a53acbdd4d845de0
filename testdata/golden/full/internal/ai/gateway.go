package ai

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/resilience"
)

// Config is what the gateway needs from the service's configuration.
type Config struct {
	DefaultProvider string
	DefaultModel    string // "" means the default provider's own
	FallbackOrder   []string
	Routes          map[Complexity]Route
	AllowedModels   []string // empty: the models of the routes and defaults
	// Timeout bounds a completion, StreamTimeout a stream, retries and
	// fallbacks included; IdleTimeout bounds the wait for a stream's next
	// delta.
	Timeout, StreamTimeout, IdleTimeout time.Duration
	MaxPromptBytes                      int
	MaxTokens                           int   // the cap of max_tokens, and its value when a call sets none
	DailyTokenBudget                    int64 // per user and UTC day; 0 means unlimited
	MaxConcurrent                       int   // calls in progress on this instance
	MaxConcurrentPerUser                int   // calls in progress per user
	// Attempts per provider (default 3); Backoff is the first retry's wait.
	Attempts int
	Backoff  time.Duration
	// Breaker tunes the circuit breaker of each provider (defaults: open
	// after 5 consecutive failures, for 30 s).
	Breaker resilience.BreakerSettings
}

// Call is one request to the gateway.
type Call struct {
	UserID      int64
	Messages    []Message
	Provider    string     // "": routed; else that provider only, never rerouted
	Model       string     // "": the route's or provider's default
	Complexity  Complexity // "": the default provider
	MaxTokens   int        // 0: Config.MaxTokens
	Temperature *float64
}

// Gateway routes calls to providers. It is safe for concurrent use once
// every provider is registered.
type Gateway struct {
	cfg       Config
	providers map[string]Provider
	breakers  *resilience.Breakers
	usage     UsageStore
	log       *slog.Logger
	now       func() time.Time
	slots     chan struct{}

	stripes  [64]sync.Mutex // per user (by id): budget read, reserve and settle
	mu       sync.Mutex
	reserved map[int64]int64 // tokens of the calls in progress, per user
	inflight map[int64]int   // calls in progress, per user
}

// New returns a gateway with no providers; Register adds them. usage
// records every call and backs the daily budget.
func New(cfg Config, usage UsageStore, log *slog.Logger) *Gateway {
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 32
	}
	if cfg.MaxConcurrentPerUser <= 0 {
		cfg.MaxConcurrentPerUser = cfg.MaxConcurrent
	}
	if cfg.Breaker.OpenFor == 0 {
		cfg.Breaker.OpenFor = 30 * time.Second
	}
	breaker := cfg.Breaker
	breaker.OnStateChange = func(name string, from, to resilience.State) {
		log.Warn("ai provider circuit", "provider", name, "from", from.String(), "to", to.String())
	}
	return &Gateway{
		cfg:       cfg,
		providers: map[string]Provider{},
		breakers:  resilience.NewBreakers(breaker),
		usage:     usage,
		log:       log,
		now:       time.Now,
		slots:     make(chan struct{}, cfg.MaxConcurrent),
		reserved:  map[int64]int64{},
		inflight:  map[int64]int{},
	}
}

// Register adds p. Call it before the gateway serves calls.
func (g *Gateway) Register(p Provider) { g.providers[p.Name()] = p }

// Status is what GET /ai/status shows.
type Status struct {
	Available       bool
	DefaultProvider string
	DefaultModel    string
	Providers       []ProviderStatus
	Routes          map[Complexity]Route
}

// ProviderStatus is one installed provider.
type ProviderStatus struct {
	Name         string
	Configured   bool
	DefaultModel string
	Circuit      string // closed, open or half-open
}

// Status reports the providers and routes.
func (g *Gateway) Status() Status {
	s := Status{DefaultProvider: g.cfg.DefaultProvider, DefaultModel: g.defaultModel(g.cfg.DefaultProvider), Routes: g.cfg.Routes}
	for _, name := range ProviderNames {
		p, ok := g.providers[name]
		if !ok {
			continue
		}
		s.Available = s.Available || p.Configured()
		s.Providers = append(s.Providers, ProviderStatus{Name: name, Configured: p.Configured(), DefaultModel: p.DefaultModel(), Circuit: g.breakers.State(name).String()})
	}
	return s
}

// defaultModel is the model of a call to provider that names none.
func (g *Gateway) defaultModel(provider string) string {
	if provider == g.cfg.DefaultProvider && g.cfg.DefaultModel != "" {
		return g.cfg.DefaultModel
	}
	if p, ok := g.providers[provider]; ok {
		return p.DefaultModel()
	}
	return ""
}

// AllowedModels returns the models a call may name.
func (g *Gateway) AllowedModels() []string {
	if len(g.cfg.AllowedModels) > 0 {
		return g.cfg.AllowedModels
	}
	var m []string
	add := func(s string) {
		if s != "" && !slices.Contains(m, s) {
			m = append(m, s)
		}
	}
	for _, c := range Complexities {
		add(g.cfg.Routes[c].Model)
	}
	add(g.cfg.DefaultModel)
	for _, name := range ProviderNames {
		if p, ok := g.providers[name]; ok {
			add(p.DefaultModel())
		}
	}
	return m
}

// perMessageTokens bounds what a provider adds per message (role markers).
const perMessageTokens = 8

// Validate checks c before anything is spent, and fills in MaxTokens. Its
// errors are apperr.FieldErrors (422) naming the field, or
// ErrPromptTooLarge.
func (g *Gateway) Validate(c *Call) error {
	var fe apperr.FieldErrors
	bad := func(field, msg string) { fe = append(fe, apperr.FieldError{Field: field, Message: msg}) }
	if len(c.Messages) == 0 {
		bad("messages", "must have at least one message")
	}
	size, users := 0, 0
	for i, m := range c.Messages {
		if !m.Role.Valid() {
			bad(fmt.Sprintf("messages[%d].role", i), "must be one of system, user, assistant")
		}
		if m.Role == RoleUser {
			users++
		}
		size += len(m.Content)
	}
	if len(c.Messages) > 0 && users == 0 {
		bad("messages", "must have at least one user message")
	}
	if c.Provider != "" {
		if !slices.Contains(ProviderNames, c.Provider) {
			bad("provider", "must be one of "+strings.Join(ProviderNames, ", "))
		} else if _, ok := g.providers[c.Provider]; !ok {
			bad("provider", c.Provider+" is not installed in this service; installed: "+strings.Join(g.installed(), ", "))
		}
	}
	if c.Complexity != "" && !slices.Contains(Complexities, c.Complexity) {
		bad("complexity", "must be one of simple, moderate, complex")
	}
	if c.Model != "" && !slices.Contains(g.AllowedModels(), c.Model) {
		bad("model", "is not allowed here; allowed: "+strings.Join(g.AllowedModels(), ", "))
	}
	if c.MaxTokens < 0 || c.MaxTokens > g.cfg.MaxTokens {
		bad("max_tokens", fmt.Sprintf("must be between 1 and %d", g.cfg.MaxTokens))
	}
	if c.Temperature != nil && (*c.Temperature < 0 || *c.Temperature > 2) {
		bad("temperature", "must be between 0 and 2")
	}
	if len(fe) > 0 {
		return fe
	}
	if size > g.cfg.MaxPromptBytes {
		return ErrPromptTooLarge
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = g.cfg.MaxTokens
	}
	return nil
}

func (g *Gateway) installed() []string {
	var names []string
	for _, n := range ProviderNames {
		if _, ok := g.providers[n]; ok {
			names = append(names, n)
		}
	}
	return names
}

// target is one provider and model to try.
type target struct {
	p     Provider
	model string
}

// targets lists what to try for c, in order: the provider it names, or
// its route (or the default provider) and then the fallbacks, each
// configured provider once.
func (g *Gateway) targets(c Call) ([]target, error) {
	if c.Provider != "" {
		p := g.providers[c.Provider]
		if !p.Configured() {
			return nil, &UnavailableError{Reason: c.Provider + " is not configured on this service."}
		}
		return []target{{p, cmp(c.Model, g.defaultModel(c.Provider))}}, nil
	}
	first, model := g.cfg.DefaultProvider, ""
	if c.Complexity != "" {
		r := g.cfg.Routes[c.Complexity]
		first, model = r.Provider, r.Model
	}
	var ts []target
	if p, ok := g.providers[first]; ok && p.Configured() {
		ts = append(ts, target{p, cmp(c.Model, cmp(model, g.defaultModel(first)))})
	}
	for _, name := range g.cfg.FallbackOrder {
		if p, ok := g.providers[name]; ok && p.Configured() && name != first {
			ts = append(ts, target{p, p.DefaultModel()})
		}
	}
	if len(ts) == 0 {
		return nil, &UnavailableError{Reason: "No AI provider is configured on this service."}
	}
	return ts, nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// price is the route price of provider and model, for cost estimates; a
// model no route names is priced 0.
func (g *Gateway) price(provider, model string) Route {
	for _, c := range Complexities {
		if r := g.cfg.Routes[c]; r.Provider == provider && r.Model == model {
			return r
		}
	}
	return Route{Provider: provider, Model: model}
}

// Complete answers c in one piece.
func (g *Gateway) Complete(ctx context.Context, c Call) (Response, error) {
	return g.run(ctx, c, nil)
}

// Stream answers c delta by delta through onDelta. Before the first delta
// a failed provider is retried or replaced by the next one; after it, an
// error ends the stream.
func (g *Gateway) Stream(ctx context.Context, c Call, onDelta func(string) error) (Response, error) {
	return g.run(ctx, c, onDelta)
}

// run is Complete and Stream: check c, pick its targets, admit it against
// the limits and the budget, then try each target in turn.
func (g *Gateway) run(ctx context.Context, c Call, onDelta func(string) error) (Response, error) {
	if err := g.Validate(&c); err != nil {
		return Response{}, err
	}
	ts, err := g.targets(c)
	if err != nil {
		return Response{}, err
	}
	release, err := g.admit(ctx, c)
	if err != nil {
		return Response{}, err
	}
	defer release()

	timeout := g.cfg.Timeout
	if onDelta != nil {
		timeout = g.cfg.StreamTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var lastErr error
	for i, t := range ts {
		req := Request{Model: t.model, Messages: c.Messages, MaxTokens: c.MaxTokens, Temperature: c.Temperature}
		started := false
		policy := resilience.Policy{
			Name: t.p.Name(), Attempts: g.cfg.Attempts, Backoff: g.cfg.Backoff, MaxBackoff: 2 * time.Second,
			Retryable: func(err error) bool { return !started && isRetryable(err) },
		}
		begin := g.now()
		resp, err := resilience.Do(ctx, g.breakers, policy, func(ctx context.Context) (Response, error) {
			if onDelta == nil {
				return t.p.Complete(ctx, req)
			}
			return g.stream(ctx, t.p, req, func(s string) error {
				started = true
				if err := onDelta(s); err != nil {
					// The client is gone: not the provider's failure.
					return fmt.Errorf("%w: writing to the client: %w", context.Canceled, err)
				}
				return nil
			})
		})
		resp.Provider, resp.Latency = t.p.Name(), g.now().Sub(begin)
		if resp.Model == "" {
			resp.Model = t.model
		}
		g.record(ctx, c.UserID, t.model, resp, err)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if started || ctx.Err() != nil || c.Provider != "" || i == len(ts)-1 {
			break
		}
		g.log.WarnContext(ctx, "ai provider failed; falling back", "provider", t.p.Name(), "error", err.Error(), "next", ts[i+1].p.Name())
	}
	return Response{}, g.failure(ctx, lastErr)
}

// isRetryable: a retryable upstream failure; never a 4xx other than 429,
// never the caller's cancellation or an open circuit.
func isRetryable(err error) bool {
	var up *UpstreamError
	return errors.As(err, &up) && up.Retryable()
}

// failure turns the last error of a call into what the caller gets.
func (g *Gateway) failure(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, resilience.ErrOpen), errors.Is(err, resilience.ErrTooManyRequests):
		return &UnavailableError{Reason: "The AI provider is failing and its circuit is open; retry later.", RetryAfter: g.cfg.Breaker.OpenFor}
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		return &UpstreamError{Provider: "gateway", Kind: "timeout"}
	}
	return err
}

// errStalled is the cause of a stream the provider stopped feeding for
// IdleTimeout.
var errStalled = errors.New("stream stalled")

// stream runs p.Stream with the idle deadline: no delta for IdleTimeout
// cancels the upstream request (closing its connection).
func (g *Gateway) stream(ctx context.Context, p Provider, req Request, onDelta func(string) error) (Response, error) {
	if g.cfg.IdleTimeout <= 0 {
		return p.Stream(ctx, req, onDelta)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(g.cfg.IdleTimeout, func() { cancel(errStalled) })
	defer idle.Stop()
	resp, err := p.Stream(ctx, req, func(s string) error {
		idle.Reset(g.cfg.IdleTimeout)
		return onDelta(s)
	})
	if err != nil && errors.Is(context.Cause(ctx), errStalled) {
		return resp, &UpstreamError{Provider: p.Name(), Kind: "stalled"}
	}
	return resp, err
}

// estimate bounds the tokens c can cost: a token is at least one byte of
// the prompt, plus role markers, plus all of max_tokens.
func estimate(c Call) int64 {
	n := int64(c.MaxTokens)
	for _, m := range c.Messages {
		n += int64(len(m.Content)) + perMessageTokens
	}
	return n
}

// admit takes a slot of the instance and of the user, and reserves c's
// estimated tokens against the user's budget: a call starts only while
// the day's tokens plus those reserved by calls in progress are below the
// budget, so concurrent calls overspend by at most one call's estimate.
func (g *Gateway) admit(ctx context.Context, c Call) (release func(), err error) {
	select {
	case g.slots <- struct{}{}:
	default:
		return nil, &BusyError{}
	}
	stripe := &g.stripes[uint64(c.UserID)%uint64(len(g.stripes))]
	stripe.Lock()
	defer stripe.Unlock()
	g.mu.Lock()
	busy := g.inflight[c.UserID] >= g.cfg.MaxConcurrentPerUser
	reserved := g.reserved[c.UserID]
	g.mu.Unlock()
	if busy {
		<-g.slots
		return nil, &BusyError{PerUser: true}
	}
	if g.cfg.DailyTokenBudget > 0 {
		now := g.now().UTC()
		used, err := g.usage.TokensOn(ctx, c.UserID, Day(now))
		if err != nil {
			<-g.slots
			return nil, fmt.Errorf("read AI usage: %w", err)
		}
		if used+reserved >= g.cfg.DailyTokenBudget {
			<-g.slots
			return nil, &BudgetError{RetryAfter: untilMidnight(now)}
		}
	}
	n := estimate(c)
	g.mu.Lock()
	g.inflight[c.UserID]++
	g.reserved[c.UserID] += n
	g.mu.Unlock()
	return func() {
		// The call's usage is recorded by now: hand back its reservation
		// under the stripe, so no admission sees neither.
		stripe.Lock()
		g.mu.Lock()
		if g.inflight[c.UserID]--; g.inflight[c.UserID] <= 0 {
			delete(g.inflight, c.UserID)
		}
		if g.reserved[c.UserID] -= n; g.reserved[c.UserID] <= 0 {
			delete(g.reserved, c.UserID)
		}
		g.mu.Unlock()
		stripe.Unlock()
		<-g.slots
	}, nil
}

// Day is the UTC date of t, the unit of budgets and usage summaries.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// untilMidnight is the time from now to the next UTC midnight, rounded
// up to a whole second.
func untilMidnight(now time.Time) time.Duration {
	now = now.UTC()
	next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	return next.Sub(now).Truncate(time.Second) + time.Second
}

// record stores the usage of one attempt at a provider, also when it
// failed (status error, or cancelled when the caller left), with a
// context of its own: a caller who disconnects still pays.
// The cost is priced by the model asked for (vendors answer with dated
// names such as gpt-4o-mini-2024-07-18).
func (g *Gateway) record(ctx context.Context, user int64, asked string, resp Response, callErr error) {
	status := "ok"
	switch {
	case callErr == nil:
	case errors.Is(callErr, context.Canceled):
		status = "cancelled"
	default:
		status = "error"
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := g.usage.Record(ctx, UsageRecord{
		UserID: user, Provider: resp.Provider, Model: resp.Model, Usage: resp.Usage,
		CostUSD: g.price(resp.Provider, asked).Cost(resp.Usage), Latency: resp.Latency, Status: status, At: g.now(),
	})
	if err != nil {
		g.log.ErrorContext(ctx, "record ai usage", "error", err.Error())
	}
}

// Timeout is how long a call may take: a stream's or a completion's.
func (g *Gateway) Timeout(stream bool) time.Duration {
	if stream {
		return g.cfg.StreamTimeout
	}
	return g.cfg.Timeout
}

// Usage returns the usage since day (YYYY-MM-DD) of user, or of everyone
// when user is 0.
func (g *Gateway) Usage(ctx context.Context, user int64, since string) ([]UsageRow, error) {
	return g.usage.Summary(ctx, user, since)
}
