package auth

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// syncEvery is how often an instance reads the sessions other instances
// revoked: the longest an access token of a session revoked elsewhere is
// still accepted here.
const syncEvery = 5 * time.Second

// revocations is the set of sign-ins (refresh-token families) revoked
// recently enough that an access token of theirs may not have expired yet.
// Authenticate refuses the access tokens of these sessions, so logout and
// reuse detection end a sign-in at once, not when its access token expires.
//
// The database is the record (auth_refresh_tokens.revoked_at); each
// instance keeps the set in memory, checks it in a map lookup, adds its own
// revocations at once, and reads what changed at most every syncEvery. An
// entry is dropped once every access token of its session has expired: no
// new one is issued after a revocation, so that is at most window (the
// access-token lifetime plus the leeway) after the set learned of it.
type revocations struct {
	db     *sql.DB
	window time.Duration
	now    func() time.Time

	syncMu sync.Mutex // one reader of the database at a time
	mu     sync.RWMutex
	until  map[string]time.Time // session id -> when to forget it
	synced time.Time            // when the database was last read; zero: never
}

func newRevocations(db *sql.DB, accessTTL time.Duration) *revocations {
	return &revocations{db: db, window: accessTTL + Leeway, now: time.Now, until: map[string]time.Time{}}
}

// revoked reports whether session sid was revoked. It reads the database
// first when the last read is more than syncEvery old; if another request
// is reading it, the set as it is answers.
func (r *revocations) revoked(ctx context.Context, sid string) (bool, error) {
	now := r.now()
	r.mu.RLock()
	until, ok := r.until[sid]
	stale := now.Sub(r.synced) >= syncEvery
	r.mu.RUnlock()
	if stale && r.syncMu.TryLock() {
		err := r.syncLocked(ctx)
		r.syncMu.Unlock()
		if err != nil {
			return false, err
		}
		r.mu.RLock()
		until, ok = r.until[sid]
		r.mu.RUnlock()
	}
	return ok && now.Before(until), nil
}

// add records that this instance revoked session sid at time at.
func (r *revocations) add(sid string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.until[sid] = at.Add(r.window)
}

// sync reads the sessions revoked since the last read, waiting for a read
// in progress. The service calls it after revoking sessions it cannot name
// (all of a user's), so they are refused here at once.
func (r *revocations) sync(ctx context.Context) error {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	return r.syncLocked(ctx)
}

func (r *revocations) syncLocked(ctx context.Context) error {
	now := r.now()
	// Read back one interval further than the last read: a revocation
	// stamped just before it may have committed just after, or come from an
	// instance whose clock is a little behind.
	since := r.synced.Add(-syncEvery)
	if r.synced.IsZero() {
		since = now.Add(-r.window)
	}
	rows, err := r.db.QueryContext(ctx,
		`SELECT DISTINCT family_id FROM auth_refresh_tokens WHERE revoked_at > $1`,
		since.UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("read revoked sessions: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("read revoked sessions: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read revoked sessions: %w", err)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	for id, until := range r.until {
		if !now.Before(until) {
			delete(r.until, id)
		}
	}
	for _, id := range ids {
		// Revoked before now, so its last access token expires before
		// now+window.
		if _, ok := r.until[id]; !ok {
			r.until[id] = now.Add(r.window)
		}
	}
	r.synced = now
	return nil
}
