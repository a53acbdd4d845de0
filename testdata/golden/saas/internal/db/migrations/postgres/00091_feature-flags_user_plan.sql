-- +goose Up
-- The plan a user is on, for plan_based flags, set by the application
-- (flags.SQLPlans.SetPlan, or `server flags plan`). A billing feature may
-- provide plans from its own records instead (flags.PlanSource).
ALTER TABLE users ADD COLUMN plan TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN plan;
