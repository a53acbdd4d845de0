// Package gemini is the Google Gemini provider of the AI gateway, through
// the official SDK (google.golang.org/genai) and the Gemini API. The
// assistant is the "model" role and system messages become the system
// instruction.
package gemini

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/genai"

	"example.com/myapp/internal/ai"
)

// Config configures the provider.
type Config struct {
	APIKey  string
	BaseURL string // "" means https://generativelanguage.googleapis.com
	Model   string // the default model
	// HTTPClient makes the requests; nil means the SDK's default. The
	// gateway's context bounds every call.
	HTTPClient *http.Client
}

// Provider implements ai.Provider. Its SDK client is created on first use.
type Provider struct {
	cfg    Config
	once   sync.Once
	client *genai.Client
	err    error
}

var _ ai.Provider = (*Provider)(nil)

// New returns the provider; it makes no request.
func New(cfg Config) *Provider { return &Provider{cfg: cfg} }

// Name implements ai.Provider.
func (p *Provider) Name() string { return ai.Gemini }

// DefaultModel implements ai.Provider.
func (p *Provider) DefaultModel() string { return p.cfg.Model }

// Configured implements ai.Provider: an API key is set.
func (p *Provider) Configured() bool { return p.cfg.APIKey != "" }

func (p *Provider) sdk(ctx context.Context) (*genai.Client, error) {
	p.once.Do(func() {
		// No RetryOptions: the SDK makes one attempt; the gateway retries.
		p.client, p.err = genai.NewClient(context.WithoutCancel(ctx), &genai.ClientConfig{
			APIKey:      p.cfg.APIKey,
			Backend:     genai.BackendGeminiAPI,
			HTTPClient:  p.cfg.HTTPClient,
			HTTPOptions: genai.HTTPOptions{BaseURL: p.cfg.BaseURL},
		})
	})
	return p.client, p.err
}

func contents(req ai.Request) ([]*genai.Content, *genai.GenerateContentConfig) {
	system, rest := ai.SplitSystem(req.Messages)
	cs := make([]*genai.Content, len(rest))
	for i, m := range rest {
		role := genai.Role(genai.RoleUser)
		if m.Role == ai.RoleAssistant {
			role = genai.RoleModel
		}
		cs[i] = genai.NewContentFromText(m.Content, role)
	}
	cfg := &genai.GenerateContentConfig{MaxOutputTokens: int32(min(req.MaxTokens, 1<<30))}
	if system != "" {
		cfg.SystemInstruction = &genai.Content{Parts: []*genai.Part{{Text: system}}}
	}
	if req.Temperature != nil {
		cfg.Temperature = genai.Ptr(float32(*req.Temperature))
	}
	return cs, cfg
}

// Complete implements ai.Provider.
func (p *Provider) Complete(ctx context.Context, req ai.Request) (ai.Response, error) {
	c, err := p.sdk(ctx)
	if err != nil {
		return ai.Response{}, fail(ctx, err)
	}
	cs, cfg := contents(req)
	r, err := c.Models.GenerateContent(ctx, req.Model, cs, cfg)
	if err != nil {
		return ai.Response{}, fail(ctx, err)
	}
	var resp ai.Response
	add(&resp, r)
	resp.Content = text(r)
	return resp, nil
}

// Stream implements ai.Provider: streamGenerateContent?alt=sse, each event
// a GenerateContentResponse with the next text and the usage so far.
func (p *Provider) Stream(ctx context.Context, req ai.Request, onDelta func(string) error) (ai.Response, error) {
	c, err := p.sdk(ctx)
	if err != nil {
		return ai.Response{}, fail(ctx, err)
	}
	cs, cfg := contents(req)
	var resp ai.Response
	var all strings.Builder
	for r, err := range c.Models.GenerateContentStream(ctx, req.Model, cs, cfg) {
		if err != nil {
			resp.Content = all.String()
			return resp, fail(ctx, err)
		}
		add(&resp, r)
		if t := text(r); t != "" {
			all.WriteString(t)
			if err := onDelta(t); err != nil {
				resp.Content = all.String()
				return resp, err
			}
		}
	}
	resp.Content = all.String()
	return resp, nil
}

// add takes the model, usage and finish reason of r into resp.
func add(resp *ai.Response, r *genai.GenerateContentResponse) {
	if r.ModelVersion != "" {
		resp.Model = r.ModelVersion
	}
	if u := r.UsageMetadata; u != nil {
		resp.Usage = ai.Usage{InputTokens: int64(u.PromptTokenCount), OutputTokens: int64(u.CandidatesTokenCount)}
	}
	if len(r.Candidates) > 0 && r.Candidates[0].FinishReason != "" {
		resp.FinishReason = finish(r.Candidates[0].FinishReason)
	}
}

// text is the text of r's first candidate (thoughts left out).
func text(r *genai.GenerateContentResponse) string {
	if len(r.Candidates) == 0 || r.Candidates[0].Content == nil {
		return ""
	}
	var b strings.Builder
	for _, part := range r.Candidates[0].Content.Parts {
		if part != nil && !part.Thought {
			b.WriteString(part.Text)
		}
	}
	return b.String()
}

func finish(reason genai.FinishReason) string {
	switch reason {
	case genai.FinishReasonStop:
		return ai.FinishStop
	case genai.FinishReasonMaxTokens:
		return ai.FinishLength
	case genai.FinishReasonSafety, genai.FinishReasonProhibitedContent, genai.FinishReasonBlocklist, genai.FinishReasonSPII:
		return ai.FinishContentFilter
	}
	return ai.FinishOther
}

// fail maps an SDK error to the gateway's: the status and the retry delay
// only, never the message (which may echo the key).
func fail(ctx context.Context, err error) error {
	var apiErr genai.APIError
	if errors.As(err, &apiErr) {
		return ai.StatusErrorAfter(ai.Gemini, apiErr.Code, retryDelay(apiErr.Details))
	}
	return ai.TransportError(ctx, ai.Gemini, err)
}

// retryInfo is the type of the error detail in which Google APIs say how
// long to wait (google.rpc.RetryInfo); the SDK hands the details over as
// decoded JSON, and the response's headers not at all.
const retryInfo = "type.googleapis.com/google.rpc.RetryInfo"

// retryDelay is the delay of a RetryInfo detail ("retryDelay": "38s", a
// google.protobuf.Duration in JSON), or 0 if there is none or it is not
// a duration.
func retryDelay(details []map[string]any) time.Duration {
	for _, d := range details {
		if kind, _ := d["@type"].(string); kind != retryInfo {
			continue
		}
		s, _ := d["retryDelay"].(string)
		if v, err := time.ParseDuration(s); err == nil && v > 0 {
			return v
		}
	}
	return 0
}
