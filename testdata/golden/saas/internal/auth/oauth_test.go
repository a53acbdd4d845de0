package auth

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// The whole OAuth flow is tested over HTTP against fake providers in
// internal/api/v1/oauth_test.go; these are the parts it cannot reach.

func TestSpentStates(t *testing.T) {
	var s spentStates
	if !s.spend("a", 100, 0) || s.spend("a", 100, 0) {
		t.Fatal("a state is spent once, and then refused")
	}
	// Expired states are forgotten once the set grows; live ones are kept.
	for i := range 1023 {
		s.spend(fmt.Sprint("old", i), 50, 0)
	}
	if !s.spend("new", 200, 60) {
		t.Fatal("a new state was refused")
	}
	if len(s.m) != 2 {
		t.Errorf("%d states remembered, want 2", len(s.m))
	}
	if s.spend("a", 100, 60) {
		t.Error("a live spent state was forgotten")
	}
}

func TestSignInExternalConcurrentFirstSignIn(t *testing.T) {
	s, _ := newTestService(t, testConfig())
	p := Profile{Subject: "42", Email: "ada@example.com", EmailVerified: true, Name: "Ada"}
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids = map[int64]bool{}
	)
	for range 4 {
		wg.Go(func() {
			if _, err := s.signInExternal(context.Background(), "github", p); err != nil {
				t.Error(err)
				return
			}
			id, err := s.linkedUser(context.Background(), "github", "42")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[id] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(ids) != 1 {
		t.Errorf("one account became users %v", ids)
	}
}
