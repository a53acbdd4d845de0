package items

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"example.com/myapp/internal/apperr"
)

// SQLStore is the Store over database/sql. Its queries are portable between
// SQLite and PostgreSQL: $N placeholders (which SQLite accepts too),
// RETURNING, and timestamps written by Go in UTC at microsecond precision
// (PostgreSQL's), so both databases give back the exact values stored.
type SQLStore struct {
	db          *sql.DB
	now         func() time.Time
	afterCreate []AfterCreateFunc
}

// AfterCreateFunc runs inside the transaction that creates it: what it
// writes with tx (a background job, an outbox row) commits with the item,
// and an error rolls both back.
type AfterCreateFunc func(ctx context.Context, tx *sql.Tx, it Item) error

// AfterCreate adds fn to what Create runs in its transaction. Call it while
// wiring the service, before the store is used.
func (s *SQLStore) AfterCreate(fn AfterCreateFunc) { s.afterCreate = append(s.afterCreate, fn) }

var _ Store = (*SQLStore)(nil)

// NewSQLStore returns a store over db, whose schema the migrations create.
func NewSQLStore(db *sql.DB) *SQLStore {
	return &SQLStore{db: db, now: time.Now}
}

const columns = "id, name, description, created_at, updated_at"

func (s *SQLStore) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// List implements Store. The cursor is the id of the last item of the
// previous page; clients must treat it as opaque.
func (s *SQLStore) List(ctx context.Context, cursor string, limit int) (Page, error) {
	var after int64
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 0 {
			return Page{}, apperr.Errorf(apperr.Invalid, "cursor %q is not valid", cursor)
		}
		after = n
	}
	// One extra row tells whether another page follows.
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+columns+" FROM items WHERE id > $1 ORDER BY id LIMIT $2", after, limit+1)
	if err != nil {
		return Page{}, fmt.Errorf("list items: %w", err)
	}
	defer rows.Close()
	page := Page{Items: []Item{}}
	for rows.Next() {
		it, err := scan(rows)
		if err != nil {
			return Page{}, fmt.Errorf("list items: %w", err)
		}
		page.Items = append(page.Items, it)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list items: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = strconv.FormatInt(page.Items[limit-1].ID, 10)
	}
	return page, nil
}

// Get implements Store.
func (s *SQLStore) Get(ctx context.Context, id int64) (Item, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+columns+" FROM items WHERE id = $1", id)
	return s.one(row, id, "get")
}

// Create implements Store. The insert and every AfterCreate func share one
// transaction.
func (s *SQLStore) Create(ctx context.Context, n New) (Item, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Item{}, fmt.Errorf("create item: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	now := s.timestamp()
	row := tx.QueryRowContext(ctx,
		"INSERT INTO items (name, description, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING "+columns,
		n.Name, n.Description, now)
	it, err := scan(row)
	if err != nil {
		return Item{}, fmt.Errorf("create item: %w", err)
	}
	for _, fn := range s.afterCreate {
		if err := fn(ctx, tx, it); err != nil {
			return Item{}, fmt.Errorf("create item: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Item{}, fmt.Errorf("create item: %w", err)
	}
	return it, nil
}

// Update implements Store.
func (s *SQLStore) Update(ctx context.Context, id int64, p Patch) (Item, error) {
	if p == (Patch{}) {
		return s.Get(ctx, id)
	}
	// COALESCE keeps the stored value where the patch has none.
	row := s.db.QueryRowContext(ctx,
		`UPDATE items SET name = COALESCE($2, name), description = COALESCE($3, description), updated_at = $4
		 WHERE id = $1 RETURNING `+columns,
		id, p.Name, p.Description, s.timestamp())
	return s.one(row, id, "update")
}

// Delete implements Store.
func (s *SQLStore) Delete(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, "DELETE FROM items WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("delete item %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete item %d: %w", id, err)
	}
	if n == 0 {
		return notFound(id)
	}
	return nil
}

func (s *SQLStore) one(row *sql.Row, id int64, verb string) (Item, error) {
	it, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, notFound(id)
	}
	if err != nil {
		return Item{}, fmt.Errorf("%s item %d: %w", verb, id, err)
	}
	return it, nil
}

func notFound(id int64) error {
	return apperr.Errorf(apperr.NotFound, "item %d not found", id)
}

// scan reads one row of columns.
func scan(row interface{ Scan(...any) error }) (Item, error) {
	var it Item
	if err := row.Scan(&it.ID, &it.Name, &it.Description, &it.CreatedAt, &it.UpdatedAt); err != nil {
		return Item{}, err
	}
	it.CreatedAt = it.CreatedAt.UTC()
	it.UpdatedAt = it.UpdatedAt.UTC()
	return it, nil
}
