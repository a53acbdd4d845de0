// Package db opens the database and applies its migrations.
//
// The driver and its settings live in driver.go, the one file that differs
// between SQLite and PostgreSQL projects. Migrations are goose SQL files
// embedded from migrations/<dialect>/; they are numbered in blocks, one
// block per feature, and applied with out-of-order allowed so a feature
// added later never renumbers anything.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/*/*.sql
var migrations embed.FS

// Open opens the database at url and checks that it answers.
func Open(ctx context.Context, url string) (*sql.DB, error) {
	return OpenWith(ctx, url, sql.OpenDB)
}

// OpenWith is Open with the pool made by openDB over the driver's
// connector, instead of sql.OpenDB: a tracing feature passes one that
// wraps every connection.
func OpenWith(ctx context.Context, url string, openDB func(driver.Connector) *sql.DB) (*sql.DB, error) {
	db, err := open(url, openDB)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return db, nil
}

// Migrator returns a goose provider over the embedded migrations of this
// service's dialect; the migrate subcommand uses it directly.
func Migrator(ctx context.Context, db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations/"+Dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	opts, err := providerOptions(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	opts = append(opts, goose.WithAllowOutofOrder(true))
	p, err := goose.NewProvider(gooseDialect, db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration and logs each one applied.
func Migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	p, err := Migrator(ctx, db)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	for _, r := range results {
		log.InfoContext(ctx, "migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration.String())
	}
	return nil
}
