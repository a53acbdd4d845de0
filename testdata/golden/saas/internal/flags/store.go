package flags

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db"
)

// Patch holds the fields of a flag to change; nil fields stay as they are.
type Patch struct {
	Description *string
	Type        *Type
	Enabled     *bool
	Percentage  *int
	// UserIDs replaces the whole user list.
	UserIDs *[]int64
	Plans   *[]string
	// ExpiresAt sets the expiry; ClearExpiry removes it.
	ExpiresAt   *time.Time
	ClearExpiry bool
}

// Store persists flags. Errors are *apperr.Error values with the codes
// named below; any other error is internal.
type Store interface {
	// List returns every flag, by key.
	List(ctx context.Context) ([]Flag, error)
	// Get returns the flag with key, or an apperr.NotFound error.
	Get(ctx context.Context, key string) (Flag, error)
	// Create stores f, made by the user with id by (0: unknown). A taken
	// key is an apperr.Conflict error; an invalid field, or a user id with
	// no live user, an apperr.Invalid one.
	Create(ctx context.Context, f Flag, by int64) (Flag, error)
	// Update applies p to the flag with key. Errors as for Create and Get.
	Update(ctx context.Context, key string, p Patch, by int64) (Flag, error)
	// Delete removes the flag with key, or returns an apperr.NotFound error.
	Delete(ctx context.Context, key string) error
	// AddUser puts userID on the flag's user list (already there: no
	// change); RemoveUser takes it off (not there: no change). An unknown
	// flag or user is an apperr.NotFound error.
	AddUser(ctx context.Context, key string, userID, by int64) (Flag, error)
	RemoveUser(ctx context.Context, key string, userID, by int64) (Flag, error)
}

// SQLStore is the Store over database/sql, portable between SQLite and
// PostgreSQL. User lists live in their own table, so adding a user is one
// insert; plans are a JSON array in the flag's row.
type SQLStore struct {
	db  *sql.DB
	now func() time.Time
	rec Recorder // nil: changes are not reported
}

// Actions of a Change.
const (
	ActionCreated     = "flag_created"
	ActionUpdated     = "flag_updated"
	ActionDeleted     = "flag_deleted"
	ActionUserAdded   = "flag_user_added"
	ActionUserRemoved = "flag_user_removed"
)

// Change is one change a store made by WithRecorder makes, as its
// Recorder sees it.
type Change struct {
	Action string // one of the Action constants
	Key    string
	// Before is the flag before the change, nil when it was created; After
	// is the flag after it, nil when it was deleted.
	Before, After *Flag
	// UserID is the user added or removed (ActionUserAdded/Removed).
	UserID int64
}

// Recorder is told of every change a store made by WithRecorder makes,
// inside the transaction that makes it: an error rolls the change back, so
// there is no change without its record. An audit log is one.
type Recorder interface {
	RecordFlagChange(ctx context.Context, tx *sql.Tx, c Change) error
}

