package auth

import (
	"context"
	"testing"
	"time"
)

// PurgeExpired keeps every refresh token of a live sign-in (reuse of an
// old one must still revoke it) and deletes those of sign-ins past their
// absolute lifetime plus the access-token lifetime, and expired one-time
// tokens.
func TestPurgeExpired(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig()
	cfg.RefreshTTL, cfg.SessionMaxAge = time.Hour, 2*time.Hour
	s, _ := newTestService(t, cfg)
	register(t, s, "p@example.com") // issues a verification token (24 h or less)
	p, err := s.Login(ctx, "p@example.com", pw, "ip")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refresh(ctx, p.RefreshToken); err != nil { // one used row, one live row
		t.Fatal(err)
	}
	count := func(table string) int {
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	start := time.Now()
	at := func(d time.Duration) { s.sessions.now = func() time.Time { return start.Add(d) } }

	at(2*time.Hour + 5*time.Minute) // the sign-in is over, but its access tokens may be live
	n, err := s.PurgeExpired(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := count("auth_refresh_tokens"); got != 2 {
		t.Fatalf("within the access-token lifetime after the sign-in ended: %d refresh rows left, want 2 (purged %d)", got, n)
	}

	at(72 * time.Hour)
	n, err = s.PurgeExpired(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := count("auth_refresh_tokens"); got != 0 || n < 2 {
		t.Fatalf("three days later: %d refresh rows left, %d purged; want 0 left, at least 2 purged", got, n)
	}
	if got := count("auth_one_time_tokens"); got != 0 {
		t.Fatalf("three days later: %d one-time tokens left, want 0", got)
	}
}
