package app

import (
	"context"
	"net/http"

	"example.com/myapp/internal/ai/openai"
)

// wireAIOpenAI registers OpenAI with the AI gateway. Without its API key it
// is listed as not configured, and calls fall back to the other providers.
func (a *App) wireAIOpenAI(_ context.Context, w *wiring) error {
	w.ai.Register(openai.New(openai.Config{HTTPClient: &http.Client{Transport: w.transport("openai", nil)}, APIKey: a.cfg.OpenAIAPIKey, BaseURL: a.cfg.OpenAIBaseURL, Model: a.cfg.OpenAIDefaultModel}))
	return nil
}