// WithRecorder returns a store like s that reports every change to r, in
// the change's transaction.
func (s *SQLStore) WithRecorder(r Recorder) *SQLStore {
	c := *s
	c.rec = r
	return &c
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore returns a store over db, whose schema the migrations create.
func NewSQLStore(db *sql.DB) *SQLStore { return &SQLStore{db: db, now: time.Now} }

const columns = "key, description, type, enabled, percentage, plans, expires_at, created_by, updated_by, created_at, updated_at"

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *SQLStore) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// List implements Store.
func (s *SQLStore) List(ctx context.Context) ([]Flag, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+columns+" FROM feature_flags ORDER BY key")
	if err != nil {
		return nil, fmt.Errorf("list flags: %w", err)
	}
	var out []Flag
	index := map[string]int{}
	for rows.Next() {
		f, err := scan(rows)
		if err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("list flags: %w", err)
		}
		index[f.Key] = len(out)
		out = append(out, f)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("list flags: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, "SELECT flag_key, user_id FROM feature_flag_users ORDER BY flag_key, user_id")
	if err != nil {
		return nil, fmt.Errorf("list flag users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var id int64
		if err := rows.Scan(&key, &id); err != nil {
			return nil, fmt.Errorf("list flag users: %w", err)
		}
		if i, ok := index[key]; ok {
			out[i].UserIDs = append(out[i].UserIDs, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list flag users: %w", err)
	}
	return out, nil
}

// Get implements Store.
func (s *SQLStore) Get(ctx context.Context, key string) (Flag, error) {
	return get(ctx, s.db, key)
}

func get(ctx context.Context, q querier, key string) (Flag, error) {
	f, err := scan(q.QueryRowContext(ctx, "SELECT "+columns+" FROM feature_flags WHERE key = $1", key))
	if errors.Is(err, sql.ErrNoRows) {
		return Flag{}, notFound(key)
	}
	if err != nil {
		return Flag{}, fmt.Errorf("get flag: %w", err)
	}
	rows, err := q.QueryContext(ctx, "SELECT user_id FROM feature_flag_users WHERE flag_key = $1 ORDER BY user_id", key)
	if err != nil {
		return Flag{}, fmt.Errorf("get flag users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return Flag{}, fmt.Errorf("get flag users: %w", err)
		}
		f.UserIDs = append(f.UserIDs, id)
	}
	if err := rows.Err(); err != nil {
		return Flag{}, fmt.Errorf("get flag users: %w", err)
	}
	return f, nil
}

// Create implements Store.
func (s *SQLStore) Create(ctx context.Context, f Flag, by int64) (Flag, error) {
	if f.Plans == nil {
		f.Plans = []string{}
	}
	if err := f.validate(); err != nil {
		return Flag{}, err
	}
	if len(f.UserIDs) > MaxUsers {
		return Flag{}, apperr.Field("user_ids", "must list at most 10000 users")
	}
	now := s.timestamp()
	return s.inTx(ctx, Change{Action: ActionCreated, Key: f.Key}, func(tx *sql.Tx) error {
		plans, _ := json.Marshal(f.Plans)
		_, err := tx.ExecContext(ctx,
			`INSERT INTO feature_flags (key, description, type, enabled, percentage, plans, expires_at, created_by, updated_by, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $9)`,
			f.Key, f.Description, string(f.Type), f.Enabled, f.Percentage, string(plans), utc(f.ExpiresAt), userRef(by), now)
		if db.IsUniqueViolation(err) {
			return apperr.Errorf(apperr.Conflict, "a flag with key %q already exists", f.Key)
		}
		if err != nil {
			return fmt.Errorf("create flag: %w", err)
		}
		return setUsers(ctx, tx, f.Key, f.UserIDs)
	})
}

// Update implements Store.
func (s *SQLStore) Update(ctx context.Context, key string, p Patch, by int64) (Flag, error) {
	if p.UserIDs != nil && len(*p.UserIDs) > MaxUsers {
		return Flag{}, apperr.Field("user_ids", "must list at most 10000 users")
	}
	now := s.timestamp()
	return s.inTx(ctx, Change{Action: ActionUpdated, Key: key}, func(tx *sql.Tx) error {
		f, err := get(ctx, tx, key)
		if err != nil {
			return err
		}
		set(&f.Description, p.Description)
		set(&f.Type, p.Type)
		set(&f.Enabled, p.Enabled)
		set(&f.Percentage, p.Percentage)
		set(&f.Plans, p.Plans)
		if p.ExpiresAt != nil {
			f.ExpiresAt = p.ExpiresAt
		}
		if p.ClearExpiry {
			f.ExpiresAt = nil
		}
		if err := f.validate(); err != nil {
			return err
		}
		plans, _ := json.Marshal(f.Plans)
		if _, err := tx.ExecContext(ctx,
			`UPDATE feature_flags SET description = $2, type = $3, enabled = $4, percentage = $5, plans = $6,
			 expires_at = $7, updated_by = $8, updated_at = $9 WHERE key = $1`,
			key, f.Description, string(f.Type), f.Enabled, f.Percentage, string(plans), utc(f.ExpiresAt), userRef(by), now); err != nil {
			return fmt.Errorf("update flag: %w", err)
		}
		if p.UserIDs == nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM feature_flag_users WHERE flag_key = $1", key); err != nil {
			return fmt.Errorf("update flag users: %w", err)
		}
		return setUsers(ctx, tx, key, *p.UserIDs)
	})
}

// Delete implements Store.
func (s *SQLStore) Delete(ctx context.Context, key string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var before Flag
		if s.rec != nil {
			var err error
			if before, err = get(ctx, tx, key); err != nil {
				return err
			}
		}
		// Explicitly, rather than through ON DELETE CASCADE, so the result
		// does not depend on SQLite's foreign_keys pragma.
		if _, err := tx.ExecContext(ctx, "DELETE FROM feature_flag_users WHERE flag_key = $1", key); err != nil {
			return fmt.Errorf("delete flag users: %w", err)
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM feature_flags WHERE key = $1", key)
		if err != nil {
			return fmt.Errorf("delete flag: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound(key)
		}
		if s.rec != nil {
			return s.rec.RecordFlagChange(ctx, tx, Change{Action: ActionDeleted, Key: key, Before: &before})
		}
		return nil
	})
}

// AddUser implements Store.
func (s *SQLStore) AddUser(ctx context.Context, key string, userID, by int64) (Flag, error) {
	return s.changeUser(ctx, ActionUserAdded, key, userID, by,
		`INSERT INTO feature_flag_users (flag_key, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`)
}

// RemoveUser implements Store.
func (s *SQLStore) RemoveUser(ctx context.Context, key string, userID, by int64) (Flag, error) {
	return s.changeUser(ctx, ActionUserRemoved, key, userID, by,
		`DELETE FROM feature_flag_users WHERE flag_key = $1 AND user_id = $2`)
}

func (s *SQLStore) changeUser(ctx context.Context, action, key string, userID, by int64, stmt string) (Flag, error) {
	now := s.timestamp()
	return s.inTx(ctx, Change{Action: action, Key: key, UserID: userID}, func(tx *sql.Tx) error {
		if _, err := get(ctx, tx, key); err != nil {
			return err
		}
		if err := liveUser(ctx, tx, userID); err != nil {
			return apperr.Errorf(apperr.NotFound, "no user with id %d", userID)
		}
		if _, err := tx.ExecContext(ctx, stmt, key, userID); err != nil {
			return fmt.Errorf("change flag users: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE feature_flags SET updated_by = $2, updated_at = $3 WHERE key = $1", key, userRef(by), now); err != nil {
			return fmt.Errorf("change flag users: %w", err)
		}
		return nil
	})
}

// inTx runs fn in a transaction and returns the flag c.Key as it is after
// it. With a recorder, c (with the flag before and after) is recorded in
// the same transaction.
func (s *SQLStore) inTx(ctx context.Context, c Change, fn func(*sql.Tx) error) (Flag, error) {
	var f Flag
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if s.rec != nil && c.Action != ActionCreated {
			// A missing flag is fn's error to report, so it is not one here.
			if before, err := get(ctx, tx, c.Key); err == nil {
				c.Before = &before
			}
		}
		if err := fn(tx); err != nil {
			return err
		}
		var err error
		if f, err = get(ctx, tx, c.Key); err != nil {
			return err
		}
		if s.rec == nil {
			return nil
		}
		c.After = &f
		return s.rec.RecordFlagChange(ctx, tx, c)
	})
	return f, err
}

// tx runs fn in a transaction, committed if fn returns nil.
func (s *SQLStore) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// setUsers puts ids on the (empty) user list of key; each must be a live user.
func setUsers(ctx context.Context, tx *sql.Tx, key string, ids []int64) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if err := liveUser(ctx, tx, id); err != nil {
			return apperr.Field("user_ids", fmt.Sprintf("no user with id %d", id))
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO feature_flag_users (flag_key, user_id) VALUES ($1, $2)", key, id); err != nil {
			return fmt.Errorf("set flag users: %w", err)
		}
	}
	return nil
}

