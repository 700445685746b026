package recommend

import (
	"strings"
	"time"

	"github.com/docent-bot/docent/bot/module"
)

// Config is the `recommend:` section of Docent's configuration.
type Config struct {
	// Enabled turns `!recommend`, the profiles and the digests on.
	Enabled bool `yaml:"enabled"`
	// DigestDay and DigestHour are when the weekly digest is sent to the
	// members who asked for it (`!recommend digest on`): a day of the
	// week ("monday") and an hour, UTC.
	DigestDay  string `yaml:"digest_day"`
	DigestHour int    `yaml:"digest_hour"`
	// HalfLife is how long a topic word of a member's takes to weigh half
	// as much: what they talked about lately counts more.
	HalfLife time.Duration `yaml:"half_life"`
}

// DefaultConfig is on, digests on Mondays at 09:00 UTC, words halving in
// a year (tuned on the DuraSpace history's months before its last six:
// 30 days scored 0.25, 90 days 0.28, a year 0.31, three years 0.30).
func DefaultConfig() Config {
	return Config{Enabled: true, DigestDay: "monday", DigestHour: 9, HalfLife: 365 * 24 * time.Hour}
}

// weekday reads a day's name, in English, any case.
func weekday(name string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(name, d.String()) {
			return d, true
		}
	}
	return 0, false
}

// Validate checks the section's values, with their paths.
func (mod *Module) Validate(c *module.Check) {
	if _, ok := weekday(mod.cfg.DigestDay); !ok {
		c.Errorf("digest_day", "%s is not a day of the week (monday … sunday)", c.Show("digest_day", mod.cfg.DigestDay))
	}
	if mod.cfg.DigestHour < 0 || mod.cfg.DigestHour > 23 {
		c.Errorf("digest_hour", "must be an hour of the day, 0 to 23 (UTC), got %d", mod.cfg.DigestHour)
	}
	if mod.cfg.HalfLife < 24*time.Hour || mod.cfg.HalfLife > 10*365*24*time.Hour {
		c.Errorf("half_life", "must be 24h to 87600h (ten years), got %s", mod.cfg.HalfLife)
	}
}
