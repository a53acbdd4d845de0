package v1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"example.com/myapp/internal/ai"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/users"
)

// aiHandlers serve /ai: every call needs a signed-in user, is checked
// before a provider is called, and is charged to the user's daily budget.
type aiHandlers struct {
	gw *ai.Gateway
}

// AIMessage is one turn of a conversation.
type AIMessage struct {
	Role    string `json:"role" enum:"system,user,assistant" doc:"Who wrote it: system (instructions), user or assistant (earlier answers)"`
	Content string `json:"content" doc:"The text"`
}

// AIUsage is what a call cost, in tokens, as the provider counted them.
type AIUsage struct {
	InputTokens  int64 `json:"input_tokens" doc:"Tokens of the prompt"`
	OutputTokens int64 `json:"output_tokens" doc:"Tokens of the answer"`
}

// CompletionRequest is the body of POST /ai/completions.
type CompletionRequest struct {
	Messages []AIMessage `json:"messages" minItems:"1" maxItems:"256" doc:"The conversation, oldest first; at least one user message"`
	Provider string      `json:"provider,omitempty" enum:"openai,anthropic,gemini" doc:"Ask this provider only: never rerouted, its answer or its error. Empty: the default provider with fallbacks"`
	Model    string      `json:"model,omitempty" maxLength:"200" doc:"A model of the service's allow-list; empty: the provider's default"`
	// writeOnly: "token" names look secret to TestSecretFieldsAreMarked;
	// this one is not, but it is never returned either.
	MaxTokens   *int     `json:"max_tokens,omitempty" minimum:"1" writeOnly:"true" doc:"Most tokens to generate, up to the service's cap (AI_MAX_TOKENS, also the value when absent)"`
	Temperature *float64 `json:"temperature,omitempty" minimum:"0" maximum:"2" doc:"Sampling temperature; absent: the provider's default"`
	Stream      bool     `json:"stream,omitempty" doc:"Answer as text/event-stream: delta events, then done (or error)"`
}

// CompletionResponse is the answer of POST /ai/completions without stream.
type CompletionResponse struct {
	Content      string  `json:"content" doc:"The generated text"`
	Provider     string  `json:"provider" enum:"openai,anthropic,gemini" doc:"The provider that answered"`
	Model        string  `json:"model" doc:"The model that answered"`
	Usage        AIUsage `json:"usage"`
	FinishReason string  `json:"finish_reason" enum:"stop,length,content_filter,other" doc:"Why the answer ended: stop, length (max_tokens), content_filter or other"`
	LatencyMS    int64   `json:"latency_ms" doc:"Time the provider took, in milliseconds"`
}

// StreamDelta is the data of a stream's delta event.
type StreamDelta struct {
	Text string `json:"text" doc:"The next piece of the answer"`
}

// StreamDone is the data of a stream's done event, its last.
type StreamDone struct {
	Provider     string  `json:"provider"`
	Model        string  `json:"model"`
	Usage        AIUsage `json:"usage"`
	FinishReason string  `json:"finish_reason"`
}

type completionInput struct {
	Body CompletionRequest
}

type chatInput struct {
	Body struct {
		Prompt string `json:"prompt" minLength:"1" doc:"What to ask"`
		System string `json:"system,omitempty" doc:"Instructions for the model (a system message)"`
	}
}

type routedInput struct {
	Body struct {
		Prompt     string `json:"prompt" minLength:"1" doc:"What to ask"`
		Complexity string `json:"complexity" enum:"simple,moderate,complex" doc:"How hard the task is; picks the route (see GET /ai/status)"`
	}
}

// ChatResponse is the answer of the chat endpoints.
type ChatResponse struct {
	Text     string `json:"text" doc:"The generated text"`
	Provider string `json:"provider" doc:"The provider that answered"`
	Model    string `json:"model" doc:"The model that answered"`
}

type chatOutput struct {
	Body ChatResponse
}

// AIProviderStatus is one installed provider.
type AIProviderStatus struct {
	Name         string `json:"name" enum:"openai,anthropic,gemini"`
	Configured   bool   `json:"configured" doc:"Whether its API key is set"`
	DefaultModel string `json:"default_model"`
	Circuit      string `json:"circuit" enum:"closed,open,half-open" doc:"Its circuit breaker: open after 5 consecutive failures, calls then fall back"`
}

// AIRoute is where calls of one complexity go.
type AIRoute struct {
	Provider        string  `json:"provider"`
	Model           string  `json:"model"`
	CostPer1KInput  float64 `json:"cost_per_1k_input" doc:"USD per 1,000 input tokens"`
	CostPer1KOutput float64 `json:"cost_per_1k_output" doc:"USD per 1,000 output tokens"`
}

