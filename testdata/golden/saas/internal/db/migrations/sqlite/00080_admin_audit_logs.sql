-- +goose Up
-- The audit log: one row per admin change and per request made while
-- impersonating. Append-only: the triggers below refuse UPDATE and DELETE,
-- so not even the service itself can rewrite history.
CREATE TABLE audit_logs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TIMESTAMP NOT NULL,           -- UTC
    actor_id    INTEGER,                      -- who acted; NULL: the operator (command line)
    subject_id  INTEGER,                      -- the user impersonated, NULL when nobody was
    auth_method TEXT      NOT NULL,           -- bearer, impersonation or system
    action      TEXT      NOT NULL,           -- OWASP logging vocabulary where it fits
    target_type TEXT      NOT NULL DEFAULT '',
    target_id   TEXT      NOT NULL DEFAULT '',
    before_json TEXT,                         -- changed fields before, a JSON object
    after_json  TEXT,                         -- changed fields after, a JSON object
    client_ip   TEXT      NOT NULL DEFAULT '',
    user_agent  TEXT      NOT NULL DEFAULT '', -- escaped: no control characters
    request_id  TEXT      NOT NULL DEFAULT ''
);
CREATE INDEX audit_logs_occurred_at ON audit_logs (occurred_at, id);
CREATE INDEX audit_logs_actor ON audit_logs (actor_id, id);
CREATE INDEX audit_logs_subject ON audit_logs (subject_id, id);
CREATE INDEX audit_logs_target ON audit_logs (target_type, target_id, id);

-- +goose StatementBegin
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_logs;
