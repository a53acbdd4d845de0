package v1

import "example.com/myapp/internal/api"

// The guard is shared by every API version (internal/api/guard.go); these
// are its names in v1's routes.
var (
	newGuard = api.NewGuard
	secured  = api.Secured
)
