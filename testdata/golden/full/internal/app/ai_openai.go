package app

import (
	"context"

	"example.com/myapp/internal/ai/openai"
)

// wireAIOpenAI registers OpenAI with the AI gateway. Without its API key it
// is listed as not configured, and calls fall back to the other providers.
func (a *App) wireAIOpenAI(_ context.Context, w *wiring) error {
	w.ai.Register(openai.New(openai.Config{APIKey: a.cfg.OpenAIAPIKey, BaseURL: a.cfg.OpenAIBaseURL, Model: a.cfg.OpenAIDefaultModel}))
	return nil
}
