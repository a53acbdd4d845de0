// Package anthropic is the Anthropic (Claude) provider of the AI gateway,
// through the official SDK and the Messages API. System messages go in
// its separate system field.
package anthropic

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"example.com/myapp/internal/ai"
)

// Config configures the provider.
type Config struct {
	APIKey  string
	BaseURL string // "" means https://api.anthropic.com
	Model   string // the default model
	// HTTPClient makes the requests; nil means the SDK's default. The
	// gateway's context bounds every call.
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
func (p *Provider) Name() string { return ai.Anthropic }

// DefaultModel implements ai.Provider.
func (p *Provider) DefaultModel() string { return p.cfg.Model }

// Configured implements ai.Provider: an API key is set.
func (p *Provider) Configured() bool { return p.cfg.APIKey != "" }

func (p *Provider) sdk() *sdk.Client {
	p.once.Do(func() {
		opts := []option.RequestOption{
			option.WithoutEnvironmentDefaults(), // the service's config is the only source of credentials
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

// params makes the request body, and the options that set what the
// SDK's params type has no field for (temperature, which v2 dropped from
// MessageNewParams but the API still reads).
func params(req ai.Request) (sdk.MessageNewParams, []option.RequestOption) {
	system, rest := ai.SplitSystem(req.Messages)
	msgs := make([]sdk.MessageParam, len(rest))
	for i, m := range rest {
		if m.Role == ai.RoleAssistant {
			msgs[i] = sdk.NewAssistantMessage(sdk.NewTextBlock(m.Content))
		} else {
			msgs[i] = sdk.NewUserMessage(sdk.NewTextBlock(m.Content))
		}
	}
	ps := sdk.MessageNewParams{Model: sdk.Model(req.Model), MaxTokens: int64(req.MaxTokens), Messages: msgs}
	if system != "" {
		ps.System = []sdk.TextBlockParam{{Text: system}}
	}
	var opts []option.RequestOption
	if req.Temperature != nil {
		opts = append(opts, option.WithJSONSet("temperature", *req.Temperature))
	}
	return ps, opts
}

// Complete implements ai.Provider.
func (p *Provider) Complete(ctx context.Context, req ai.Request) (ai.Response, error) {
	ps, opts := params(req)
	msg, err := p.sdk().Messages.New(ctx, ps, opts...)
	if err != nil {
		return ai.Response{}, fail(ctx, err)
	}
	var text strings.Builder
	for _, b := range msg.Content {
		if b.Type == "text" {
			text.WriteString(b.Text)
		}
	}
	return ai.Response{
		Content: text.String(), Model: string(msg.Model), FinishReason: finish(string(msg.StopReason)),
		Usage: ai.Usage{InputTokens: msg.Usage.InputTokens, OutputTokens: msg.Usage.OutputTokens},
	}, nil
}

// Stream implements ai.Provider: message_start (model, input tokens),
// content_block_delta (text), message_delta (stop reason, output tokens),
// message_stop.
func (p *Provider) Stream(ctx context.Context, req ai.Request, onDelta func(string) error) (ai.Response, error) {
	ps, opts := params(req)
	s := p.sdk().Messages.NewStreaming(ctx, ps, opts...)
	defer s.Close()
	var resp ai.Response
	var text strings.Builder
	for s.Next() {
		switch e := s.Current().AsAny().(type) {
		case sdk.MessageStartEvent:
			resp.Model = string(e.Message.Model)
			resp.Usage.InputTokens = e.Message.Usage.InputTokens
		case sdk.ContentBlockDeltaEvent:
			d, ok := e.Delta.AsAny().(sdk.TextDelta)
			if !ok || d.Text == "" {
				continue
			}
			text.WriteString(d.Text)
			if err := onDelta(d.Text); err != nil {
				resp.Content = text.String()
				return resp, err
			}
		case sdk.MessageDeltaEvent:
			resp.FinishReason = finish(string(e.Delta.StopReason))
			resp.Usage.OutputTokens = e.Usage.OutputTokens
			if e.Usage.InputTokens > 0 {
				resp.Usage.InputTokens = e.Usage.InputTokens
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
	case "end_turn", "stop_sequence":
		return ai.FinishStop
	case "max_tokens":
		return ai.FinishLength
	case "refusal":
		return ai.FinishContentFilter
	}
	return ai.FinishOther
}

// fail maps an SDK error to the gateway's: the status only, never the
// body (which may echo the key). 529 is Anthropic's "overloaded".
func fail(ctx context.Context, err error) error {
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		var h http.Header
		if apiErr.Response != nil {
			h = apiErr.Response.Header
		}
		return ai.StatusError(ai.Anthropic, apiErr.StatusCode, h)
	}
	return ai.TransportError(ctx, ai.Anthropic, err)
}
