package app

import (
	"context"

	"example.com/myapp/internal/storage"
)

// wireStorageLocal keeps the files in STORAGE_LOCAL_DIR.
func (a *App) wireStorageLocal(_ context.Context, w *wiring) error {
	backend, err := storage.NewLocal(a.cfg.StorageLocalDir)
	if err != nil {
		return err
	}
	a.closers = append(a.closers, backend.Close)
	a.wireStorage(w, backend)
	return nil
}
