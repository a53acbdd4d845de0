package users

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db"
	"example.com/myapp/internal/security"
)

// DB is what SQLStore needs from a database: a *sql.DB, or a *sql.Tx when
// the caller wants the store inside its own transaction.
type DB interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// SQLStore is the Store over database/sql, portable between SQLite and
// PostgreSQL ($N placeholders, RETURNING, partial indexes, timestamps
// written by Go in UTC at microsecond precision).
//
// Every piece of SQL is a constant or built from constants: filters and
// cursors travel as parameters, and sort keys are looked up in an
// allow-list, so no request value is ever spliced into a query.
type SQLStore struct {
	db  DB
	now func() time.Time
	rec Recorder // nil: changes are not reported
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore returns a store over db, whose schema the migrations create.
func NewSQLStore(db DB) *SQLStore {
	return &SQLStore{db: db, now: time.Now}
}

// Change is one change Update or Delete made to a user, as a Recorder sees it.
type Change struct {
	Before User
	// After is the user as changed, or nil when it was deleted.
	After *User
}

// Recorder is told of every change a store made by WithRecorder makes,
// inside the transaction that makes it: an error rolls the change back, so
// there is no change without its record. An audit log is one.
type Recorder interface {
	RecordUserChange(ctx context.Context, tx DB, c Change) error
}

// WithRecorder returns a store like s that reports every change Update and
// Delete make to r, in the same transaction.
func (s *SQLStore) WithRecorder(r Recorder) *SQLStore {
	c := *s
	c.rec = r
	return &c
}

// on returns s over db (a transaction), without the recorder.
func (s *SQLStore) on(db DB) *SQLStore { return &SQLStore{db: db, now: s.now} }

// inTx runs fn in a transaction of s's database, or in the caller's own
// when s was made over a *sql.Tx.
func (s *SQLStore) inTx(ctx context.Context, fn func(tx DB) error) error {
	b, ok := s.db.(interface {
		BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
	})
	if !ok {
		return fn(s.db)
	}
	tx, err := b.BeginTx(ctx, nil)
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

// recorded runs write in a transaction that first reads the user as it is
// at version and then hands the change to the recorder.
func (s *SQLStore) recorded(ctx context.Context, id, version int64, write func(st *SQLStore) (*User, error)) (*User, error) {
	var after *User
	err := s.inTx(ctx, func(tx DB) error {
		st := s.on(tx)
		before, err := st.Get(ctx, id)
		if err != nil {
			return err
		}
		if before.Version != version {
			return stale()
		}
		if after, err = write(st); err != nil {
			return err
		}
		return s.rec.RecordUserChange(ctx, tx, Change{Before: before, After: after})
	})
	return after, err
}

const columns = "id, email, name, role, email_verified_at, version, created_at, updated_at"

func (s *SQLStore) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// NormalizeEmail is how emails are stored and compared: trimmed, lower case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func validateFields(email, name *string, role *Role) error {
	var fe apperr.FieldErrors
	if email != nil && !security.ValidEmail(*email) {
		fe = append(fe, apperr.FieldError{Field: "email", Message: "must be an email address such as ada@example.com"})
	}
	if name != nil && (utf8.RuneCountInString(*name) > 200 || !utf8.ValidString(*name)) {
		fe = append(fe, apperr.FieldError{Field: "name", Message: "must be valid UTF-8 of at most 200 characters"})
	}
	if role != nil && !role.Valid() {
		fe = append(fe, apperr.FieldError{Field: "role", Message: "must be one of user, admin, superadmin"})
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

// Create implements Store.
func (s *SQLStore) Create(ctx context.Context, n New) (User, error) {
	n.Email = NormalizeEmail(n.Email)
	if n.Role == "" {
		n.Role = RoleUser
	}
	var email *string
	if n.Email != "" {
		email = &n.Email
	}
	if err := validateFields(email, &n.Name, &n.Role); err != nil {
		return User{}, err
	}
	now := s.timestamp()
	var verified *time.Time
	if n.EmailVerified {
		verified = &now
	}
	row := s.db.QueryRowContext(ctx,
		`INSERT INTO users (email, name, role, email_verified_at, version, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING `+columns,
		email, n.Name, string(n.Role), verified, now)
	u, err := scan(row)
	if db.IsUniqueViolation(err) {
		return User{}, apperr.Errorf(apperr.Conflict, "a user with this email already exists")
	}
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// Get implements Store.
func (s *SQLStore) Get(ctx context.Context, id int64) (User, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+columns+" FROM users WHERE id = $1 AND deleted_at IS NULL", id)
	return one(row, "get user", notFound)
}

// GetByEmail implements Store.
func (s *SQLStore) GetByEmail(ctx context.Context, email string) (User, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+columns+" FROM users WHERE email = $1 AND deleted_at IS NULL", NormalizeEmail(email))
	return one(row, "get user by email", notFound)
}

// sortColumns is the allow-list of sort keys and the SQL each stands for.
var sortColumns = map[string]string{
	SortID:        "id",
	SortCreatedAt: "created_at",
	SortEmail:     "COALESCE(email, '')",
}

// cursor is the position after the last row of a page, for keyset
// pagination: the sort key's value and the id that breaks ties.
type cursor struct {
	Sort  string `json:"s"`
	Value string `json:"v,omitempty"`
	ID    int64  `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err != nil || len(b) > 512 || json.Unmarshal(b, &c) != nil {
		return cursor{}, false
	}
	return c, true
}

// List implements Store.
func (s *SQLStore) List(ctx context.Context, q Query) (Page, error) {
	if q.Sort == "" {
		q.Sort = SortID
	}
	if !slices.Contains(SortKeys, q.Sort) {
		return Page{}, apperr.Field("sort", "must be one of "+strings.Join(SortKeys, ", "))
	}
	if q.Limit < 1 || q.Limit > MaxLimit {
		return Page{}, apperr.Field("limit", fmt.Sprintf("must be between 1 and %d", MaxLimit))
	}
	if q.Role != "" && !q.Role.Valid() {
		return Page{}, apperr.Field("role", "must be one of user, admin, superadmin")
	}
	key, desc := strings.CutPrefix(q.Sort, "-")
	col := sortColumns[key]

	// Filters.
	where := []string{"deleted_at IS NULL"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Email != "" {
		where = append(where, "email LIKE "+arg("%"+escapeLike(NormalizeEmail(q.Email))+"%")+` ESCAPE '\'`)
	}
	if q.Role != "" {
		where = append(where, "role = "+arg(string(q.Role)))
	}
	if !q.CreatedFrom.IsZero() {
		where = append(where, "created_at >= "+arg(q.CreatedFrom.UTC()))
	}
	if !q.CreatedTo.IsZero() {
		where = append(where, "created_at < "+arg(q.CreatedTo.UTC()))
	}
	filters := strings.Join(where, " AND ")

	page := Page{Users: []User{}, Total: -1}
	if q.Total {
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE "+filters, args...).Scan(&page.Total); err != nil {
			return Page{}, fmt.Errorf("count users: %w", err)
		}
	}

	// Keyset: rows strictly after the cursor in the chosen order.
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if q.Cursor != "" {
		c, ok := decodeCursor(q.Cursor)
		if !ok || c.Sort != q.Sort {
			return Page{}, apperr.Field("cursor", "is not a cursor of this listing; start again without it")
		}
		if key == SortID {
			where = append(where, "id "+op+" "+arg(c.ID))
		} else {
			var v any = c.Value
			if key == SortCreatedAt {
				t, err := time.Parse(time.RFC3339Nano, c.Value)
				if err != nil {
					return Page{}, apperr.Field("cursor", "is not a cursor of this listing; start again without it")
				}
				v = t.UTC()
			}
			pv, pid := arg(v), arg(c.ID)
			where = append(where, fmt.Sprintf("(%s %s %s OR (%s = %s AND id %s %s))", col, op, pv, col, pv, op, pid))
		}
	}
	query := "SELECT " + columns + " FROM users WHERE " + strings.Join(where, " AND ") +
		" ORDER BY " + col + " " + dir
	if key != SortID {
		query += ", id " + dir
	}
	query += " LIMIT " + arg(q.Limit+1) // one extra row tells whether another page follows

	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return Page{}, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scan(rows)
		if err != nil {
			return Page{}, fmt.Errorf("list users: %w", err)
		}
		page.Users = append(page.Users, u)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list users: %w", err)
	}
	if len(page.Users) > q.Limit {
		page.Users = page.Users[:q.Limit]
		last := page.Users[q.Limit-1]
		c := cursor{Sort: q.Sort, ID: last.ID}
		switch key {
		case SortCreatedAt:
			c.Value = last.CreatedAt.Format(time.RFC3339Nano)
		case SortEmail:
			c.Value = last.Email
		}
		page.Next = c.encode()
	}
	return page, nil
}

