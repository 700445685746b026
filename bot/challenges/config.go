// Package challenges holds Docent's coding challenges: challenge files
// (YAML, one challenge each, decoded strictly with file:line:column
// errors), answers normalised and checked against argon2id hashes, and the
// leaderboards. It knows no platform and no database: the bot stores the
// submissions and calls it to check and rank them.
package challenges

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/docent-bot/docent/bot/module"
)

// Config is the `challenges:` section of Docent's configuration.
type Config struct {
	// Folder holds the challenge files: every .yaml and .yml file below
	// it, one challenge each. "" turns challenges off.
	Folder string `yaml:"folder"`
	// Announce names, per platform, the channel where a challenge's
	// opening and closing are posted: discord (a channel ID), slack (a
	// channel ID, C…) and console ("local"). Empty: no announcements.
	Announce map[string]string `yaml:"announce"`
	// Attempts is how many answers a member may submit to each part of a
	// challenge; 0 means no limit.
	Attempts int `yaml:"attempts"`
	// Cooldown is how long a member waits after a wrong answer before the
	// next one to the same part.
	Cooldown time.Duration `yaml:"cooldown"`
	// Seasons name sets of challenge IDs that have a leaderboard of their
	// own (`!leaderboard spring-2026`).
	Seasons map[string][]string `yaml:"seasons"`
}

// DefaultConfig is the configuration a file leaves out: off, 10 attempts,
// 30s cooldown.
func DefaultConfig() Config {
	return Config{Attempts: 10, Cooldown: 30 * time.Second, Announce: map[string]string{}, Seasons: map[string][]string{}}
}

// Platforms that can announce, and how their channel IDs look.
var channelIDs = map[string]*regexp.Regexp{
	"discord": regexp.MustCompile(`^[0-9]{15,21}$`),
	"slack":   regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`),
	"console": regexp.MustCompile(`^local$`),
}

var channelExample = map[string]string{
	"discord": "a numeric channel ID such as 1081234567890123456 (Developer Mode, right click the channel, Copy Channel ID)",
	"slack":   "a channel ID such as C0123456789 (in the channel's details), not its name",
	"console": `"local", the console's one channel`,
}

// idPattern is what challenge, part and season names look like: they are
// typed in commands.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// validate reports every setting that cannot work, with its path in the
// section ("announce.slack"). Which seasons' challenges exist is checked
// when the challenges are loaded (Set.CheckSeasons).
func (c Config) validate(ck *module.Check) {
	if c.Attempts < 0 || c.Attempts > 1000 {
		ck.Errorf("attempts", "must be 0 (no limit) to 1000, got %d", c.Attempts)
	}
	if c.Cooldown < 0 || c.Cooldown > 24*time.Hour {
		ck.Errorf("cooldown", "must be 0 to 24h, got %s", c.Cooldown)
	}
	platforms := make([]string, 0, len(channelIDs))
	for p := range channelIDs {
		platforms = append(platforms, p)
	}
	slices.Sort(platforms)
	for _, p := range sortedKeys(c.Announce) {
		ch := c.Announce[p]
		re, ok := channelIDs[p]
		switch {
		case !ok:
			ck.Errorf("announce", "unknown platform %q: announcements go to %v", p, platforms)
		case !re.MatchString(ch):
			ck.Errorf("announce."+p, "%q is not %s", ch, channelExample[p])
		}
	}
	for _, name := range sortedKeys(c.Seasons) {
		if !idPattern.MatchString(name) {
			ck.Errorf("seasons", "season name %q: use lowercase letters, digits, - and _ (it is typed in `leaderboard <season>`)", name)
		}
		if len(c.Seasons[name]) == 0 {
			ck.Errorf("seasons."+name, "lists no challenges")
		}
		seen := map[string]bool{}
		for i, id := range c.Seasons[name] {
			if seen[id] {
				ck.Errorf(fmt.Sprintf("seasons.%s[%d]", name, i), "lists %q twice", id)
			}
			seen[id] = true
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
