-- +goose Up
-- One row per attempt at an AI provider. user_id is not a foreign key:
-- users are only ever soft-deleted, and usage outlives them for billing.
CREATE TABLE ai_usage (
    id            BIGINT           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT           NOT NULL,
    provider      TEXT             NOT NULL,
    model         TEXT             NOT NULL,
    input_tokens  BIGINT           NOT NULL DEFAULT 0,
    output_tokens BIGINT           NOT NULL DEFAULT 0,
    cost_usd      DOUBLE PRECISION NOT NULL DEFAULT 0,
    latency_ms    BIGINT           NOT NULL DEFAULT 0,
    status        TEXT             NOT NULL CHECK (status IN ('ok', 'error', 'cancelled')),
    day           TEXT             NOT NULL, -- UTC date, YYYY-MM-DD: the unit of budgets
    created_at    TIMESTAMPTZ      NOT NULL
);
CREATE INDEX ai_usage_user_day ON ai_usage (user_id, day);
CREATE INDEX ai_usage_day ON ai_usage (day);

-- +goose Down
DROP TABLE ai_usage;
