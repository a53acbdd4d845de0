-- +goose Up
-- One row per stored file; its bytes live in the storage backend under
-- object_key. user_id is not a foreign key: users are only ever
-- soft-deleted. name is the client's file name, cleaned, kept as metadata
-- only; content_type was sniffed from the bytes.
CREATE TABLE files (
    id           BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT      NOT NULL,
    object_key   TEXT        NOT NULL UNIQUE,
    name         TEXT        NOT NULL,
    content_type TEXT        NOT NULL,
    size         BIGINT      NOT NULL CHECK (size >= 0),
    status       TEXT        NOT NULL CHECK (status IN ('pending', 'ready')),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX files_user ON files (user_id, id);

-- +goose Down
DROP TABLE files;
