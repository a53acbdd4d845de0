// Package items is the example resource: a named item with a description.
//
// It shows the pattern every resource follows: plain types, a Store
// interface that documents the errors it returns, one SQL implementation,
// and HTTP handlers elsewhere (internal/api/v1) that only see the interface.
package items

import (
	"context"
	"time"
)

// Item is a stored item.
type Item struct {
	ID          int64
	Name        string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// New holds the fields of an item to create.
type New struct {
	Name        string
	Description string
}

// Patch holds the fields to change; nil fields are left as they are.
type Patch struct {
	Name        *string
	Description *string
}

// Page is one page of a listing.
type Page struct {
	Items []Item
	// Next is the cursor of the following page, or "" on the last page.
	Next string
}

// Store persists items. Errors are *apperr.Error values with the codes
// named below; any other error is internal.
type Store interface {
	// List returns up to limit items in creation order, starting after the
	// item the cursor points to ("" for the first page). A malformed cursor
	// is an apperr.Invalid error.
	List(ctx context.Context, cursor string, limit int) (Page, error)
	// Get returns the item with the given id, or an apperr.NotFound error.
	Get(ctx context.Context, id int64) (Item, error)
	// Create stores a new item and returns it with its id and timestamps.
	Create(ctx context.Context, n New) (Item, error)
	// Update applies p to the item with the given id and returns the result,
	// or an apperr.NotFound error. An empty patch changes nothing, not even
	// UpdatedAt.
	Update(ctx context.Context, id int64, p Patch) (Item, error)
	// Delete removes the item with the given id, or returns an
	// apperr.NotFound error.
	Delete(ctx context.Context, id int64) error
}
