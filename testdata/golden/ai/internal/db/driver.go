package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite" // the driver (pure Go, no cgo); it also registers "sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL dialect and the folder of its migrations.
const Dialect = "sqlite"

const gooseDialect = goose.DialectSQLite3

// pragmas are set by the driver on every connection the pool opens, which a
// one-off PRAGMA statement would not do:
//   - foreign_keys(1): enforce REFERENCES (off by default in SQLite);
//   - journal_mode(WAL): readers do not block the writer and vice versa;
//   - busy_timeout(5000): a writer waits up to 5 s for the lock instead of
//     failing at once with SQLITE_BUSY;
//   - _txlock=immediate: transactions take the write lock at BEGIN, so two
//     transactions cannot deadlock upgrading from read to write.
const pragmas = "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_txlock=immediate"

// open opens an SQLite database file such as "file:data/app.db", creating
// its directory if needed, as a pool made by openDB (see OpenWith).
func open(url string, openDB func(driver.Connector) *sql.DB) (*sql.DB, error) {
	dsn, err := sqliteDSN(url)
	if err != nil {
		return nil, err
	}
	return openDB(dsnConnector{dsn: dsn, drv: &sqlite.Driver{}}), nil
}

// dsnConnector connects with a driver that has no OpenConnector of its
// own, as database/sql itself does for such a driver in sql.Open.
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

func sqliteDSN(url string) (string, error) {
	path, query, _ := strings.Cut(strings.TrimPrefix(url, "file:"), "?")
	if path == "" || path == ":memory:" {
		return "", errors.New("DATABASE_URL must name a file, e.g. file:data/app.db")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", err
	}
	if query != "" {
		query += "&"
	}
	return "file:" + path + "?" + query + pragmas, nil
}

// providerOptions are the goose options this dialect needs. SQLite has one
// writer at a time, so migrations need no extra lock.
func providerOptions(context.Context, *sql.DB) ([]goose.ProviderOption, error) { return nil, nil }

// IsUniqueViolation reports whether err is a failed UNIQUE or PRIMARY KEY
// constraint: SQLite's extended result codes, not the message text.
func IsUniqueViolation(err error) bool {
	e, ok := errors.AsType[*sqlite.Error](err)
	return ok && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}
