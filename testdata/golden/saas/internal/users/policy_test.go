package users_test

import (
	"testing"

	"example.com/myapp/internal/users"
)

func TestPolicy(t *testing.T) {
	u1 := users.User{ID: 1, Role: users.RoleUser}
	u2 := users.User{ID: 2, Role: users.RoleUser}
	a1 := users.User{ID: 3, Role: users.RoleAdmin}
	a2 := users.User{ID: 4, Role: users.RoleAdmin}
	s1 := users.User{ID: 5, Role: users.RoleSuperadmin}
	tests := []struct {
		name                 string
		actor, target        users.User
		view, edit           bool
		assignUser, assignAd bool
	}{
		{"user self", u1, u1, true, true, false, false},
		{"user other user", u1, u2, false, false, false, false},
		{"user admin", u1, a1, false, false, false, false},
		{"admin user", a1, u1, true, true, true, false},
		{"admin self", a1, a1, true, true, false, false},
		{"admin other admin", a1, a2, true, false, false, false},
		{"admin superadmin", a1, s1, true, false, false, false},
		{"superadmin admin", s1, a1, true, true, true, true},
		{"superadmin user", s1, u1, true, true, true, true},
		{"unknown role", users.User{ID: 9, Role: "root"}, u1, false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := users.CanView(tt.actor, tt.target); got != tt.view {
				t.Errorf("CanView = %v", got)
			}
			if got := users.CanEdit(tt.actor, tt.target); got != tt.edit {
				t.Errorf("CanEdit = %v", got)
			}
			if got := users.CanAssign(tt.actor, tt.target, users.RoleUser); got != tt.assignUser {
				t.Errorf("CanAssign(user) = %v", got)
			}
			if got := users.CanAssign(tt.actor, tt.target, users.RoleAdmin); got != tt.assignAd {
				t.Errorf("CanAssign(admin) = %v", got)
			}
			if users.CanAssign(tt.actor, tt.target, users.RoleSuperadmin) {
				t.Errorf("nobody may make a superadmin through the API")
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	for h, want := range map[string]string{"Bearer abc": "abc", "bearer abc": "abc", "Basic abc": "", "Bearer ": "", "Bearerabc": "", "": ""} {
		got, ok := users.BearerToken(h)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q, %v", h, got, ok)
		}
	}
}
