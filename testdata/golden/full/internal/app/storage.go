package app

import (
	"time"

	"example.com/myapp/internal/storage"
)

// wireStorage serves the files API over backend, with the limits of the
// STORAGE_* variables. Each storage backend's wiring calls it.
// Presigned uploads never completed are purged every hour.
func (a *App) wireStorage(w *wiring, backend storage.Backend) {
	svc := storage.New(w.db, backend, storage.Config{
		MaxFileBytes: a.cfg.StorageMaxFileBytes,
		QuotaBytes:   a.cfg.StorageQuotaBytes,
		MaxFiles:     a.cfg.StorageMaxFiles,
		AllowedTypes: a.cfg.StorageAllowedTypes,
		URLTTL:       a.cfg.StorageURLTTL,
	})
	w.v1.Files = svc
	w.jobs.AddCleanup("pending_files", time.Hour, svc.PurgePending)
}
