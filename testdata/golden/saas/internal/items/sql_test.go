package items_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/items"
)

func ptr[T any](v T) *T { return &v }

func TestSQLStoreCRUD(t *testing.T) {
	ctx := context.Background()
	s := items.NewSQLStore(dbtest.Open(t))

	created, err := s.Create(ctx, items.New{Name: "pen", Description: "blue"})
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == 0 || created.CreatedAt.IsZero() || !created.CreatedAt.Equal(created.UpdatedAt) {
		t.Errorf("Create() = %+v", created)
	}

	got, err := s.Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != created {
		t.Errorf("Get() = %+v, want %+v", got, created)
	}

	tests := []struct {
		name  string
		patch items.Patch
		want  items.Item // fields compared: Name, Description
	}{
		{"name only", items.Patch{Name: ptr("pencil")}, items.Item{Name: "pencil", Description: "blue"}},
		{"description only", items.Patch{Description: ptr("red")}, items.Item{Name: "pencil", Description: "red"}},
		{"both", items.Patch{Name: ptr("ink"), Description: ptr("")}, items.Item{Name: "ink", Description: ""}},
		{"nothing", items.Patch{}, items.Item{Name: "ink", Description: ""}},
	}
	for _, tt := range tests {
		t.Run("update "+tt.name, func(t *testing.T) {
			got, err := s.Update(ctx, created.ID, tt.patch)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.want.Name || got.Description != tt.want.Description {
				t.Errorf("Update() = %+v, want name %q description %q", got, tt.want.Name, tt.want.Description)
			}
			if got.UpdatedAt.Before(got.CreatedAt) {
				t.Errorf("UpdatedAt %v before CreatedAt %v", got.UpdatedAt, got.CreatedAt)
			}
		})
	}

	if err := s.Delete(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, created.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("Get() after Delete: error %v, want code not_found", err)
	}
}

func TestSQLStoreNotFound(t *testing.T) {
	ctx := context.Background()
	s := items.NewSQLStore(dbtest.Open(t))
	tests := []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, err := s.Get(ctx, 42); return err }},
		{"update", func() error { _, err := s.Update(ctx, 42, items.Patch{Name: ptr("x")}); return err }},
		{"delete", func() error { return s.Delete(ctx, 42) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); apperr.CodeOf(err) != apperr.NotFound {
				t.Errorf("error = %v, want code not_found", err)
			}
		})
	}
}

func TestSQLStoreList(t *testing.T) {
	ctx := context.Background()
	s := items.NewSQLStore(dbtest.Open(t))
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		if _, err := s.Create(ctx, items.New{Name: name}); err != nil {
			t.Fatal(err)
		}
	}

	var names []string
	cursor, pages := "", 0
	for {
		page, err := s.List(ctx, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, it := range page.Items {
			names = append(names, it.Name)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if got := len(names); got != 5 || names[0] != "a" || names[4] != "e" || pages != 3 {
		t.Errorf("listed %v in %d pages, want a..e in 3", names, pages)
	}

	if _, err := s.List(ctx, "not-a-cursor", 2); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("List(bad cursor) error = %v, want code invalid", err)
	}
	empty, err := s.List(ctx, cursor, 10)
	if err != nil || len(empty.Items) != 1 || empty.Next != "" {
		t.Errorf("last page = %+v, %v", empty, err)
	}
}

// AfterCreate funcs run in Create's transaction: their writes commit with
// the item, and an error from one rolls the item back.
func TestSQLStoreAfterCreate(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Open(t)
	s := items.NewSQLStore(sqlDB)
	var fail error
	s.AfterCreate(func(ctx context.Context, tx *sql.Tx, it items.Item) error {
		// Inside the transaction the new row is visible.
		var name string
		if err := tx.QueryRowContext(ctx, "SELECT name FROM items WHERE id = $1", it.ID).Scan(&name); err != nil || name != it.Name {
			t.Errorf("in the transaction: name %q, err %v; want %q", name, err, it.Name)
		}
		return fail
	})

	created, err := s.Create(ctx, items.New{Name: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, created.ID); err != nil {
		t.Fatalf("Get(committed item): %v", err)
	}

	fail = errors.New("hook failed")
	if _, err := s.Create(ctx, items.New{Name: "dropped"}); !errors.Is(err, fail) {
		t.Fatalf("Create with a failing hook: err = %v, want the hook's error", err)
	}
	var n int
	if err := sqlDB.QueryRowContext(ctx, "SELECT count(*) FROM items WHERE name = 'dropped'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rolled-back item: %d rows (err %v), want 0", n, err)
	}
}
