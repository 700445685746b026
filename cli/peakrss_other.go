//go:build !linux

package cli

// peakRSS is not measured here (getrusage's units differ between systems).
func peakRSS() (int64, bool) { return 0, false }
