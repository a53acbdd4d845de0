package billing

import (
	"context"
	"database/sql"

	"example.com/myapp/internal/ai"
)

// MeterAI records the usage of one attempt at an AI provider, in tx (the
// transaction of its ai_usage row): its input and output tokens on the
// ai_tokens meter, whatever the outcome (a failed or cancelled call may
// still have spent them), and one api_calls unit when it succeeded.
// Calls of no user (user id 0) are not billed. Set it as the usage
// store's InTx.
func MeterAI(ctx context.Context, tx *sql.Tx, r ai.UsageRecord) error {
	if r.UserID == 0 {
		return nil
	}
	if tokens := r.Usage.Total(); tokens > 0 {
		if err := Record(ctx, tx, r.UserID, MeterAITokens, tokens); err != nil {
			return err
		}
	}
	if r.Status == "ok" {
		return Record(ctx, tx, r.UserID, MeterAPICalls, 1)
	}
	return nil
}
