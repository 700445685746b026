//go:build race

package redact

// raceSlowdown scales time budgets: the race detector slows regexp matching down a lot.
const raceSlowdown = 20
