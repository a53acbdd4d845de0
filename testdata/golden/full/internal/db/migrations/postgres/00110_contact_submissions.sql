-- +goose Up
-- One message sent through the contact form.
CREATE TABLE contact_submissions (
    id         BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference  TEXT        NOT NULL UNIQUE, -- told to the sender: C-XXXXXXXXXX, random
    status     TEXT        NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'read', 'archived')),
    name       TEXT        NOT NULL,
    email      TEXT        NOT NULL,
    subject    TEXT        NOT NULL DEFAULT '',
    phone      TEXT        NOT NULL DEFAULT '',
    company    TEXT        NOT NULL DEFAULT '',
    message    TEXT        NOT NULL,
    source     TEXT        NOT NULL DEFAULT '', -- the page the form was on
    fields     TEXT        NOT NULL DEFAULT '{}', -- JSON object of the extra fields
    ip_hash    TEXT        NOT NULL, -- keyed hash of the client address, never the address
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contact_submissions_status ON contact_submissions (status, id);
-- Every accepted post, stored or dropped, for the per-address limit and
-- the counters.
CREATE TABLE contact_attempts (
    id         BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ip_hash    TEXT        NOT NULL,
    outcome    TEXT        NOT NULL, -- stored, or why it was dropped
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contact_attempts_ip ON contact_attempts (ip_hash, created_at);
CREATE INDEX contact_attempts_created ON contact_attempts (created_at);

-- +goose Down
DROP TABLE contact_attempts;
DROP TABLE contact_submissions;
