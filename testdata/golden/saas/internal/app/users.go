package app

import (
	"context"

	"example.com/myapp/internal/users"
)

// wireUsers stores user accounts in the service's database. Who a caller
// is comes from the auth feature, which sets w.v1.Authenticator.
func (a *App) wireUsers(_ context.Context, w *wiring) error {
	w.v1.Users = users.NewSQLStore(w.db)
	return nil
}
