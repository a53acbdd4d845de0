package flags_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-feature/go-sdk/openfeature"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/db/dbtest"
	"example.com/myapp/internal/flags"
	"example.com/myapp/internal/users"
)

// syncBuffer is a log sink safe for the service's background goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// open starts a Service over sqlDB, closed when t ends.
func open(t *testing.T, sqlDB *sql.DB, cfg flags.Config) *flags.Service {
	t.Helper()
	cfg.Store = flags.NewSQLStore(sqlDB)
	if cfg.Plans == nil {
		cfg.Plans = flags.NewSQLPlans(sqlDB)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s, err := flags.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newUser(t *testing.T, sqlDB *sql.DB, email string) users.User {
	t.Helper()
	u, err := users.NewSQLStore(sqlDB).Create(context.Background(), users.New{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The same user keeps the same answer after a restart (a new Service over
// the same database) and on another instance.
func TestSameAnswerAfterRestartAndOnAnotherInstance(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Open(t)
	a := open(t, sqlDB, flags.Config{})
	if _, err := a.Create(ctx, flags.Flag{Key: "new-checkout", Type: flags.Percentage, Enabled: true, Percentage: 30}, 0); err != nil {
		t.Fatal(err)
	}
	before := map[int64]bool{}
	on := 0
	for id := int64(1); id <= 1000; id++ {
		before[id] = a.Evaluate(ctx, "new-checkout", a.Subject(id)).Enabled
		if before[id] {
			on++
		}
	}
	if on < 240 || on > 360 {
		t.Fatalf("%d of 1000 users on at 30%%", on)
	}
	_ = a.Close()
	restarted := open(t, sqlDB, flags.Config{})
	other := open(t, sqlDB, flags.Config{})
	for id, want := range before {
		if got := restarted.Evaluate(ctx, "new-checkout", restarted.Subject(id)).Enabled; got != want {
			t.Fatalf("user %d: %v after a restart, %v before", id, got, want)
		}
		if got := other.Evaluate(ctx, "new-checkout", other.Subject(id)).Enabled; got != want {
			t.Fatalf("user %d: %v on another instance, %v on the first", id, got, want)
		}
	}
}

// Without a bus, another instance sees a change at its next periodic
// refresh; the instance that made it, at once.
func TestChangeReachesAnotherInstanceByRefresh(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Open(t)
	a := open(t, sqlDB, flags.Config{})
	b := open(t, sqlDB, flags.Config{Refresh: 50 * time.Millisecond})
	if _, err := a.Create(ctx, flags.Flag{Key: "beta", Type: flags.Boolean, Enabled: true}, 0); err != nil {
		t.Fatal(err)
	}
	if !a.Evaluate(ctx, "beta", flags.Subject{}).Enabled {
		t.Fatal("the instance that created the flag does not see it at once")
	}
	waitFor(t, 2*time.Second, func() bool { return b.Evaluate(ctx, "beta", flags.Subject{}).Enabled })
}

// waitFor fails t unless cond becomes true within d.
func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An unknown key is off and logged once, however often it is asked for.
func TestUnknownFlagIsOffAndLoggedOnce(t *testing.T) {
	var logs syncBuffer
	s := open(t, dbtest.Open(t), flags.Config{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	for range 3 {
		if e := s.Evaluate(context.Background(), "no-such-flag", s.Subject(1)); e.Enabled || e.Reason != flags.ReasonUnknown {
			t.Fatalf("unknown flag: %+v", e)
		}
	}
	if n := strings.Count(logs.String(), "no-such-flag"); n != 1 {
		t.Errorf("unknown flag logged %d times, want once:\n%s", n, logs.String())
	}
}

// user_list and plan_based flags through the store and the plan column.
func TestUserListAndPlanBased(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Open(t)
	ada, bob := newUser(t, sqlDB, "ada@example.com"), newUser(t, sqlDB, "bob@example.com")
	s := open(t, sqlDB, flags.Config{})
	if _, err := s.Create(ctx, flags.Flag{Key: "early", Type: flags.UserList, Enabled: true, UserIDs: []int64{ada.ID}}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, flags.Flag{Key: "pro-reports", Type: flags.PlanBased, Enabled: true, Plans: []string{"pro"}}, 0); err != nil {
		t.Fatal(err)
	}
	if err := flags.NewSQLPlans(sqlDB).SetPlan(ctx, bob.ID, "pro"); err != nil {
		t.Fatal(err)
	}
	want := map[int64]map[string]bool{ada.ID: {"early": true, "pro-reports": false}, bob.ID: {"early": false, "pro-reports": true}}
	for id, flagsWant := range want {
		for _, e := range s.EvaluateAll(ctx, s.Subject(id)) {
			if e.Enabled != flagsWant[e.Key] {
				t.Errorf("user %d, %s = %v, want %v", id, e.Key, e.Enabled, flagsWant[e.Key])
			}
		}
	}
	if _, err := s.AddUser(ctx, "early", bob.ID, ada.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemoveUser(ctx, "early", ada.ID, ada.ID); err != nil {
		t.Fatal(err)
	}
	if s.Evaluate(ctx, "early", s.Subject(ada.ID)).Enabled || !s.Evaluate(ctx, "early", s.Subject(bob.ID)).Enabled {
		t.Error("add/remove user did not change the answers at once")
	}
	if err := flags.NewSQLPlans(sqlDB).SetPlan(ctx, 9999, "pro"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("SetPlan of an unknown user: %v, want not found", err)
	}
	if err := flags.NewSQLPlans(sqlDB).SetPlan(ctx, bob.ID, "Pro Plan!"); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("SetPlan with a malformed plan: %v, want invalid", err)
	}
}

// An expired flag is off without any reload: expiry is checked at
// evaluation time.
func TestExpiry(t *testing.T) {
	ctx := context.Background()
	s := open(t, dbtest.Open(t), flags.Config{})
	soon := time.Now().Add(300 * time.Millisecond)
	if _, err := s.Create(ctx, flags.Flag{Key: "promo", Type: flags.Boolean, Enabled: true, ExpiresAt: &soon}, 0); err != nil {
		t.Fatal(err)
	}
	if !s.Evaluate(ctx, "promo", flags.Subject{}).Enabled {
		t.Fatal("off before its expiry")
	}
	time.Sleep(time.Until(soon) + 10*time.Millisecond)
	if e := s.Evaluate(ctx, "promo", flags.Subject{}); e.Enabled || e.Reason != flags.ReasonDisabled {
		t.Fatalf("after its expiry: %+v, want off (DISABLED)", e)
	}
	f, err := s.Update(ctx, "promo", flags.Patch{ClearExpiry: true}, 0)
	if err != nil || f.ExpiresAt != nil || !s.Evaluate(ctx, "promo", flags.Subject{}).Enabled {
		t.Fatalf("clearing the expiry: %+v %v", f, err)
	}
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Open(t)
	admin := newUser(t, sqlDB, "admin@example.com")
	st := flags.NewSQLStore(sqlDB)
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	f, err := st.Create(ctx, flags.Flag{Key: "a.b_c-1", Description: "d", Type: flags.PlanBased, Plans: []string{"pro", "team"}, ExpiresAt: &exp}, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.CreatedBy != admin.ID || f.UpdatedBy != admin.ID || !f.ExpiresAt.Equal(exp) || len(f.Plans) != 2 || f.Enabled || f.CreatedAt.IsZero() {
		t.Errorf("created: %+v", f)
	}
	if _, err := st.Create(ctx, flags.Flag{Key: "a.b_c-1", Type: flags.Boolean}, 0); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("duplicate key: %v, want conflict", err)
	}
	for name, bad := range map[string]flags.Flag{
		"key":        {Key: "Bad Key", Type: flags.Boolean},
		"type":       {Key: "k", Type: "sometimes"},
		"percentage": {Key: "k", Type: flags.Percentage, Percentage: 101},
		"plans":      {Key: "k", Type: flags.PlanBased, Plans: []string{"Pro!"}},
		"user_ids":   {Key: "k", Type: flags.UserList, UserIDs: []int64{12345}},
	} {
		_, err := st.Create(ctx, bad, 0)
		fe, ok := err.(apperr.FieldErrors)
		if !ok || len(fe) != 1 || fe[0].Field != name {
			t.Errorf("invalid %s: %v, want a field error naming it", name, err)
		}
	}
	on, pct := true, 40
	f, err = st.Update(ctx, "a.b_c-1", flags.Patch{Enabled: &on, Percentage: &pct, UserIDs: &[]int64{admin.ID, admin.ID}}, 0)
	if err != nil || !f.Enabled || f.Percentage != 40 || len(f.UserIDs) != 1 || f.UpdatedBy != 0 || f.Description != "d" {
		t.Errorf("updated: %+v, %v", f, err)
	}
	if _, err := st.Update(ctx, "nope", flags.Patch{Enabled: &on}, 0); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("update unknown: %v, want not found", err)
	}
	if _, err := st.AddUser(ctx, "a.b_c-1", 9999, 0); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("add unknown user: %v, want not found", err)
	}
	if f, err := st.AddUser(ctx, "a.b_c-1", admin.ID, 0); err != nil || len(f.UserIDs) != 1 {
		t.Errorf("adding a user twice: %+v, %v; want one entry", f, err)
	}
	list, err := st.List(ctx)
	if err != nil || len(list) != 1 || len(list[0].UserIDs) != 1 {
		t.Errorf("list: %+v, %v", list, err)
	}
	if err := st.Delete(ctx, "a.b_c-1"); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "a.b_c-1"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("delete twice: %v, want not found", err)
	}
	if list, _ := st.List(ctx); len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}
}

// flags.Enabled reads the signed-in user of the request context.
func TestEnabledUsesTheRequestsUser(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Open(t)
	ada, bob := newUser(t, sqlDB, "ada@example.com"), newUser(t, sqlDB, "bob@example.com")
	s := open(t, sqlDB, flags.Config{})
	if _, err := s.Create(ctx, flags.Flag{Key: "early", Type: flags.UserList, Enabled: true, UserIDs: []int64{ada.ID}}, 0); err != nil {
		t.Fatal(err)
	}
	req := flags.NewContext(ctx, s)
	if !flags.Enabled(users.WithUser(req, ada), "early") || flags.Enabled(users.WithUser(req, bob), "early") || flags.Enabled(req, "early") {
		t.Error("Enabled does not follow the user of the context")
	}
	if flags.Enabled(users.WithUser(ctx, ada), "early") {
		t.Error("Enabled without a Service in the context is on")
	}
}

// The standard OpenFeature client answers through the provider.
func TestOpenFeatureProvider(t *testing.T) {
	ctx := context.Background()
	sqlDB := dbtest.Open(t)
	ada, bob := newUser(t, sqlDB, "ada@example.com"), newUser(t, sqlDB, "bob@example.com")
	s := open(t, sqlDB, flags.Config{})
	if _, err := s.Create(ctx, flags.Flag{Key: "early", Type: flags.UserList, Enabled: true, UserIDs: []int64{ada.ID}}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, flags.Flag{Key: "pro", Type: flags.PlanBased, Enabled: true, Plans: []string{"pro"}}, 0); err != nil {
		t.Fatal(err)
	}
	if err := openfeature.SetProviderAndWait(s.Provider()); err != nil {
		t.Fatal(err)
	}
	client := openfeature.NewDefaultClient()
	id := func(u users.User) openfeature.EvaluationContext {
		return openfeature.NewEvaluationContext(strconv.FormatInt(u.ID, 10), nil)
	}
	if !client.Boolean(ctx, "early", false, id(ada)) || client.Boolean(ctx, "early", false, id(bob)) {
		t.Error("targeting key is not the user id")
	}
	if !client.Boolean(users.WithUser(ctx, ada), "early", false, openfeature.EvaluationContext{}) {
		t.Error("without a targeting key, the user of ctx is not used")
	}
	if !client.Boolean(ctx, "pro", false, openfeature.NewEvaluationContext(strconv.FormatInt(bob.ID, 10), map[string]any{"plan": "pro"})) {
		t.Error("the plan attribute is not used")
	}
	d, err := client.BooleanValueDetails(ctx, "missing", true, id(ada))
	if err == nil || !d.Value || d.ErrorCode != openfeature.FlagNotFoundCode {
		t.Errorf("unknown flag: %+v, %v; want the default with FLAG_NOT_FOUND", d, err)
	}
	if _, err := client.StringValue(ctx, "early", "x", id(ada)); err == nil {
		t.Error("a string evaluation of a boolean flag did not fail")
	}
}
