// Package openai is the OpenAI provider of the AI gateway, through the
// official SDK and the Chat Completions API with the system role, so that
// any OpenAI-compatible server (vLLM, Ollama, OpenRouter, LiteLLM) works
// by setting the base URL.
package openai

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"example.com/myapp/internal/ai"
)

// Config configures the provider.
type Config struct {
	APIKey  string
	BaseURL string // "" means https://api.openai.com/v1
	Model   string // the default model
	// HTTPClient makes the requests; nil means http.DefaultClient's
	// transport. The gateway's context bounds every call.
	HTTPClient *http.Client
}

// Provider implements ai.Provider. Its SDK client is created on first use.
type Provider struct {
	cfg    Config
	once   sync.Once
	client sdk.Client
}

var _ ai.Provider = (*Provider)(nil)

// New returns the provider; it makes no request.
func New(cfg Config) *Provider { return &Provider{cfg: cfg} }

// Name implements ai.Provider.
func (p *Provider) Name() string { return ai.OpenAI }

// DefaultModel implements ai.Provider.
func (p *Provider) DefaultModel() string { return p.cfg.Model }

// Configured implements ai.Provider: an API key is set.
func (p *Provider) Configured() bool { return p.cfg.APIKey != "" }

func (p *Provider) sdk() *sdk.Client {
	p.once.Do(func() {
		opts := []option.RequestOption{
			option.WithAPIKey(p.cfg.APIKey),
			option.WithMaxRetries(0), // the gateway retries, through its circuit breaker
		}
		if p.cfg.BaseURL != "" {
			opts = append(opts, option.WithBaseURL(p.cfg.BaseURL))
		}
		if p.cfg.HTTPClient != nil {
			opts = append(opts, option.WithHTTPClient(p.cfg.HTTPClient))
		}
		p.client = sdk.NewClient(opts...)
	})
	return &p.client
}

func params(req ai.Request) sdk.ChatCompletionNewParams {
	msgs := make([]sdk.ChatCompletionMessageParamUnion, len(req.Messages))
	for i, m := range req.Messages {
		switch m.Role {
		case ai.RoleSystem:
			msgs[i] = sdk.SystemMessage(m.Content) // system, not developer: what compatible servers understand
		case ai.RoleAssistant:
			msgs[i] = sdk.AssistantMessage(m.Content)
		default:
			msgs[i] = sdk.UserMessage(m.Content)
		}
	}
	ps := sdk.ChatCompletionNewParams{
		Model:    sdk.ChatModel(req.Model),
		Messages: msgs,
		// max_tokens rather than max_completion_tokens: every compatible
		// server reads it (OpenAI's o-series models need the other).
		MaxTokens: sdk.Int(int64(req.MaxTokens)),
	}
	if req.Temperature != nil {
		ps.Temperature = sdk.Float(*req.Temperature)
	}
	return ps
}

// Complete implements ai.Provider.
func (p *Provider) Complete(ctx context.Context, req ai.Request) (ai.Response, error) {
	c, err := p.sdk().Chat.Completions.New(ctx, params(req))
	if err != nil {
		return ai.Response{}, fail(ctx, err)
	}
	resp := ai.Response{Model: c.Model, Usage: ai.Usage{InputTokens: c.Usage.PromptTokens, OutputTokens: c.Usage.CompletionTokens}}
	if len(c.Choices) > 0 {
		resp.Content = c.Choices[0].Message.Content
		resp.FinishReason = finish(c.Choices[0].FinishReason)
	}
	return resp, nil
}

// Stream implements ai.Provider: "data:" chunks until "data: [DONE]", the
// usage in the last one (stream_options.include_usage).
func (p *Provider) Stream(ctx context.Context, req ai.Request, onDelta func(string) error) (ai.Response, error) {
	ps := params(req)
	ps.StreamOptions = sdk.ChatCompletionStreamOptionsParam{IncludeUsage: sdk.Bool(true)}
	s := p.sdk().Chat.Completions.NewStreaming(ctx, ps)
	defer s.Close()
	var resp ai.Response
	var text strings.Builder
	for s.Next() {
		chunk := s.Current()
		if chunk.Model != "" {
			resp.Model = chunk.Model
		}
		if chunk.Usage.PromptTokens != 0 || chunk.Usage.CompletionTokens != 0 {
			resp.Usage = ai.Usage{InputTokens: chunk.Usage.PromptTokens, OutputTokens: chunk.Usage.CompletionTokens}
		}
		for _, c := range chunk.Choices {
			if c.FinishReason != "" {
				resp.FinishReason = finish(c.FinishReason)
			}
			if c.Delta.Content == "" {
				continue
			}
			text.WriteString(c.Delta.Content)
			if err := onDelta(c.Delta.Content); err != nil {
				resp.Content = text.String()
				return resp, err
			}
		}
	}
	resp.Content = text.String()
	if err := s.Err(); err != nil {
		return resp, fail(ctx, err)
	}
	return resp, nil
}

func finish(reason string) string {
	switch reason {
	case "stop":
		return ai.FinishStop
	case "length":
		return ai.FinishLength
	case "content_filter":
		return ai.FinishContentFilter
	}
	return ai.FinishOther
}

// fail maps an SDK error to the gateway's: the status only, never the
// body (which may echo the key).
func fail(ctx context.Context, err error) error {
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		var h http.Header
		if apiErr.Response != nil {
			h = apiErr.Response.Header
		}
		return ai.StatusError(ai.OpenAI, apiErr.StatusCode, h)
	}
	return ai.TransportError(ctx, ai.OpenAI, err)
}