// escapeLike makes s match literally inside a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Update implements Store.
func (s *SQLStore) Update(ctx context.Context, id, version int64, p Patch) (User, error) {
	if p.Email != nil {
		e := NormalizeEmail(*p.Email)
		p.Email = &e
	}
	if err := validateFields(p.Email, p.Name, p.Role); err != nil {
		return User{}, err
	}
	if p == (Patch{}) {
		return s.unchanged(ctx, id, version)
	}
	if s.rec == nil {
		return s.update(ctx, id, version, p)
	}
	u, err := s.recorded(ctx, id, version, func(st *SQLStore) (*User, error) {
		u, err := st.update(ctx, id, version, p)
		return &u, err
	})
	if err != nil {
		return User{}, err
	}
	return *u, nil
}

// update writes a validated, non-empty patch.
func (s *SQLStore) update(ctx context.Context, id, version int64, p Patch) (User, error) {
	now := s.timestamp()
	args := []any{id, version, now}
	// Column names are constants; only values are parameters.
	sets := []string{"version = version + 1", "updated_at = $3"}
	set := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, col+" = $"+strconv.Itoa(len(args)))
	}
	if p.Email != nil {
		set("email", *p.Email)
	}
	if p.Name != nil {
		set("name", *p.Name)
	}
	if p.Role != nil {
		set("role", string(*p.Role))
	}
	if p.EmailVerified != nil {
		var at *time.Time
		if *p.EmailVerified {
			at = &now
		}
		set("email_verified_at", at)
	}
	row := s.db.QueryRowContext(ctx,
		"UPDATE users SET "+strings.Join(sets, ", ")+
			" WHERE id = $1 AND version = $2 AND deleted_at IS NULL RETURNING "+columns, args...)
	u, err := scan(row)
	if db.IsUniqueViolation(err) {
		return User{}, apperr.Errorf(apperr.Conflict, "a user with this email already exists")
	}
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, s.missOrStale(ctx, id)
	}
	if err != nil {
		return User{}, fmt.Errorf("update user %d: %w", id, err)
	}
	return u, nil
}

