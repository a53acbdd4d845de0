-- +goose Up
CREATE TABLE users (
    id                BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email             TEXT,
    name              TEXT        NOT NULL DEFAULT '',
    role              TEXT        NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin', 'superadmin')),
    email_verified_at TIMESTAMPTZ,
    version           BIGINT      NOT NULL DEFAULT 1,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    deleted_at        TIMESTAMPTZ
);
-- One live account per email; a deleted account frees its address.
CREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL;
CREATE INDEX users_created_at ON users (created_at, id);

-- +goose Down
DROP TABLE users;
