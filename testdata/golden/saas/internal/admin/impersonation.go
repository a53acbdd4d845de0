package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/audit"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/security"
	"example.com/myapp/internal/users"
)

// TokenIssuer mints and checks impersonation tokens: the built-in sign-in
// (auth.Service) is one.
type TokenIssuer interface {
	IssueImpersonation(subjectID, actorID int64, sessionID string, ttl time.Duration) (string, time.Time, error)
	VerifyImpersonation(token string) (users.Impersonation, error)
}

// Impersonations lets an admin act as a user, modelled on Clerk's actor
// tokens: a reason is required, the token lives at most 10 minutes, names
// the admin in its "act" claim (RFC 8693) and has no refresh token, and
// Stop ends it at once on every instance (each request reads its row).
// Nobody impersonates themself, an admin, or while impersonating.
type Impersonations struct {
	db     *sql.DB
	tokens TokenIssuer
	audit  *audit.Log
	ttl    time.Duration
	now    func() time.Time
}

// NewImpersonations returns the impersonations stored in db, with tokens
// from tokens that live ttl, audited in log.
func NewImpersonations(db *sql.DB, tokens TokenIssuer, log *audit.Log, ttl time.Duration) *Impersonations {
	return &Impersonations{db: db, tokens: tokens, audit: log, ttl: ttl, now: time.Now}
}

// Session is an impersonation.
type Session struct {
	ID        string
	ActorID   int64
	SubjectID int64
	Reason    string
	StartedAt time.Time
	ExpiresAt time.Time
}

// Started is the answer to Start: the token and its session.
type Started struct {
	Token string
	Session
}

// MaxReason is the longest reason accepted, in characters.
const MaxReason = 500

// Start lets actor (an admin, checked by the route) act as target. Errors:
// apperr.Forbidden while impersonating, for oneself, or for a target whose
// role is admin or above; apperr.Invalid for a missing reason.
func (m *Impersonations) Start(ctx context.Context, actor, target users.User, reason string) (Started, error) {
	if err := users.ForbidWhileImpersonating(ctx); err != nil {
		return Started{}, err
	}
	if actor.ID == target.ID {
		return Started{}, apperr.Errorf(apperr.Forbidden, "you cannot impersonate yourself")
	}
	if !actor.Role.AtLeast(users.RoleAdmin) || target.Role.AtLeast(users.RoleAdmin) {
		return Started{}, apperr.Errorf(apperr.Forbidden, "only users below the admin role can be impersonated")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxReason || !utf8.ValidString(reason) {
		return Started{}, apperr.Field("reason", fmt.Sprintf("must say why, in 1 to %d characters", MaxReason))
	}
	now := m.now().UTC().Truncate(time.Microsecond)
	s := Session{ID: security.Token(), ActorID: actor.ID, SubjectID: target.ID, Reason: reason, StartedAt: now}
	token, exp, err := m.tokens.IssueImpersonation(target.ID, actor.ID, s.ID, m.ttl)
	if err != nil {
		return Started{}, err
	}
	s.ExpiresAt = exp.UTC().Truncate(time.Microsecond)

	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return Started{}, fmt.Errorf("start impersonation: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	_, err = tx.ExecContext(ctx,
		`INSERT INTO admin_impersonations (id, actor_id, subject_id, reason, started_at, expires_at)
		 VALUES ($1, $2, $3, $4, $5, $6)`, s.ID, s.ActorID, s.SubjectID, s.Reason, s.StartedAt, s.ExpiresAt)
	if err != nil {
		return Started{}, fmt.Errorf("start impersonation: %w", err)
	}
	err = m.audit.Record(ctx, tx, audit.Entry{
		Action: audit.ActionImpersonate, TargetType: "user", TargetID: strconv.FormatInt(target.ID, 10),
		After: map[string]any{"impersonation": s.ID, "reason": s.Reason, "expires_at": s.ExpiresAt},
	})
	if err != nil {
		return Started{}, err
	}
	if err := tx.Commit(); err != nil {
		return Started{}, fmt.Errorf("start impersonation: %w", err)
	}
	return Started{Token: token, Session: s}, nil
}

// Stop ends the impersonation id: its token is refused from now on. An
// unknown or already ended one is an apperr.NotFound error.
func (m *Impersonations) Stop(ctx context.Context, id string) error {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("stop impersonation: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	now := m.now().UTC().Truncate(time.Microsecond)
	var subject int64
	err = tx.QueryRowContext(ctx,
		`UPDATE admin_impersonations SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL AND expires_at > $2
		 RETURNING subject_id`, id, now).Scan(&subject)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.Errorf(apperr.NotFound, "no such impersonation is going on")
	}
	if err != nil {
		return fmt.Errorf("stop impersonation: %w", err)
	}
	err = m.audit.Record(ctx, tx, audit.Entry{
		Action: audit.ActionUnimpersonate, TargetType: "user", TargetID: strconv.FormatInt(subject, 10),
		After: map[string]any{"impersonation": id},
	})
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("stop impersonation: %w", err)
	}
	return nil
}

// Active lists the impersonations going on, newest first.
func (m *Impersonations) Active(ctx context.Context) ([]Session, error) {
	rows, err := m.db.QueryContext(ctx,
		`SELECT id, actor_id, subject_id, reason, started_at, expires_at FROM admin_impersonations
		 WHERE ended_at IS NULL AND expires_at > $1 ORDER BY started_at DESC, id LIMIT 1000`,
		m.now().UTC().Truncate(time.Microsecond))
	if err != nil {
		return nil, fmt.Errorf("list impersonations: %w", err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		var s Session
		if err := rows.Scan(&s.ID, &s.ActorID, &s.SubjectID, &s.Reason, &s.StartedAt, &s.ExpiresAt); err != nil {
			return nil, fmt.Errorf("list impersonations: %w", err)
		}
		s.StartedAt, s.ExpiresAt = s.StartedAt.UTC(), s.ExpiresAt.UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// live reports whether the impersonation imp names is going on.
func (m *Impersonations) live(ctx context.Context, imp users.Impersonation) (bool, error) {
	var n int
	err := m.db.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM admin_impersonations
		 WHERE id = $1 AND actor_id = $2 AND subject_id = $3 AND ended_at IS NULL AND expires_at > $4`,
		imp.SessionID, imp.ActorID, imp.SubjectID, m.now().UTC().Truncate(time.Microsecond)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check impersonation: %w", err)
	}
	return n == 1, nil
}

// ImpersonatedByHeader names the acting admin on every answer to an
// impersonation token, so a client can show that someone is impersonating.
const ImpersonatedByHeader = "Impersonated-By"

// Middleware marks a request whose bearer token is the token of a live
// impersonation (see users.WithImpersonation); only such a request gets
// an impersonation token past the guard. Any other token passes unmarked,
// for the guard to judge. It belongs in the chain's Inner stage, before
// the audit log's middleware.
func (m *Impersonations) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := users.BearerToken(r.Header.Get("Authorization"))
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		imp, err := m.tokens.VerifyImpersonation(token)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		live, err := m.live(r.Context(), imp)
		if err != nil {
			httpx.Error(w, r, apperr.Errorf(apperr.Unavailable, "cannot check the impersonation; retry later"))
			return
		}
		if !live {
			next.ServeHTTP(w, r) // ended or expired: the guard answers 401
			return
		}
		w.Header().Set(ImpersonatedByHeader, strconv.FormatInt(imp.ActorID, 10))
		next.ServeHTTP(w, r.WithContext(users.WithImpersonation(r.Context(), imp)))
	})
}
