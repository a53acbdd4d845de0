package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// riverVersion is the goose version that applies river's own migrations
// (the river_job table and the rest) with the service's. After upgrading
// river, add a Go migration at the next version of the jobs block
// (00051, ...) running riverMigrate(rivermigrate.DirectionUp) again: it
// applies only river's new migrations.
const riverVersion = 50

// riverMigration applies river's migrations up to the latest this river
// version has; down removes them all. Not in one goose transaction: river
// applies each of its migrations in a transaction of its own (one of them
// adds an enum value PostgreSQL cannot use in the transaction that added
// it), and records them in its river_migration table, so a failed run
// resumes where it stopped.
func riverMigration() *goose.Migration {
	return goose.NewGoMigration(riverVersion,
		&goose.GoFunc{RunDB: riverMigrate(rivermigrate.DirectionUp)},
		&goose.GoFunc{RunDB: riverMigrate(rivermigrate.DirectionDown)},
	)
}

func riverMigrate(dir rivermigrate.Direction) func(context.Context, *sql.DB) error {
	return func(ctx context.Context, db *sql.DB) error {
		m, err := rivermigrate.New(riversqlite.New(db), nil)
		if err != nil {
			return fmt.Errorf("river migrations: %w", err)
		}
		opts := &rivermigrate.MigrateOpts{}
		if dir == rivermigrate.DirectionDown {
			opts.TargetVersion = -1 // all of river's
		}
		if _, err := m.Migrate(ctx, dir, opts); err != nil {
			return fmt.Errorf("river migrations %s: %w", dir, err)
		}
		return nil
	}
}
