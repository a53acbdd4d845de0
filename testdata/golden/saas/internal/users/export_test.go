package users

import "time"

// SetClock replaces the store's clock in tests.
func SetClock(s *SQLStore, now func() time.Time) { s.now = now }
