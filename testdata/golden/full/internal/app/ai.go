package app

import (
	"context"

	"example.com/myapp/internal/ai"
)

// wireAI builds the AI gateway from the AI_* variables, with usage kept in
// the database. The provider features register their providers with it
// (w.ai) in their own wiring, which runs after this one.
func (a *App) wireAI(_ context.Context, w *wiring) error {
	cfg := a.cfg
	w.aiUsage = ai.NewSQLStore(w.db)
	var usage ai.UsageStore = w.aiUsage
	counted := ai.NewMetrics() // ai_requests_total, ai_tokens_total, ai_cost_usd_total
	if err := w.metrics.Register(counted); err != nil {
		return err
	}
	usage = counted.Store(usage)
	w.ai = ai.New(ai.Config{
		DefaultProvider: cfg.AIDefaultProvider,
		DefaultModel:    cfg.AIDefaultModel,
		FallbackOrder:   cfg.AIFallbackOrder,
		Routes: map[ai.Complexity]ai.Route{
			ai.Simple:   cfg.AIRouteSimple,
			ai.Moderate: cfg.AIRouteModerate,
			ai.Complex:  cfg.AIRouteComplex,
		},
		AllowedModels:        cfg.AIAllowedModels,
		Timeout:              cfg.AITimeout,
		StreamTimeout:        cfg.AIStreamTimeout,
		IdleTimeout:          cfg.AIStreamIdleTimeout,
		MaxPromptBytes:       cfg.AIMaxPromptBytes,
		MaxTokens:            cfg.AIMaxTokens,
		DailyTokenBudget:     cfg.AIDailyTokenBudget,
		MaxConcurrent:        cfg.AIMaxConcurrent,
		MaxConcurrentPerUser: cfg.AIMaxConcurrentPerUser,
	}, usage, a.log)
	w.v1.AI = w.ai
	return nil
}
