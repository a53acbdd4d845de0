package app

import (
	"context"
	"fmt"

	"example.com/myapp/internal/admin"
	"example.com/myapp/internal/audit"
	"example.com/myapp/internal/auth"
	"example.com/myapp/internal/billing"
	"example.com/myapp/internal/jobs"
	"example.com/myapp/internal/users"
)

// wireAdmin adds the admin endpoints: the dashboard, the audit log and
// impersonation. Changes made through the users store are audited in
// their own transaction from now on, and features wired after this one
// record theirs through w.audit.
func (a *App) wireAdmin(_ context.Context, w *wiring) error {
	log := audit.New(w.db)
	w.audit = log
	w.v1.Audit = log
	store, ok := w.v1.Users.(*users.SQLStore)
	if !ok {
		return fmt.Errorf("admin: the users store is a %T; its changes could not be audited", w.v1.Users)
	}
	w.v1.Users = store.WithRecorder(log)

	// The dashboard's numbers: one entry per feature (slot admin.stats).
	stats := []admin.Stat{
		{Name: "users", Collect: admin.UserStats},
		{Name: "sessions", Collect: auth.SessionStats},
		{Name: "jobs", Collect: jobs.DashboardStats},
		{Name: "billing", Collect: billing.DashboardStats},
	}
	dash, err := admin.NewDashboard(w.db, stats...)
	if err != nil {
		return err
	}
	w.v1.Dashboard = dash

	// Impersonation: the check marks requests made with a live
	// impersonation token; the audit log then writes one row for each.
	imp := admin.NewImpersonations(w.db, w.v1.Auth, log, a.cfg.ImpersonationTTL)
	w.v1.Impersonations = imp
	w.chain.Inner = append(w.chain.Inner, imp.Middleware)
	w.chain.Inner = append(w.chain.Inner, log.Middleware)
	return nil
}
