package app

import (
	"context"
	"net/http"

	"example.com/myapp/internal/ai/anthropic"
)

// wireAIAnthropic registers Anthropic with the AI gateway. Without its API key it
// is listed as not configured, and calls fall back to the other providers.
func (a *App) wireAIAnthropic(_ context.Context, w *wiring) error {
	w.ai.Register(anthropic.New(anthropic.Config{HTTPClient: &http.Client{Transport: w.transport("anthropic", nil)}, APIKey: a.cfg.AnthropicAPIKey, BaseURL: a.cfg.AnthropicBaseURL, Model: a.cfg.AnthropicDefaultModel}))
	return nil
}