type aiStatusOutput struct {
	Body struct {
		Available       bool               `json:"available" doc:"Whether any provider is configured"`
		DefaultProvider string             `json:"default_provider"`
		DefaultModel    string             `json:"default_model"`
		Providers       []AIProviderStatus `json:"providers"`
		Routes          map[string]AIRoute `json:"routes" doc:"By complexity: simple, moderate, complex"`
		AllowedModels   []string           `json:"allowed_models" doc:"The models a request may name"`
	}
}

type usageInput struct {
	User string `query:"user" pattern:"^(all|[1-9][0-9]{0,18})$" doc:"Whose usage: a user id or all (admins only); empty: yours"`
	Days int    `query:"days" default:"30" minimum:"1" maximum:"366" doc:"How many UTC days back, today included"`
}

// AIUsageRow is the usage of one user, day, provider and model.
type AIUsageRow struct {
	Day          string  `json:"day" doc:"UTC date, YYYY-MM-DD"`
	UserID       int64   `json:"user_id"`
	Provider     string  `json:"provider"`
	Model        string  `json:"model"`
	Calls        int64   `json:"calls" doc:"Attempts at the provider, failed ones included"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd" doc:"Estimated from the route prices; 0 for a model no route names"`
}

// AIUsageReport is the answer of GET /ai/usage.
type AIUsageReport struct {
	Since        string       `json:"since" doc:"First day included"`
	Usage        []AIUsageRow `json:"usage"`
	TotalTokens  int64        `json:"total_tokens" doc:"Input and output tokens of the rows"`
	TotalCostUSD float64      `json:"total_cost_usd" doc:"Estimated cost of the rows, USD"`
}

type usageOutput struct {
	Body AIUsageReport
}

// aiOp is an operation of /ai, protected by guard. Its write deadline is
// the AI call's timeout instead of HTTP_WRITE_TIMEOUT (see writeDeadline).
func aiOp(h aiHandlers, method, path, id, summary string, guard func(huma.Context, func(huma.Context))) huma.Operation {
	o := secured(op(method, path, id, summary, "ai"), guard)
	o.Errors = append(o.Errors, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity, http.StatusTooManyRequests,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout)
	if method == http.MethodPost {
		o.Middlewares = append(o.Middlewares, h.writeDeadline(false))
	}
	return o
}

// completionsOp documents both answers of POST /ai/completions: JSON, or
// with "stream": true an event stream.
func completionsOp(h aiHandlers, api huma.API, guard func(huma.Context, func(huma.Context))) huma.Operation {
	o := aiOp(h, http.MethodPost, "/ai/completions", "ai-completions", "Complete a conversation (JSON, or SSE with stream: true)", guard)
	o.Middlewares = o.Middlewares[:len(o.Middlewares)-1] // the body sets the deadline: it knows whether it streams
	reg := api.OpenAPI().Components.Schemas
	schema := func(t reflect.Type) *huma.Schema { return reg.Schema(t, true, "") }
	o.Responses = map[string]*huma.Response{
		"200": {
			Description: "The answer; with stream: true an event stream of `event: delta` (data " +
				"`{\"text\"}`), then `event: done` (data: provider, model, usage, finish_reason) " +
				"or, when the provider fails mid-stream, `event: error` (data: a problem object)",
			Content: map[string]*huma.MediaType{
				"application/json":  {Schema: schema(reflect.TypeFor[CompletionResponse]())},
				"text/event-stream": {Schema: &huma.Schema{Type: huma.TypeString, Description: "Server-sent events"}},
			},
		},
	}
	_ = schema(reflect.TypeFor[StreamDelta]())
	_ = schema(reflect.TypeFor[StreamDone]())
	return o
}

// writeDeadline replaces the server's write timeout for this request by
// the call's own (plus a few seconds to write the answer), through
// http.ResponseController: the global HTTP_WRITE_TIMEOUT stays short for
// every other route.
func (h aiHandlers) writeDeadline(stream bool) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		h.setDeadline(ctx, stream)
		next(ctx)
	}
}

func (h aiHandlers) setDeadline(ctx huma.Context, stream bool) {
	if h.gw == nil {
		return
	}
	_, w := humago.Unwrap(ctx)
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(h.gw.Timeout(stream) + 5*time.Second))
}

func (h aiHandlers) status(context.Context, *struct{}) (*aiStatusOutput, error) {
	s := h.gw.Status()
	out := &aiStatusOutput{}
	b := &out.Body
	b.Available, b.DefaultProvider, b.DefaultModel = s.Available, s.DefaultProvider, s.DefaultModel
	b.Providers = []AIProviderStatus{}
	for _, p := range s.Providers {
		b.Providers = append(b.Providers, AIProviderStatus{Name: p.Name, Configured: p.Configured, DefaultModel: p.DefaultModel, Circuit: p.Circuit})
	}
	b.Routes = map[string]AIRoute{}
	for c, r := range s.Routes {
		b.Routes[string(c)] = AIRoute{Provider: r.Provider, Model: r.Model, CostPer1KInput: r.CostPer1KInput, CostPer1KOutput: r.CostPer1KOutput}
	}
	b.AllowedModels = h.gw.AllowedModels()
	return out, nil
}