// liveUser returns an error unless a user with id exists and is not deleted.
func liveUser(ctx context.Context, q querier, id int64) error {
	var one int
	return q.QueryRowContext(ctx, "SELECT 1 FROM users WHERE id = $1 AND deleted_at IS NULL", id).Scan(&one)
}

type scanner interface{ Scan(dest ...any) error }

func scan(row scanner) (Flag, error) {
	var (
		f          Flag
		typ, plans string
		expires    sql.NullTime
		cby, uby   sql.NullInt64
	)
	if err := row.Scan(&f.Key, &f.Description, &typ, &f.Enabled, &f.Percentage, &plans, &expires, &cby, &uby, &f.CreatedAt, &f.UpdatedAt); err != nil {
		return Flag{}, err
	}
	f.Type = Type(typ)
	if err := json.Unmarshal([]byte(plans), &f.Plans); err != nil {
		return Flag{}, fmt.Errorf("flag %q: plans: %w", f.Key, err)
	}
	if expires.Valid {
		t := expires.Time.UTC()
		f.ExpiresAt = &t
	}
	f.CreatedBy, f.UpdatedBy = cby.Int64, uby.Int64
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	return f, nil
}

func notFound(key string) error { return apperr.Errorf(apperr.NotFound, "no flag with key %q", key) }

