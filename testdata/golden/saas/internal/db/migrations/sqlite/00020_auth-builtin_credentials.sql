-- +goose Up
CREATE TABLE auth_passwords (
    user_id    INTEGER   PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash       TEXT      NOT NULL, -- argon2id PHC string
    updated_at TIMESTAMP NOT NULL
);

-- Refresh tokens: only their SHA-256 is stored. Every use marks the row used
-- and adds a new row to the same family; presenting a used token again
-- revokes the whole family (RFC 9700 §4.14.2).
CREATE TABLE auth_refresh_tokens (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash        TEXT      NOT NULL UNIQUE,
    family_id         TEXT      NOT NULL,
    user_id           INTEGER   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at        TIMESTAMP NOT NULL,
    family_expires_at TIMESTAMP NOT NULL,
    used_at           TIMESTAMP,
    revoked_at        TIMESTAMP,
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX auth_refresh_tokens_family ON auth_refresh_tokens (family_id);
CREATE INDEX auth_refresh_tokens_user ON auth_refresh_tokens (user_id);

-- Single-use tokens for password reset and email verification.
CREATE TABLE auth_one_time_tokens (
    token_hash TEXT      PRIMARY KEY,
    user_id    INTEGER   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT      NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- Sign-in through another provider (GitHub, Google), keyed by its subject.
CREATE TABLE auth_identities (
    provider   TEXT      NOT NULL,
    subject    TEXT      NOT NULL,
    user_id    INTEGER   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, subject)
);

-- +goose Down
DROP TABLE auth_identities;
DROP TABLE auth_one_time_tokens;
DROP TABLE auth_refresh_tokens;
DROP TABLE auth_passwords;
