// Package users holds the service's accounts: who they are, what role they
// have, and the rules for who may see and change whom.
//
// It is also the pattern other resources copy for listing: cursor
// pagination, filters, sorting on an allow-list of columns, an optional
// total count, soft deletion and optimistic concurrency through a version
// number (served as an ETag).
package users

import (
	"context"
	"errors"
	"time"

	"example.com/myapp/internal/apperr"
)

// Role is what a user may do. Roles are ordered: each one can do what the
// roles below it can.
type Role string

// The roles, lowest first.
const (
	RoleUser       Role = "user"
	RoleAdmin      Role = "admin"
	RoleSuperadmin Role = "superadmin"
)

// Roles lists every role, lowest first.
var Roles = []Role{RoleUser, RoleAdmin, RoleSuperadmin}

// Rank orders roles: 1 for user, 2 for admin, 3 for superadmin, 0 for
// anything else, so an unknown role can do nothing.
func (r Role) Rank() int {
	switch r {
	case RoleUser:
		return 1
	case RoleAdmin:
		return 2
	case RoleSuperadmin:
		return 3
	}
	return 0
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.Rank() > 0 }

// AtLeast reports whether r is min or above it.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.Rank() >= min.Rank() }

// User is a stored account.
type User struct {
	ID    int64
	Email string // "" when unknown (e.g. an external identity without one)
	Name  string
	Role  Role
	// EmailVerifiedAt is when the user proved they own Email, or nil.
	EmailVerifiedAt *time.Time
	// Version grows by one on every change; see Store.Update.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// New holds the fields of a user to create.
type New struct {
	Email         string
	Name          string
	Role          Role // RoleUser when empty
	EmailVerified bool
}

// Patch holds the fields to change; nil fields are left as they are.
type Patch struct {
	Email *string
	Name  *string
	Role  *Role
	// EmailVerified sets (true) or clears (false) EmailVerifiedAt.
	EmailVerified *bool
}

// Sort columns: the only ones List may order by. A leading "-" sorts
// descending. Anything else is rejected, never put into SQL.
const (
	SortID        = "id"
	SortCreatedAt = "created_at"
	SortEmail     = "email"
)

// SortKeys lists the accepted values of Query.Sort.
var SortKeys = []string{SortID, "-" + SortID, SortCreatedAt, "-" + SortCreatedAt, SortEmail, "-" + SortEmail}

// Query selects and orders a page of users.
type Query struct {
	// Cursor is Page.Next of the previous page, "" for the first page.
	Cursor string
	// Limit is the page size, 1 to MaxLimit.
	Limit int
	// Email keeps users whose email contains it, ignoring case.
	Email string
	// Role keeps users with this role.
	Role Role
	// CreatedFrom and CreatedTo keep users created in [CreatedFrom, CreatedTo).
	CreatedFrom, CreatedTo time.Time
	// Sort is one of SortKeys; "" means SortID.
	Sort string
	// Total asks for the number of users matching the filters.
	Total bool
}

// MaxLimit is the largest page size List accepts.
const MaxLimit = 100

// Page is one page of a listing.
type Page struct {
	Users []User
	// Next is the cursor of the following page, or "" on the last page.
	Next string
	// Total is the number of matching users, -1 unless Query.Total was set.
	Total int64
}

// ErrStale is returned (wrapped in an apperr.Conflict error) by Update and
// Delete when the stored version differs from the one the caller read:
// somebody else changed the user in between.
var ErrStale = errors.New("the user was changed by someone else; fetch it again and retry")

// Store persists users. Errors are *apperr.Error values with the codes named
// below; any other error is internal. Deleted users are invisible to every
// method.
type Store interface {
	// Create stores a new user. A live user with the same email is an
	// apperr.Conflict error; an invalid field an apperr.Invalid one.
	Create(ctx context.Context, n New) (User, error)
	// Get returns the user with the given id, or an apperr.NotFound error.
	Get(ctx context.Context, id int64) (User, error)
	// GetByEmail returns the user with the given email (any case), or an
	// apperr.NotFound error.
	GetByEmail(ctx context.Context, email string) (User, error)
	// List returns a page of users. A malformed cursor, unknown sort key or
	// bad limit is an apperr.Invalid error.
	List(ctx context.Context, q Query) (Page, error)
	// Update applies p to the user with the given id if its version is
	// still version, and returns the result. Errors: apperr.NotFound;
	// apperr.Conflict wrapping ErrStale when the version moved on, or for a
	// duplicate email; apperr.Invalid for an invalid field. An empty patch
	// changes nothing: neither the version nor UpdatedAt moves.
	Update(ctx context.Context, id, version int64, p Patch) (User, error)
	// Delete soft-deletes the user with the given id if its version is
	// still version. Errors as for Update.
	Delete(ctx context.Context, id, version int64) error
}

// stale returns the error for a version mismatch.
func stale() error {
	return staleError{apperr.Errorf(apperr.Conflict, "%s", ErrStale.Error())}
}

// staleError is an apperr.Conflict error that also matches ErrStale.
type staleError struct{ err *apperr.Error }

func (e staleError) Error() string   { return e.err.Error() }
func (e staleError) Unwrap() []error { return []error{e.err, ErrStale} }