// set assigns *p to *dst when p is not nil.
func set[T any](dst *T, p *T) {
	if p != nil {
		*dst = *p
	}
}

// utc is t in UTC at microsecond precision, or nil.
func utc(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// userRef is the value of a created_by/updated_by column: NULL for 0.
func userRef(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// PlanSource tells which plan a user is on, for plan_based flags. It is
// the one thing a billing feature implements to drive them from its
// subscriptions; without one, SQLPlans reads the plan the application set.
type PlanSource interface {
	// PlanOf returns the plan of the user with id, "" for none (also for
	// an unknown user).
	PlanOf(ctx context.Context, userID int64) (string, error)
}

// SQLPlans is the PlanSource over the users table's plan column, which
// the application sets with SetPlan (or `server flags plan`).
type SQLPlans struct{ db *sql.DB }

var _ PlanSource = SQLPlans{}

// NewSQLPlans returns the plans stored in db.
func NewSQLPlans(db *sql.DB) SQLPlans { return SQLPlans{db: db} }

// PlanOf implements PlanSource.
func (p SQLPlans) PlanOf(ctx context.Context, userID int64) (string, error) {
	var plan string
	err := p.db.QueryRowContext(ctx, "SELECT plan FROM users WHERE id = $1 AND deleted_at IS NULL", userID).Scan(&plan)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("plan of user %d: %w", userID, err)
	}
	return plan, nil
}

// SetPlan sets the plan of the user with id ("" for none). An unknown user
// is an apperr.NotFound error, a malformed plan an apperr.Invalid one.
func (p SQLPlans) SetPlan(ctx context.Context, userID int64, plan string) error {
	if plan != "" && !planPattern.MatchString(plan) {
		return apperr.Field("plan", "must be 1 to 50 characters of a-z, 0-9, '.', '_', '-'")
	}
	res, err := p.db.ExecContext(ctx, "UPDATE users SET plan = $2 WHERE id = $1 AND deleted_at IS NULL", userID, plan)
	if err != nil {
		return fmt.Errorf("set plan: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.Errorf(apperr.NotFound, "no user with id %d", userID)
	}
	return nil
}
