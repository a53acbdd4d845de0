package app

import (
	"context"
	"net/http"

	"example.com/myapp/internal/ai/gemini"
)

// wireAIGemini registers Google Gemini with the AI gateway. Without its API key it
// is listed as not configured, and calls fall back to the other providers.
func (a *App) wireAIGemini(_ context.Context, w *wiring) error {
	w.ai.Register(gemini.New(gemini.Config{HTTPClient: &http.Client{Transport: w.transport("gemini", nil)}, APIKey: a.cfg.GoogleAPIKey, BaseURL: a.cfg.GoogleGeminiBaseURL, Model: a.cfg.GeminiDefaultModel}))
	return nil
}
