package generator

import (
	"errors"
	"strings"
	"testing"
)

// TestComposeRule: new (Compose) and add (WithAdded) follow one rule for
// exclusive groups: a member of a required group replaces the current one,
// a second member of another exclusive group is refused with the choices.
func TestComposeRule(t *testing.T) {
	reg := testRegistry(t)
	tests := []struct {
		name            string
		base, add, drop []string
		want            string // the composed list, joined with ","
		wantErr         string
		exclusive       bool // the error is an *ExclusiveError
		required        bool // the error is a *RequiredError
	}{
		{name: "add to empty", add: []string{"redis"}, want: "redis"},
		{name: "required group replaces", base: []string{"sqlite", "users"}, add: []string{"postgres"}, want: "users,postgres"},
		{name: "required group, same member", base: []string{"sqlite"}, add: []string{"sqlite"}, want: "sqlite"},
		{name: "optional exclusive group refused", base: []string{"sqlite", "auth-a", "users"}, add: []string{"auth-b"}, exclusive: true,
			wantErr: `auth-a and auth-b are alternatives in the exclusive group "auth": choose one of auth-a, auth-b`},
		{name: "optional exclusive group, first member", base: []string{"sqlite"}, add: []string{"auth-b"}, want: "sqlite,auth-b"},
		{name: "two members asked at once", add: []string{"sqlite", "postgres"}, exclusive: true, wantErr: "alternatives"},
		{name: "two auth members asked at once", add: []string{"auth-a", "auth-b"}, exclusive: true, wantErr: "alternatives"},
		{name: "switch by dropping first", base: []string{"sqlite", "auth-a", "users"}, add: []string{"auth-b"}, drop: []string{"auth-a"}, want: "sqlite,users,auth-b"},
		{name: "drop", base: []string{"sqlite", "redis", "users"}, drop: []string{"redis"}, want: "sqlite,users"},
		{name: "drop absent is fine", base: []string{"sqlite"}, drop: []string{"redis"}, want: "sqlite"},
		{name: "drop a requirement of the base", base: []string{"auth-a", "users"}, drop: []string{"users"}, required: true, wantErr: `cannot drop "users": feature "auth-a" requires it`},
		{name: "drop a requirement of an added feature", base: []string{"sqlite", "users"}, add: []string{"auth-a"}, drop: []string{"users"}, required: true, wantErr: `feature "auth-a" requires it`},
		{name: "replace the auth feature a feature needs", base: []string{"sqlite", "ai", "auth-a", "users"}, add: []string{"auth-b"}, drop: []string{"auth-a"}, want: "sqlite,ai,users,auth-b"},
		{name: "drop the auth feature a feature needs", base: []string{"sqlite", "ai", "auth-a", "users"}, drop: []string{"auth-a"}, required: true,
			wantErr: `cannot drop "auth-a": feature "ai" needs a feature of group "auth"`},
		{name: "added and dropped", add: []string{"redis"}, drop: []string{"redis"}, wantErr: `"redis" is both added and dropped`},
		{name: "conflict", base: []string{"redis"}, add: []string{"lonely"}, wantErr: `cannot be combined`},
		{name: "spaces and base ignored", base: []string{"sqlite"}, add: []string{" redis ", "base", ""}, want: "sqlite,redis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := reg.Compose(tt.base, tt.add, tt.drop)
			check := func(fn string, got []string, err error) {
				t.Helper()
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("%s err = %v, want %q", fn, err, tt.wantErr)
					}
					if !IsUsage(err) {
						t.Errorf("%s: not a usage error: %v", fn, err)
					}
					var ex *ExclusiveError
					if errors.As(err, &ex) != tt.exclusive {
						t.Errorf("%s: *ExclusiveError = %v, want %v (%v)", fn, !tt.exclusive, tt.exclusive, err)
					}
					var req *RequiredError
					if errors.As(err, &req) != tt.required {
						t.Errorf("%s: *RequiredError = %v, want %v (%v)", fn, !tt.required, tt.required, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s: %v", fn, err)
				}
				if s := strings.Join(got, ","); s != tt.want {
					t.Errorf("%s = %s, want %s", fn, s, tt.want)
				}
			}
			check("Compose", got, err)
			// add is the same rule without drop.
			if len(tt.drop) == 0 {
				got, err := reg.WithAdded(tt.base, tt.add)
				check("WithAdded", got, err)
			}
		})
	}
}
