package billing

import (
	"context"
	"database/sql"
	"fmt"

	"example.com/myapp/internal/flags"
)

// Service answers plan_based feature flags like the users' plan column.
var _ flags.PlanSource = (*Service)(nil)

// SetUsersPlan is the OnPlanChange of a service with feature flags: it
// writes the plan a webhook left the user on into the users' plan column
// (flags.SQLPlans reads it), in the webhook's transaction.
func SetUsersPlan(ctx context.Context, tx *sql.Tx, userID int64, plan string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET plan = $1 WHERE id = $2`, plan, userID); err != nil {
		return fmt.Errorf("set plan of user %d: %w", userID, err)
	}
	return nil
}
