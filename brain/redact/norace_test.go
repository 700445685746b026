//go:build !race

package redact

const raceSlowdown = 1
