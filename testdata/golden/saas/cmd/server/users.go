package main

// The users commands are how the first admin is made: the API lets an admin
// assign only roles below their own, so the first superadmin comes from
// whoever runs the binary next to the database.

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/audit"
	"example.com/myapp/internal/config"
	"example.com/myapp/internal/db"
	"example.com/myapp/internal/users"
)

// usersPromote sets the role of an existing user, found by email or id.
func usersPromote(ctx context.Context, cfg config.Config, args []string, std stdio) error {
	fs := commandFlags("users promote", std)
	email := fs.String("email", "", "the user's email")
	id := fs.Int64("id", 0, "the user's id (for users without an email)")
	roleName := fs.String("role", "", "the new role: user, admin or superadmin")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*email == "") == (*id == 0) {
		return errors.New("users promote: give --email or --id")
	}
	role, err := parseRole(*roleName)
	if err != nil {
		return err
	}
	sqlDB, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	store := users.NewSQLStore(sqlDB)
	// The role change is audited (admin), with no actor: the command line.
	store = store.WithRecorder(audit.New(sqlDB))

	var u users.User
	if *email != "" {
		u, err = store.GetByEmail(ctx, *email)
	} else {
		u, err = store.Get(ctx, *id)
	}
	if apperr.CodeOf(err) == apperr.NotFound {
		if *email != "" {
			return fmt.Errorf("users promote: no user with email %q", users.NormalizeEmail(*email))
		}
		return fmt.Errorf("users promote: no user with id %d", *id)
	}
	if err != nil {
		return fmt.Errorf("users promote: %w", err)
	}
	if u.Role == role {
		fmt.Fprintf(std.out, "user %d (%s) already has role %s\n", u.ID, u.Email, role)
		return nil
	}
	updated, err := store.Update(ctx, u.ID, u.Version, users.Patch{Role: &role})
	if err != nil {
		return fmt.Errorf("users promote: %w", err)
	}
	fmt.Fprintf(std.out, "user %d (%s): role %s -> %s\n", updated.ID, updated.Email, u.Role, updated.Role)
	return nil
}

// commandFlags returns the flag set of a users command.
func commandFlags(name string, std stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(std.err)
	return fs
}

// parseFlags parses args, which must all be flags. It refuses a password
// flag before parsing, without repeating its value: a password on the
// command line stays in the shell's history and is visible to every user
// of the machine in ps.
func parseFlags(fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); strings.HasPrefix(a, "-") && name == "password" {
			return fmt.Errorf("%s: a password is never a flag (shell history, ps); pipe it on stdin or type it at the prompt", fs.Name())
		}
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// parseRole returns the role named s.
func parseRole(s string) (users.Role, error) {
	r := users.Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("--role %q: must be one of user, admin, superadmin", s)
	}
	return r, nil
}

// openDB opens the database the server uses and, as the server does with
// MIGRATE_ON_START, brings its schema up to date.
func openDB(ctx context.Context, cfg config.Config) (*sql.DB, error) {
	sqlDB, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.MigrateOnStart {
		if err := db.Migrate(ctx, sqlDB, slog.New(slog.DiscardHandler)); err != nil {
			_ = sqlDB.Close()
			return nil, err
		}
	}
	return sqlDB, nil
}
