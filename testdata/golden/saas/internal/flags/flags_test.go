package flags

import (
	"context"
	"errors"
	"testing"
	"time"
)

// 10,000 users at 30 % land in 30 ± 2 %, and another flag's 30 % is a
// different set of users (the key salts the bucket).
func TestBucketDistribution(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	a := Flag{Key: "new-checkout", Type: Percentage, Enabled: true, Percentage: 30}
	b := Flag{Key: "dark-mode", Type: Percentage, Enabled: true, Percentage: 30}
	var inA, inBoth int
	for id := int64(1); id <= 10000; id++ {
		onA, reason, err := Evaluate(ctx, a, Subject{UserID: id}, now)
		if err != nil || reason != ReasonSplit {
			t.Fatalf("user %d: %v %v", id, reason, err)
		}
		onB, _, _ := Evaluate(ctx, b, Subject{UserID: id}, now)
		if onA {
			inA++
			if onB {
				inBoth++
			}
		}
	}
	if inA < 2800 || inA > 3200 {
		t.Errorf("%d of 10000 users in a 30%% flag, want 3000 ± 200", inA)
	}
	// Independent flags overlap in about 30 % × 30 % = 9 % of users.
	if inBoth < 700 || inBoth > 1100 {
		t.Errorf("%d users in both 30%% flags, want about 900: buckets are not salted by the key", inBoth)
	}
}

// The bucket is SHA-256 of "key:id", so it is the same in every build, on
// every platform: these values were computed independently (Python's
// hashlib) and must never change, or users would flip between answers
// after an upgrade.
func TestBucketIsStable(t *testing.T) {
	for _, c := range []struct {
		key  string
		id   int64
		want int
	}{
		{"new-checkout", 1, 63},
		{"new-checkout", 42, 0},
		{"new-checkout", 1000000, 20},
		{"dark-mode", 42, 60},
	} {
		if got := Bucket(c.key, c.id); got != c.want {
			t.Errorf("Bucket(%q, %d) = %d, want %d", c.key, c.id, got, c.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	plan := func(p string) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { return p, nil }
	}
	failing := func(context.Context) (string, error) { return "", errors.New("billing is down") }
	tests := []struct {
		name   string
		flag   Flag
		sub    Subject
		want   bool
		reason Reason
	}{
		{"boolean on", Flag{Type: Boolean, Enabled: true}, Subject{}, true, ReasonStatic},
		{"boolean disabled", Flag{Type: Boolean}, Subject{UserID: 1}, false, ReasonDisabled},
		{"expired", Flag{Type: Boolean, Enabled: true, ExpiresAt: &past}, Subject{UserID: 1}, false, ReasonDisabled},
		{"expires exactly now", Flag{Type: Boolean, Enabled: true, ExpiresAt: &now}, Subject{UserID: 1}, false, ReasonDisabled},
		{"expires later", Flag{Type: Boolean, Enabled: true, ExpiresAt: &future}, Subject{UserID: 1}, true, ReasonStatic},
		{"100 % on", Flag{Key: "k", Type: Percentage, Enabled: true, Percentage: 100}, Subject{UserID: 7}, true, ReasonSplit},
		{"0 % off", Flag{Key: "k", Type: Percentage, Enabled: true, Percentage: 0}, Subject{UserID: 7}, false, ReasonSplit},
		{"percentage, anonymous", Flag{Key: "k", Type: Percentage, Enabled: true, Percentage: 100}, Subject{}, false, ReasonSplit},
		{"on the list", Flag{Type: UserList, Enabled: true, UserIDs: []int64{2, 5, 9}}, Subject{UserID: 5}, true, ReasonTargeting},
		{"not on the list", Flag{Type: UserList, Enabled: true, UserIDs: []int64{2, 5, 9}}, Subject{UserID: 6}, false, ReasonTargeting},
		{"list, disabled", Flag{Type: UserList, UserIDs: []int64{5}}, Subject{UserID: 5}, false, ReasonDisabled},
		{"on the plan", Flag{Type: PlanBased, Enabled: true, Plans: []string{"pro", "team"}}, Subject{UserID: 1, Plan: plan("team")}, true, ReasonTargeting},
		{"other plan", Flag{Type: PlanBased, Enabled: true, Plans: []string{"pro"}}, Subject{UserID: 1, Plan: plan("free")}, false, ReasonTargeting},
		{"no plan", Flag{Type: PlanBased, Enabled: true, Plans: []string{"pro"}}, Subject{UserID: 1, Plan: plan("")}, false, ReasonTargeting},
		{"no plan source", Flag{Type: PlanBased, Enabled: true, Plans: []string{"pro"}}, Subject{UserID: 1}, false, ReasonTargeting},
		{"plan lookup fails", Flag{Type: PlanBased, Enabled: true, Plans: []string{"pro"}}, Subject{UserID: 1, Plan: failing}, false, ReasonError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason, err := Evaluate(context.Background(), tt.flag, tt.sub, now)
			if got != tt.want || reason != tt.reason || (err != nil) != (tt.reason == ReasonError) {
				t.Errorf("Evaluate = %v, %s, %v; want %v, %s", got, reason, err, tt.want, tt.reason)
			}
		})
	}
}

// A disabled plan_based flag does not look the plan up: checks cost no
// query unless they need one.
func TestEvaluateLooksUpPlansOnlyWhenNeeded(t *testing.T) {
	calls := 0
	sub := Subject{UserID: 1, Plan: func(context.Context) (string, error) { calls++; return "pro", nil }}
	checks := []Flag{
		{Type: PlanBased, Plans: []string{"pro"}}, // disabled
		{Type: Boolean, Enabled: true},
		{Key: "k", Type: Percentage, Enabled: true, Percentage: 50},
	}
	for _, f := range checks {
		if _, _, err := Evaluate(context.Background(), f, sub, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 0 {
		t.Errorf("plan looked up %d times, want 0", calls)
	}
}
