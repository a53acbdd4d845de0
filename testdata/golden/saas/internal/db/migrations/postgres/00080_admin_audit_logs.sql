-- +goose Up
-- The audit log: one row per admin change and per request made while
-- impersonating. Append-only: the trigger below refuses UPDATE, DELETE and
-- TRUNCATE, so not even the service's own role can rewrite history. (A
-- separate application role can also be denied them: REVOKE UPDATE,
-- DELETE, TRUNCATE ON audit_logs FROM app.)
CREATE TABLE audit_logs (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor_id    BIGINT,                       -- who acted; NULL: the operator (command line)
    subject_id  BIGINT,                       -- the user impersonated, NULL when nobody was
    auth_method TEXT        NOT NULL,         -- bearer, impersonation or system
    action      TEXT        NOT NULL,         -- OWASP logging vocabulary where it fits
    target_type TEXT        NOT NULL DEFAULT '',
    target_id   TEXT        NOT NULL DEFAULT '',
    before_json TEXT,                         -- changed fields before, a JSON object
    after_json  TEXT,                         -- changed fields after, a JSON object
    client_ip   TEXT        NOT NULL DEFAULT '',
    user_agent  TEXT        NOT NULL DEFAULT '', -- escaped: no control characters
    request_id  TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX audit_logs_occurred_at ON audit_logs (occurred_at, id);
CREATE INDEX audit_logs_actor ON audit_logs (actor_id, id);
CREATE INDEX audit_logs_subject ON audit_logs (subject_id, id);
CREATE INDEX audit_logs_target ON audit_logs (target_type, target_id, id);

-- +goose StatementBegin
CREATE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_logs_no_change BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_append_only();

-- +goose Down
DROP TABLE audit_logs;
DROP FUNCTION audit_logs_append_only();
