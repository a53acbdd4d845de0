// Package dbtest gives tests a fresh, migrated database of their own.
//
// This service uses SQLite, so each test gets a new file in t.TempDir().
// DATABASE_URL from the environment is ignored on purpose: CI may point it
// at a PostgreSQL server shared with other projects.
package dbtest

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"example.com/myapp/internal/db"
)

// URL returns the URL of a new, empty database that lives as long as t.
func URL(t testing.TB) string {
	t.Helper()
	return "file:" + filepath.Join(t.TempDir(), "test.db")
}

// Open returns a new database with every migration applied, closed when t ends.
func Open(t testing.TB) *sql.DB {
	t.Helper()
	ctx := context.Background()
	sqlDB, err := db.Open(ctx, URL(t))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	if err := db.Migrate(ctx, sqlDB, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return sqlDB
}

// UnusedURL returns a valid DATABASE_URL that nothing has opened, for tests
// that fail before they connect.
func UnusedURL(t testing.TB) string {
	t.Helper()
	return "file:" + filepath.Join(t.TempDir(), "unused.db")
}
