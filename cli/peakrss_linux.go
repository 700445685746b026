package cli

import "syscall"

// peakRSS is the most memory, in bytes, the process has held resident.
func peakRSS() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Maxrss << 10, true // Linux counts it in KiB
}
