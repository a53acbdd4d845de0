-- +goose Up
CREATE TABLE feature_flags (
    key         TEXT      PRIMARY KEY,
    description TEXT      NOT NULL DEFAULT '',
    type        TEXT      NOT NULL CHECK (type IN ('boolean', 'percentage', 'user_list', 'plan_based')),
    enabled     BOOLEAN   NOT NULL DEFAULT FALSE,
    percentage  INTEGER   NOT NULL DEFAULT 0 CHECK (percentage BETWEEN 0 AND 100),
    plans       TEXT      NOT NULL DEFAULT '[]', -- JSON array of plan names
    expires_at  TIMESTAMP,
    created_by  INTEGER   REFERENCES users (id) ON DELETE SET NULL,
    updated_by  INTEGER   REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
-- The users a user_list flag is on for.
CREATE TABLE feature_flag_users (
    flag_key TEXT    NOT NULL REFERENCES feature_flags (key) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (flag_key, user_id)
);

-- +goose Down
DROP TABLE feature_flag_users;
DROP TABLE feature_flags;
