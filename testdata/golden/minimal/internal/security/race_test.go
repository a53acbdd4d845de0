//go:build race

package security

func init() { raceEnabled = true }