// call makes the gateway call of a completion request.
func (r CompletionRequest) call(user int64) ai.Call {
	c := ai.Call{UserID: user, Provider: r.Provider, Model: r.Model, Temperature: r.Temperature}
	if r.MaxTokens != nil {
		c.MaxTokens = *r.MaxTokens
	}
	c.Messages = make([]ai.Message, len(r.Messages))
	for i, m := range r.Messages {
		c.Messages[i] = ai.Message{Role: ai.Role(m.Role), Content: m.Content}
	}
	return c
}

func (h aiHandlers) completions(ctx context.Context, in *completionInput) (*huma.StreamResponse, error) {
	call := in.Body.call(caller(ctx).ID)
	if err := h.gw.Validate(&call); err != nil {
		return nil, aiError(ctx, err)
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		h.setDeadline(hctx, in.Body.Stream)
		if in.Body.Stream {
			h.stream(hctx, call)
			return
		}
		resp, err := h.gw.Complete(hctx.Context(), call)
		if err != nil {
			writeAIProblem(hctx, err)
			return
		}
		hctx.SetHeader("Content-Type", "application/json")
		hctx.SetStatus(http.StatusOK)
		_ = json.NewEncoder(hctx.BodyWriter()).Encode(CompletionResponse{
			Content: resp.Content, Provider: resp.Provider, Model: resp.Model,
			Usage:        AIUsage{InputTokens: resp.Usage.InputTokens, OutputTokens: resp.Usage.OutputTokens},
			FinishReason: resp.FinishReason, LatencyMS: resp.Latency.Milliseconds(),
		})
	}}, nil
}

// stream answers with server-sent events. The status line waits for the
// first delta: a call refused or failed before it (budget, no provider,
// every provider down) is an ordinary problem response with its status.
// After it, a failure is an error event; either way the stream then ends.
// A client that disconnects cancels the request's context, and with it the
// provider's request.
func (h aiHandlers) stream(hctx huma.Context, call ai.Call) {
	_, w := humago.Unwrap(hctx)
	rc := http.NewResponseController(w)
	sse := ai.NewSSE(w, rc.Flush)
	started := false
	start := func() {
		if !started {
			started = true
			hctx.SetHeader("Content-Type", "text/event-stream")
			hctx.SetHeader("X-Accel-Buffering", "no") // nginx: do not buffer the stream
			hctx.SetStatus(http.StatusOK)
		}
	}
	resp, err := h.gw.Stream(hctx.Context(), call, func(text string) error {
		start()
		return sse.Delta(text)
	})
	if err != nil && !started {
		writeAIProblem(hctx, err)
		return
	}
	start()
	if err != nil {
		p, _ := aiProblem(hctx.Context(), err)
		p.Instance = hctx.URL().Path
		p.Bound()
		_ = sse.Event("error", p)
		return
	}
	_ = sse.Event("done", StreamDone{
		Provider: resp.Provider, Model: resp.Model, FinishReason: resp.FinishReason,
		Usage: AIUsage{InputTokens: resp.Usage.InputTokens, OutputTokens: resp.Usage.OutputTokens},
	})
}

func (h aiHandlers) chat(ctx context.Context, in *chatInput) (*chatOutput, error) {
	call := ai.Call{UserID: caller(ctx).ID, Messages: []ai.Message{{Role: ai.RoleUser, Content: in.Body.Prompt}}}
	if in.Body.System != "" {
		call.Messages = append([]ai.Message{{Role: ai.RoleSystem, Content: in.Body.System}}, call.Messages...)
	}
	return h.chatCall(ctx, call)
}

func (h aiHandlers) chatRouted(ctx context.Context, in *routedInput) (*chatOutput, error) {
	return h.chatCall(ctx, ai.Call{
		UserID:     caller(ctx).ID,
		Messages:   []ai.Message{{Role: ai.RoleUser, Content: in.Body.Prompt}},
		Complexity: ai.Complexity(in.Body.Complexity),
	})
}

func (h aiHandlers) chatCall(ctx context.Context, call ai.Call) (*chatOutput, error) {
	resp, err := h.gw.Complete(ctx, call)
	if err != nil {
		return nil, aiError(ctx, err)
	}
	return &chatOutput{Body: ChatResponse{Text: resp.Content, Provider: resp.Provider, Model: resp.Model}}, nil
}