// Delete implements Store. The row stays, marked deleted, so references
// and audit trails keep working; its email becomes free for a new account.
func (s *SQLStore) Delete(ctx context.Context, id, version int64) error {
	if s.rec == nil {
		return s.delete(ctx, id, version)
	}
	_, err := s.recorded(ctx, id, version, func(st *SQLStore) (*User, error) {
		return nil, st.delete(ctx, id, version)
	})
	return err
}

func (s *SQLStore) delete(ctx context.Context, id, version int64) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE users SET deleted_at = $3, updated_at = $3, version = version + 1
		 WHERE id = $1 AND version = $2 AND deleted_at IS NULL`, id, version, s.timestamp())
	if err != nil {
		return fmt.Errorf("delete user %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete user %d: %w", id, err)
	}
	if n == 0 {
		return s.missOrStale(ctx, id)
	}
	return nil
}

// unchanged is Update for an empty patch: the stored user, with its
// version and updated_at as they were, if version is still current.
func (s *SQLStore) unchanged(ctx context.Context, id, version int64) (User, error) {
	u, err := s.Get(ctx, id)
	if err != nil {
		return User{}, err
	}
	if u.Version != version {
		return User{}, stale()
	}
	return u, nil
}

// missOrStale tells why a versioned write matched no row.
func (s *SQLStore) missOrStale(ctx context.Context, id int64) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	return stale()
}

func notFound() error { return apperr.Errorf(apperr.NotFound, "user not found") }

func one(row *sql.Row, verb string, miss func() error) (User, error) {
	u, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, miss()
	}
	if err != nil {
		return User{}, fmt.Errorf("%s: %w", verb, err)
	}
	return u, nil
}

// scan reads one row of columns.
func scan(row interface{ Scan(...any) error }) (User, error) {
	var (
		u        User
		email    sql.NullString
		role     string
		verified sql.NullTime
	)
	if err := row.Scan(&u.ID, &email, &u.Name, &role, &verified, &u.Version, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return User{}, err
	}
	u.Email, u.Role = email.String, Role(role)
	if verified.Valid {
		t := verified.Time.UTC()
		u.EmailVerifiedAt = &t
	}
	u.CreatedAt = u.CreatedAt.UTC()
	u.UpdatedAt = u.UpdatedAt.UTC()
	return u, nil
}
