-- +goose Up
-- One row per attempt at an AI provider. user_id is not a foreign key:
-- users are only ever soft-deleted, and usage outlives them for billing.
CREATE TABLE ai_usage (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER   NOT NULL,
    provider      TEXT      NOT NULL,
    model         TEXT      NOT NULL,
    input_tokens  INTEGER   NOT NULL DEFAULT 0,
    output_tokens INTEGER   NOT NULL DEFAULT 0,
    cost_usd      REAL      NOT NULL DEFAULT 0,
    latency_ms    INTEGER   NOT NULL DEFAULT 0,
    status        TEXT      NOT NULL CHECK (status IN ('ok', 'error', 'cancelled')),
    day           TEXT      NOT NULL, -- UTC date, YYYY-MM-DD: the unit of budgets
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX ai_usage_user_day ON ai_usage (user_id, day);
CREATE INDEX ai_usage_day ON ai_usage (day);

-- +goose Down
DROP TABLE ai_usage;
