package users

// The ownership rules, in one place so handlers and tests agree. Roles come
// from the stored user, never from a token, so a demotion takes effect at
// once.

// CanView reports whether actor may read target: themself, or any user when
// actor is an admin or above.
func CanView(actor, target User) bool {
	return actor.ID == target.ID || actor.Role.AtLeast(RoleAdmin)
}

// CanEdit reports whether actor may change or delete target: themself, or
// a user whose role is below actor's when actor is an admin or above.
func CanEdit(actor, target User) bool {
	if actor.ID == target.ID {
		return true
	}
	return actor.Role.AtLeast(RoleAdmin) && actor.Role.Rank() > target.Role.Rank()
}

// CanAssign reports whether actor may give target the role r: only an admin
// or above, never to themself, and only roles below actor's own.
func CanAssign(actor, target User, r Role) bool {
	return r.Valid() && actor.ID != target.ID && actor.Role.AtLeast(RoleAdmin) && actor.Role.Rank() > r.Rank() && CanEdit(actor, target)
}