func (h aiHandlers) usage(ctx context.Context, in *usageInput) (*usageOutput, error) {
	me := caller(ctx)
	user := me.ID
	switch in.User {
	case "", strconv.FormatInt(me.ID, 10):
	case "all":
		user = 0
	default:
		user, _ = strconv.ParseInt(in.User, 10, 64) // the pattern made it a number
	}
	if user != me.ID && !me.Role.AtLeast(users.RoleAdmin) {
		return nil, &httpx.Problem{Status: http.StatusForbidden, Detail: "Only admins may see the AI usage of others."}
	}
	since := ai.Day(time.Now().UTC().AddDate(0, 0, 1-in.Days))
	rows, err := h.gw.Usage(ctx, user, since)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &usageOutput{}
	out.Body.Since, out.Body.Usage = since, make([]AIUsageRow, len(rows))
	for i, r := range rows {
		out.Body.Usage[i] = AIUsageRow(r)
		out.Body.TotalTokens += r.InputTokens + r.OutputTokens
		out.Body.TotalCostUSD += r.CostUSD
	}
	return out, nil
}

// aiProblem maps a gateway error to the problem the client gets, and the
// headers that go with it. No vendor's words reach the client: an
// upstream failure is described by the provider's name and status only.
func aiProblem(ctx context.Context, err error) (*httpx.Problem, http.Header) {
	var (
		budget  *ai.BudgetError
		busy    *ai.BusyError
		unavail *ai.UnavailableError
		up      *ai.UpstreamError
	)
	h := http.Header{}
	retry := func(d time.Duration) {
		if d > 0 {
			h.Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
		}
	}
	switch {
	case errors.Is(err, ai.ErrPromptTooLarge):
		return &httpx.Problem{Status: http.StatusRequestEntityTooLarge, Detail: "The prompt is larger than this service accepts (AI_MAX_PROMPT_BYTES)."}, h
	case errors.As(err, &budget):
		retry(budget.RetryAfter)
		return &httpx.Problem{Type: quotaExceeded, Status: http.StatusTooManyRequests, Detail: "Your daily AI token budget is spent; it renews at midnight UTC."}, h
	case errors.As(err, &busy):
		retry(time.Second)
		if busy.PerUser {
			return &httpx.Problem{Type: quotaExceeded, Status: http.StatusTooManyRequests, Detail: "You have too many AI calls in progress; wait for one to finish."}, h
		}
		return &httpx.Problem{Status: http.StatusServiceUnavailable, Detail: "Too many AI calls are in progress; retry shortly."}, h
	case errors.As(err, &unavail):
		retry(unavail.RetryAfter)
		return &httpx.Problem{Status: http.StatusServiceUnavailable, Detail: unavail.Reason}, h
	case errors.As(err, &up):
		httpx.Logger(ctx).WarnContext(ctx, "ai call failed", "error", up.Error())
		retry(up.RetryAfter)
		switch up.Kind {
		case "timeout":
			return &httpx.Problem{Status: http.StatusGatewayTimeout, Detail: "The AI provider did not answer in time."}, h
		case "stalled":
			return &httpx.Problem{Status: http.StatusGatewayTimeout, Detail: "The AI provider stopped sending its answer."}, h
		}
		return &httpx.Problem{Status: http.StatusBadGateway, Detail: fmt.Sprintf("The AI provider failed (%s); try again later.", up.Error())}, h
	case errors.Is(err, context.Canceled):
		return &httpx.Problem{Status: 499, Detail: "The request was cancelled."}, h
	}
	return httpx.ProblemOf(err), h
}

// quotaExceeded is the problem type of a 429 (IANA HTTP Problem Types).
const quotaExceeded = "https://iana.org/assignments/http-problem-types#quota-exceeded"

// aiError is aiProblem as the error of a huma handler.
func aiError(ctx context.Context, err error) error {
	p, h := aiProblem(ctx, err)
	if p.Status >= http.StatusInternalServerError && p.Status != http.StatusBadGateway && p.Status != http.StatusServiceUnavailable && p.Status != http.StatusGatewayTimeout {
		return httpx.HumaError(ctx, err)
	}
	if len(h) == 0 {
		return p
	}
	return huma.ErrorWithHeaders(p, h)
}

// writeAIProblem writes aiProblem's answer from a streaming body.
func writeAIProblem(hctx huma.Context, err error) {
	p, h := aiProblem(hctx.Context(), err)
	if p.Status == http.StatusInternalServerError {
		httpx.Logger(hctx.Context()).ErrorContext(hctx.Context(), "request failed", "error", err.Error(), "status", p.Status)
	}
	for k, v := range h {
		hctx.SetHeader(k, v[0])
	}
	p.Instance = hctx.URL().Path
	_, w := humago.Unwrap(hctx)
	httpx.WriteProblem(w, *p)
}
