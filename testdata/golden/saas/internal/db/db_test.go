package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"example.com/myapp/internal/db"
	"example.com/myapp/internal/db/dbtest"
)

func TestMigrateUpDownUp(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Open(t) // applies every migration
	p, err := db.Migrator(ctx, sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := p.Down(ctx); err != nil {
			break // no more migrations to roll back
		}
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v != 0 {
		t.Fatalf("after rolling back everything: version %d, %v; want 0", v, err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
}

// IsUniqueViolation knows the driver's error for a duplicate key, and only
// that: not other failures, and not an error that merely says so in words.
func TestIsUniqueViolation(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Open(t)
	if _, err := sqlDB.ExecContext(ctx, "CREATE TABLE unique_probe (k TEXT PRIMARY KEY, u TEXT UNIQUE)"); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.ExecContext(ctx, "INSERT INTO unique_probe (k, u) VALUES ('a', 'x')"); err != nil {
		t.Fatal(err)
	}
	for name, query := range map[string]string{
		"unique column": "INSERT INTO unique_probe (k, u) VALUES ('b', 'x')",
		"primary key":   "INSERT INTO unique_probe (k, u) VALUES ('a', 'y')",
	} {
		_, err := sqlDB.ExecContext(ctx, query)
		if !db.IsUniqueViolation(err) || !db.IsUniqueViolation(fmt.Errorf("wrapped: %w", err)) {
			t.Errorf("%s: IsUniqueViolation(%v) = false, want true", name, err)
		}
	}
	_, syntax := sqlDB.ExecContext(ctx, "INSERT INTO no_such_table VALUES (1)")
	for _, err := range []error{nil, syntax, errors.New("UNIQUE constraint failed: users.email (23505, duplicate key value violates unique constraint)")} {
		if db.IsUniqueViolation(err) {
			t.Errorf("IsUniqueViolation(%v) = true, want false", err)
		}
	}
}

// TestConcurrentWriters checks that writers on separate pooled connections
// wait for each other instead of failing (SQLITE_BUSY on SQLite).
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Open(t)
	const writers, writes = 4, 50
	var wg sync.WaitGroup
	errs := make(chan error, 3*writers*writes)
	for w := range writers {
		wg.Go(func() {
			for i := range writes {
				_, err := sqlDB.ExecContext(ctx,
					"INSERT INTO items (name, description, created_at, updated_at) VALUES ($1, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
					fmt.Sprintf("w%d-%d", w, i))
				if err != nil {
					errs <- err
				}
				tx, err := sqlDB.BeginTx(ctx, nil)
				if err != nil {
					errs <- err
					continue
				}
				if _, err := tx.ExecContext(ctx, "UPDATE items SET description = description || 'x' WHERE id = 1"); err != nil {
					errs <- err
				}
				if err := tx.Commit(); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	var n int
	if err := sqlDB.QueryRowContext(ctx, "SELECT COUNT(*) FROM items").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != writers*writes {
		t.Errorf("items = %d, want %d", n, writers*writes)
	}
}
