-- +goose Up
CREATE TABLE users (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    email             TEXT,
    name              TEXT      NOT NULL DEFAULT '',
    role              TEXT      NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin', 'superadmin')),
    email_verified_at TIMESTAMP,
    version           INTEGER   NOT NULL DEFAULT 1,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    deleted_at        TIMESTAMP
);
-- One live account per email; a deleted account frees its address.
CREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL;
CREATE INDEX users_created_at ON users (created_at, id);

-- +goose Down
DROP TABLE users;
