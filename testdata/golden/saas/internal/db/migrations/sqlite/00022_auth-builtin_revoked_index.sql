-- +goose Up
-- Each instance reads the sign-ins revoked since its last look every few
-- seconds (internal/auth/revoked.go): only revoked rows are indexed.
CREATE INDEX auth_refresh_tokens_revoked ON auth_refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;

-- +goose Down
DROP INDEX auth_refresh_tokens_revoked;
