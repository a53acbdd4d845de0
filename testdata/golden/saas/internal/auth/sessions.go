package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/security"
)

// sessions stores refresh tokens and one-time tokens, hashed (a database
// leak yields nothing usable; the tokens have 256 bits of entropy, so a
// plain SHA-256 is enough).
type sessions struct {
	db      *sql.DB
	now     func() time.Time
	ttl     time.Duration // lifetime of one refresh token
	maxAge  time.Duration // absolute lifetime of a family (a sign-in)
	log     *slog.Logger
	revoked *revocations // every revocation is added to it
}

var errInvalidRefresh = apperr.Errorf(apperr.Unauthorized, "invalid refresh token")

func (s *sessions) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// start begins a new family for the user and returns its first token and
// the family's id, the session id of its access tokens.
func (s *sessions) start(ctx context.Context, userID int64) (token, family string, err error) {
	now := s.timestamp()
	token, family = security.Token(), security.Token()
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO auth_refresh_tokens (token_hash, family_id, user_id, expires_at, family_expires_at, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6)`,
		security.HashToken(token), family, userID, now.Add(min(s.ttl, s.maxAge)), now.Add(s.maxAge), now)
	if err != nil {
		return "", "", fmt.Errorf("store refresh token: %w", err)
	}
	return token, family, nil
}

// rotate spends token and returns its user, its family and the family's
// next token.
// The spend is one conditional UPDATE, so of two concurrent calls with the
// same token exactly one succeeds. Presenting a token that was already
// spent revokes its whole family: either the client or a thief holds a
// copy, and the server cannot tell which (RFC 9700 §4.14.2).
func (s *sessions) rotate(ctx context.Context, token string) (userID int64, family, next string, err error) {
	hash := security.HashToken(token)
	now := s.timestamp()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, "", "", fmt.Errorf("rotate refresh token: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	var familyExp time.Time
	err = tx.QueryRowContext(ctx,
		`UPDATE auth_refresh_tokens SET used_at = $2
		 WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 AND family_expires_at > $2
		 RETURNING user_id, family_id, family_expires_at`, hash, now).Scan(&userID, &family, &familyExp)
	if errors.Is(err, sql.ErrNoRows) {
		_ = tx.Rollback()
		return 0, "", "", s.refused(ctx, hash, now)
	}
	if err != nil {
		return 0, "", "", fmt.Errorf("rotate refresh token: %w", err)
	}
	next = security.Token()
	_, err = tx.ExecContext(ctx,
		`INSERT INTO auth_refresh_tokens (token_hash, family_id, user_id, expires_at, family_expires_at, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6)`,
		security.HashToken(next), family, userID, minTime(now.Add(s.ttl), familyExp.UTC()), familyExp.UTC(), now)
	if err != nil {
		return 0, "", "", fmt.Errorf("rotate refresh token: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, "", "", fmt.Errorf("rotate refresh token: %w", err)
	}
	return userID, family, next, nil
}

// refused explains a failed spend: a known, already spent, not revoked token
// is a replay, and its family is revoked.
func (s *sessions) refused(ctx context.Context, hash string, now time.Time) error {
	var (
		family        string
		userID        int64
		used, revoked sql.NullTime
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT family_id, user_id, used_at, revoked_at FROM auth_refresh_tokens WHERE token_hash = $1`, hash).
		Scan(&family, &userID, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return errInvalidRefresh
	}
	if err != nil {
		return fmt.Errorf("check refresh token: %w", err)
	}
	if used.Valid && !revoked.Valid {
		if err := s.revokeFamily(ctx, family, now); err != nil {
			return err
		}
		// OWASP logging vocabulary: authn_token_reuse.
		s.log.WarnContext(ctx, "refresh token reused; session revoked", "event", "authn_token_reuse:"+fmt.Sprint(userID), "user_id", userID)
	}
	return errInvalidRefresh
}

func (s *sessions) revokeFamily(ctx context.Context, family string, now time.Time) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE auth_refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`, family, now)
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	s.revoked.add(family, now)
	return nil
}

// revoke ends the sign-in token belongs to. Unknown tokens are ignored.
func (s *sessions) revoke(ctx context.Context, token string) error {
	var family string
	err := s.db.QueryRowContext(ctx, `SELECT family_id FROM auth_refresh_tokens WHERE token_hash = $1`, security.HashToken(token)).Scan(&family)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return s.revokeFamily(ctx, family, s.timestamp())
}

// revokeUser ends every sign-in of the user (after a password reset).
func (s *sessions) revokeUser(ctx context.Context, userID int64) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE auth_refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, userID, s.timestamp())
	if err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return s.revoked.sync(ctx)
}

// Purposes of one-time tokens.
const (
	purposeReset  = "password_reset"
	purposeVerify = "email_verification"
)

// errOneTime is the one answer to a one-time token that cannot be used.
var errOneTime = apperr.Errorf(apperr.Invalid, "the link is invalid or has expired; ask for a new one")

// issueOneTime stores a single-use token for purpose, sent to email, and
// returns it.
func (s *sessions) issueOneTime(ctx context.Context, userID int64, email, purpose string, ttl time.Duration) (string, error) {
	now := s.timestamp()
	token := security.Token()
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO auth_one_time_tokens (token_hash, user_id, email, purpose, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		security.HashToken(token), userID, email, purpose, now.Add(ttl), now)
	if err != nil {
		return "", fmt.Errorf("store %s token: %w", purpose, err)
	}
	return token, nil
}

// lookupOneTime returns the user and the address of a usable token of
// purpose without spending it, refusing the same tokens consumeOneTime
// does. It is a cheap check made before expensive work (an argon2id hash)
// that only a usable token should cause; consumeOneTime still decides.
func (s *sessions) lookupOneTime(ctx context.Context, token, purpose string) (userID int64, email string, err error) {
	var sentTo sql.NullString
	err = s.db.QueryRowContext(ctx,
		`SELECT user_id, email FROM auth_one_time_tokens
		 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`,
		security.HashToken(token), purpose, s.timestamp()).Scan(&userID, &sentTo)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", errOneTime
	}
	if err != nil {
		return 0, "", fmt.Errorf("look up %s token: %w", purpose, err)
	}
	return userID, sentTo.String, nil
}

// consumeOneTime spends a token of purpose and returns its user and the
// address it was sent to ("" for a token issued before addresses were
// recorded); a token that is unknown, used, expired or for another purpose
// is refused.
func (s *sessions) consumeOneTime(ctx context.Context, token, purpose string) (userID int64, email string, err error) {
	now := s.timestamp()
	var sentTo sql.NullString
	err = s.db.QueryRowContext(ctx,
		`UPDATE auth_one_time_tokens SET used_at = $3
		 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id, email`,
		security.HashToken(token), purpose, now).Scan(&userID, &sentTo)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", errOneTime
	}
	if err != nil {
		return 0, "", fmt.Errorf("use %s token: %w", purpose, err)
	}
	return userID, sentTo.String, nil
}

// spendOneTime spends every unused token of purpose of the user (after a
// password reset, the other reset links die with the one used).
func (s *sessions) spendOneTime(ctx context.Context, userID int64, purpose string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE auth_one_time_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
		userID, purpose, s.timestamp())
	if err != nil {
		return fmt.Errorf("spend %s tokens: %w", purpose, err)
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
