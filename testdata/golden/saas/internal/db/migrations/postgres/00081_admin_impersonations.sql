-- +goose Up
-- Impersonations: an admin acting as a user with a short-lived token. A
-- token is accepted only while its row is live (not ended, not expired).
CREATE TABLE admin_impersonations (
    id         TEXT        PRIMARY KEY, -- the token's sid
    actor_id   BIGINT      NOT NULL REFERENCES users (id),
    subject_id BIGINT      NOT NULL REFERENCES users (id),
    reason     TEXT        NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    ended_at   TIMESTAMPTZ
);
CREATE INDEX admin_impersonations_live ON admin_impersonations (expires_at) WHERE ended_at IS NULL;

-- +goose Down
DROP TABLE admin_impersonations;
