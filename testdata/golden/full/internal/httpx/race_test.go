//go:build race

package httpx

func init() { raceEnabled = true }
