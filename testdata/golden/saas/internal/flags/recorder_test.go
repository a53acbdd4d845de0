package flags_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/flags"
)

// changes records what a store reports, checking each report comes inside
// the change's own transaction (the flag as changed is visible through tx).
type changes struct {
	t    *testing.T
	got  []flags.Change
	fail error
}

func (c *changes) RecordFlagChange(ctx context.Context, tx *sql.Tx, ch flags.Change) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM feature_flags WHERE key = $1", ch.Key).Scan(&n); err != nil {
		c.t.Errorf("%s: query through the change's transaction: %v", ch.Action, err)
	}
	if want := map[bool]int{true: 0, false: 1}[ch.After == nil]; n != want {
		c.t.Errorf("%s: %d rows of %s in the transaction, want %d", ch.Action, n, ch.Key, want)
	}
	c.got = append(c.got, ch)
	return c.fail
}

func TestRecorderSeesEveryChange(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Open(t)
	admin := newUser(t, sqlDB, "admin@example.com")
	rec := &changes{t: t}
	st := flags.NewSQLStore(sqlDB).WithRecorder(rec)

	if _, err := st.Create(ctx, flags.Flag{Key: "beta", Type: flags.Boolean}, admin.ID); err != nil {
		t.Fatal(err)
	}
	on := true
	if _, err := st.Update(ctx, "beta", flags.Patch{Enabled: &on}, admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddUser(ctx, "beta", admin.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RemoveUser(ctx, "beta", admin.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "beta"); err != nil {
		t.Fatal(err)
	}
	// Failed changes are not reported.
	if _, err := st.Update(ctx, "nope", flags.Patch{Enabled: &on}, 0); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("update unknown: %v", err)
	}

	want := []string{flags.ActionCreated, flags.ActionUpdated, flags.ActionUserAdded, flags.ActionUserRemoved, flags.ActionDeleted}
	if len(rec.got) != len(want) {
		t.Fatalf("recorded %d changes, want %d: %+v", len(rec.got), len(want), rec.got)
	}
	for i, c := range rec.got {
		if c.Action != want[i] || c.Key != "beta" {
			t.Errorf("change %d = %s %s, want %s beta", i, c.Action, c.Key, want[i])
		}
	}
	if c := rec.got[0]; c.Before != nil || c.After == nil {
		t.Errorf("created: before %v, after %v; want only after", c.Before, c.After)
	}
	if c := rec.got[1]; c.Before == nil || c.After == nil || c.Before.Enabled || !c.After.Enabled {
		t.Errorf("updated: before %+v, after %+v; want enabled false then true", c.Before, c.After)
	}
	if c := rec.got[2]; c.UserID != admin.ID || len(c.Before.UserIDs) != 0 || len(c.After.UserIDs) != 1 {
		t.Errorf("user added: %+v", c)
	}
	if c := rec.got[4]; c.Before == nil || c.After != nil {
		t.Errorf("deleted: before %v, after %v; want only before", c.Before, c.After)
	}
}

// A change whose record fails is rolled back: no change without its record.
func TestRecorderFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Open(t)
	rec := &changes{t: t, fail: errors.New("audit log down")}
	st := flags.NewSQLStore(sqlDB).WithRecorder(rec)
	if _, err := st.Create(ctx, flags.Flag{Key: "beta", Type: flags.Boolean}, 0); err == nil {
		t.Fatal("create succeeded though its record failed")
	}
	if _, err := flags.NewSQLStore(sqlDB).Get(ctx, "beta"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("flag stored though its record failed: %v", err)
	}
	if _, err := flags.NewSQLStore(sqlDB).Create(ctx, flags.Flag{Key: "beta", Type: flags.Boolean}, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "beta"); err == nil {
		t.Fatal("delete succeeded though its record failed")
	}
	if _, err := flags.NewSQLStore(sqlDB).Get(ctx, "beta"); err != nil {
		t.Errorf("flag deleted though its record failed: %v", err)
	}
}
