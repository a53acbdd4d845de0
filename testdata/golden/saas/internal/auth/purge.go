package auth

import (
	"context"
	"fmt"
)

// PurgeExpired deletes what can no longer be used: refresh tokens of
// sign-ins past their absolute lifetime, once every access token issued
// from them has expired too (so revocation checks lose nothing), and
// one-time tokens past their expiry. A refresh token of a live sign-in is
// kept even when expired or used: presenting it again must still revoke
// the sign-in. It returns the number of rows deleted; the jobs feature
// runs it periodically.
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	now := s.sessions.timestamp()
	res, err := s.db.ExecContext(ctx,
		"DELETE FROM auth_refresh_tokens WHERE family_expires_at < $1", now.Add(-s.cfg.AccessTTL-Leeway))
	if err != nil {
		return 0, fmt.Errorf("purge refresh tokens: %w", err)
	}
	refresh, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge refresh tokens: %w", err)
	}
	res, err = s.db.ExecContext(ctx, "DELETE FROM auth_one_time_tokens WHERE expires_at < $1", now)
	if err != nil {
		return refresh, fmt.Errorf("purge one-time tokens: %w", err)
	}
	oneTime, err := res.RowsAffected()
	if err != nil {
		return refresh, fmt.Errorf("purge one-time tokens: %w", err)
	}
	return refresh + oneTime, nil
}
