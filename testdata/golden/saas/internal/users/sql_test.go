package users_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/users"
)

func newStore(t *testing.T) *users.SQLStore {
	t.Helper()
	return users.NewSQLStore(dbtest.Open(t))
}

func mustCreate(t *testing.T, s users.Store, email string, role users.Role) users.User {
	t.Helper()
	u, err := s.Create(context.Background(), users.New{Email: email, Name: "N " + email, Role: role})
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return u
}

func TestCreateGet(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	u := mustCreate(t, s, "  Ada@Example.COM ", "")
	if u.Email != "ada@example.com" || u.Role != users.RoleUser || u.Version != 1 || u.EmailVerifiedAt != nil {
		t.Fatalf("created %+v", u)
	}
	got, err := s.Get(ctx, u.ID)
	if err != nil || got != u {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, u)
	}
	if got, err := s.GetByEmail(ctx, "ADA@example.com"); err != nil || got.ID != u.ID {
		t.Fatalf("GetByEmail = %+v, %v", got, err)
	}
	if _, err := s.Create(ctx, users.New{Email: "ada@example.com"}); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("duplicate email: %v, want conflict", err)
	}
	if _, err := s.Get(ctx, u.ID+100); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("missing id: %v, want not found", err)
	}
	// Users without an email (external identities) do not collide.
	for range 2 {
		if _, err := s.Create(ctx, users.New{Name: "no email"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCreateValidation(t *testing.T) {
	s := newStore(t)
	_, err := s.Create(context.Background(), users.New{Email: "not-an-email", Role: "root"})
	var fe apperr.FieldErrors
	if !errors.As(err, &fe) || len(fe) != 2 || fe[0].Field != "email" || fe[1].Field != "role" {
		t.Fatalf("err = %v; want field errors for email and role", err)
	}
	if apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("code = %q, want invalid", apperr.CodeOf(err))
	}
}

func TestUpdateOptimisticConcurrency(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	u := mustCreate(t, s, "a@example.com", "")
	name := "first"
	u2, err := s.Update(ctx, u.ID, u.Version, users.Patch{Name: &name})
	if err != nil || u2.Name != "first" || u2.Version != u.Version+1 {
		t.Fatalf("update = %+v, %v", u2, err)
	}
	// A second admin who read version 1 must not overwrite the change.
	other := "second"
	_, err = s.Update(ctx, u.ID, u.Version, users.Patch{Name: &other})
	if !errors.Is(err, users.ErrStale) || apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("stale update: %v; want ErrStale conflict", err)
	}
	if err := s.Delete(ctx, u.ID, u.Version); !errors.Is(err, users.ErrStale) {
		t.Fatalf("stale delete: %v; want ErrStale", err)
	}
	if _, err := s.Update(ctx, u.ID+99, 1, users.Patch{Name: &other}); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("missing: %v; want not found", err)
	}
	verified, role := true, users.RoleAdmin
	u3, err := s.Update(ctx, u.ID, u2.Version, users.Patch{EmailVerified: &verified, Role: &role})
	if err != nil || u3.EmailVerifiedAt == nil || u3.Role != users.RoleAdmin {
		t.Fatalf("verify+role = %+v, %v", u3, err)
	}
}

func TestSoftDelete(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	u := mustCreate(t, s, "gone@example.com", "")
	if err := s.Delete(ctx, u.ID, u.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, u.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("deleted user visible: %v", err)
	}
	if err := s.Delete(ctx, u.ID, u.Version+1); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("second delete: %v; want not found", err)
	}
	page, err := s.List(ctx, users.Query{Limit: 10, Total: true})
	if err != nil || len(page.Users) != 0 || page.Total != 0 {
		t.Fatalf("list after delete = %+v, %v", page, err)
	}
	// The address is free again.
	mustCreate(t, s, "gone@example.com", "")
}

