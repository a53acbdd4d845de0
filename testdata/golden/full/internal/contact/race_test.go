//go:build race

package contact_test

func init() { raceEnabled = true }
