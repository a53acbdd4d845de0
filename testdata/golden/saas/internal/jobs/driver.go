package jobs

import (
	"database/sql"

	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// newDriver is river's SQLite driver over the service's pool. SQLite has no
// LISTEN/NOTIFY, so workers poll (Config.PollInterval); the pool's WAL mode
// and busy_timeout (internal/db/driver.go) let river and the API write
// without SQLITE_BUSY errors.
func newDriver(db *sql.DB, _ string) (*riversqlite.Driver, func(), error) {
	return riversqlite.New(db), func() {}, nil
}