// seed creates n users, one second apart, with alternating roles.
func seed(t *testing.T, s *users.SQLStore, n int) []users.User {
	t.Helper()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []users.User
	for i := range n {
		users.SetClock(s, func() time.Time { return base.Add(time.Duration(i) * time.Second) })
		role := users.RoleUser
		if i%3 == 0 {
			role = users.RoleAdmin
		}
		// Emails in an order different from creation order.
		out = append(out, mustCreate(t, s, fmt.Sprintf("u%02d@example.com", (i*7)%n), role))
	}
	return out
}

func TestListPaginationAndSort(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	all := seed(t, s, 25)
	for _, sort := range users.SortKeys {
		t.Run(sort, func(t *testing.T) {
			var got []users.User
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("pagination does not end")
				}
				page, err := s.List(ctx, users.Query{Limit: 7, Cursor: cursor, Sort: sort})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page.Users...)
				if page.Next == "" {
					break
				}
				cursor = page.Next
			}
			if len(got) != len(all) {
				t.Fatalf("got %d users over all pages, want %d", len(got), len(all))
			}
			seen := map[int64]bool{}
			for i, u := range got {
				if seen[u.ID] {
					t.Fatalf("user %d listed twice", u.ID)
				}
				seen[u.ID] = true
				if i > 0 && !ordered(sort, got[i-1], u) {
					t.Fatalf("%s: %+v before %+v", sort, got[i-1], u)
				}
			}
		})
	}
}

func ordered(sort string, a, b users.User) bool {
	switch sort {
	case "id":
		return a.ID < b.ID
	case "-id":
		return a.ID > b.ID
	case "created_at":
		return a.CreatedAt.Before(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID
	case "-created_at":
		return a.CreatedAt.After(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID > b.ID
	case "email":
		return a.Email < b.Email
	case "-email":
		return a.Email > b.Email
	}
	panic(sort)
}

func TestListFilters(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	all := seed(t, s, 12)
	mustCreate(t, s, "under_score%@example.com", "")
	tests := []struct {
		name string
		q    users.Query
		want int
	}{
		{"role", users.Query{Role: users.RoleAdmin}, 4},
		{"email substring any case", users.Query{Email: "U0"}, 10},
		{"email LIKE wildcards are literal", users.Query{Email: "_score%"}, 1},
		{"email percent alone matches nothing", users.Query{Email: "%"}, 1},
		{"created range", users.Query{CreatedFrom: all[2].CreatedAt, CreatedTo: all[5].CreatedAt}, 3},
		{"combined", users.Query{Role: users.RoleUser, CreatedTo: all[4].CreatedAt}, 2},
		// SQL injection attempts are values, never SQL: they match nothing
		// and the table survives.
		{"injection in email", users.Query{Email: "' OR '1'='1"}, 0},
		{"injection with comment", users.Query{Email: "x'; DROP TABLE users;--"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Limit, tt.q.Total = 100, true
			page, err := s.List(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Users) != tt.want || page.Total != int64(tt.want) {
				t.Fatalf("got %d users (total %d), want %d", len(page.Users), page.Total, tt.want)
			}
		})
	}
	if page, err := s.List(ctx, users.Query{Limit: 100, Total: true}); err != nil || page.Total != 13 {
		t.Fatalf("table damaged: %+v, %v", page.Total, err)
	}
}

func TestListRejects(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	seed(t, s, 3)
	page, err := s.List(ctx, users.Query{Limit: 1})
	if err != nil || page.Next == "" {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	for name, q := range map[string]users.Query{
		"sort injection":       {Limit: 10, Sort: "email; DROP TABLE users--"},
		"sort expression":      {Limit: 10, Sort: "(CASE WHEN 1=1 THEN id END)"},
		"sort unknown column":  {Limit: 10, Sort: "deleted_at"},
		"limit zero":           {Limit: 0},
		"limit too big":        {Limit: users.MaxLimit + 1},
		"bad role":             {Limit: 10, Role: "root"},
		"garbage cursor":       {Limit: 10, Cursor: "' OR 1=1--"},
		"cursor of other sort": {Limit: 10, Cursor: page.Next, Sort: "-id"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.List(ctx, q)
			var fe apperr.FieldErrors
			if !errors.As(err, &fe) || apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("err = %v; want a field error", err)
			}
		})
	}
}
