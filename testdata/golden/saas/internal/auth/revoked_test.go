package auth

import (
	"context"
	"testing"
	"time"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/users"
)

// authenticates fails t unless every token is accepted (want true) or
// every one refused with 401 (want false).
func authenticates(t *testing.T, s *Service, want bool, tokens ...string) {
	t.Helper()
	for i, tok := range tokens {
		_, err := s.Authenticate(context.Background(), tok)
		switch {
		case want && err != nil:
			t.Errorf("access token %d refused: %v", i, err)
		case !want && apperr.CodeOf(err) != apperr.Unauthorized:
			t.Errorf("access token %d: %v, want 401", i, err)
		}
	}
}

func login(t *testing.T, s *Service, email string) TokenPair {
	t.Helper()
	p, err := s.Login(context.Background(), email, pw, "ip")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Logout ends the access tokens of its sign-in at once, those issued
// before a refresh too; the user's other sign-ins go on.
func TestLogoutEndsAccessTokens(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, testConfig())
	register(t, s, "l@example.com")
	p1, other := login(t, s, "l@example.com"), login(t, s, "l@example.com")
	p2, err := s.Refresh(ctx, p1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	authenticates(t, s, true, p1.AccessToken, p2.AccessToken, other.AccessToken)
	if err := s.Logout(ctx, p2.RefreshToken); err != nil {
		t.Fatal(err)
	}
	authenticates(t, s, false, p1.AccessToken, p2.AccessToken)
	authenticates(t, s, true, other.AccessToken)
}

// Reusing a spent refresh token revokes its family: every access token of
// the family is refused, other sign-ins are not.
func TestReuseEndsAccessTokens(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, testConfig())
	register(t, s, "u@example.com")
	p1, other := login(t, s, "u@example.com"), login(t, s, "u@example.com")
	p2, err := s.Refresh(ctx, p1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	p3, err := s.Refresh(ctx, p2.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refresh(ctx, p1.RefreshToken); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Fatalf("replayed refresh token: %v", err)
	}
	authenticates(t, s, false, p1.AccessToken, p2.AccessToken, p3.AccessToken)
	authenticates(t, s, true, other.AccessToken)
}

// A password reset ends every sign-in of the user, access tokens included,
// and no other user's.
func TestResetEndsAccessTokens(t *testing.T) {
	ctx := context.Background()
	s, box := newTestService(t, testConfig())
	register(t, s, "r@example.com")
	register(t, s, "bystander@example.com")
	a, b := login(t, s, "r@example.com"), login(t, s, "r@example.com")
	bystander := login(t, s, "bystander@example.com")
	if err := s.ForgotPassword(ctx, "r@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := s.ResetPassword(ctx, box.last(t, KindPasswordReset).Token, "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	authenticates(t, s, false, a.AccessToken, b.AccessToken)
	authenticates(t, s, true, bystander.AccessToken)
}

// Two instances over one database: a logout on one is refused on the
// other once it has read the database again, at most syncEvery later.
func TestRevocationsAcrossInstances(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	newInstance := func() *Service {
		s, err := New(db, users.NewSQLStore(db), testConfig(), &inbox{}, quiet)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := newInstance(), newInstance()
	register(t, a, "x@example.com")
	p := login(t, a, "x@example.com")
	authenticates(t, b, true, p.AccessToken)
	if err := a.Logout(ctx, p.RefreshToken); err != nil {
		t.Fatal(err)
	}
	authenticates(t, a, false, p.AccessToken)
	start := time.Now()
	b.sessions.revoked.now = func() time.Time { return start.Add(syncEvery) }
	authenticates(t, b, false, p.AccessToken)

	// A third instance started later learns of it at its first request.
	authenticates(t, newInstance(), false, p.AccessToken)
}

// The set forgets a session once its access tokens have expired, so it
// holds at most the revocations of one access-token lifetime.
func TestRevocationsForget(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, testConfig())
	r := s.sessions.revoked
	start := time.Now()
	r.add("gone", start)
	if revoked, err := r.revoked(ctx, "gone"); err != nil || !revoked {
		t.Fatalf("just revoked: %v, %v", revoked, err)
	}
	r.now = func() time.Time { return start.Add(r.window) }
	if revoked, err := r.revoked(ctx, "gone"); err != nil || revoked {
		t.Fatalf("after the window: %v, %v; want forgotten", revoked, err)
	}
	if n := len(r.until); n != 0 {
		t.Fatalf("%d sessions kept after the window", n)
	}
}
