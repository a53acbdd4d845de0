-- +goose Up
-- The address a one-time token was sent to: a reset or verification token
-- proves control of that address only, never of one the account has
-- switched to since. Tokens issued before this column are refused.
ALTER TABLE auth_one_time_tokens ADD COLUMN email TEXT;
-- A password reset spends the user's other reset tokens.
CREATE INDEX auth_one_time_tokens_user ON auth_one_time_tokens (user_id, purpose);

-- +goose Down
DROP INDEX auth_one_time_tokens_user;
ALTER TABLE auth_one_time_tokens DROP COLUMN email;
