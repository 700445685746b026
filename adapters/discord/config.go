package discord

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// Config holds the settings found under `adapters.discord:` in the YAML
// configuration. The yaml tags are the names admins write; Problems uses the
// same names.
type Config struct {
	Enabled bool `yaml:"enabled"`
	// Token is the bot token from the developer portal; write it as
	// ${DISCORD_TOKEN} so it comes from the environment. It is never logged.
	Token string `yaml:"token"`
	// MessageContent asks for the privileged MESSAGE_CONTENT intent (turn it
	// on in the developer portal too). Without it Discord sends the text of
	// mentions and DMs only, so help channels need it.
	MessageContent bool `yaml:"message_content"`
	// HelpChannels are channel IDs where every message that reads as a
	// question is answered, see chat.IsQuestion.
	HelpChannels []string `yaml:"help_channels"`
	// Guilds, when not empty, is the only guilds Docent answers in (DMs are
	// always answered).
	Guilds []string `yaml:"guilds"`
	// AllowChannels, when not empty, is the only channels Docent answers in;
	// DenyChannels are never answered in. A thread counts as its parent.
	AllowChannels []string `yaml:"allow_channels"`
	DenyChannels  []string `yaml:"deny_channels"`
	// Threads answers in a new thread on the member's message where the
	// channel allows it, else as a reply.
	Threads bool `yaml:"threads"`
	// CommandGuilds are the guilds slash commands are registered in (they
	// show up at once); empty registers them globally (may take an hour).
	CommandGuilds []string `yaml:"command_guilds"`
	// ShardID and ShardCount split guilds across processes: a large
	// deployment runs one process per shard, all with the same ShardCount:
	// each with its own database, or as replicas of one PostgreSQL
	// database, where ShardID may be AutoShard ("auto": each replica
	// claims a free shard, see Options.Shards) or come from the
	// environment (${DOCENT_SHARD_ID}). ShardCount 0 or 1 runs one
	// process for all guilds.
	ShardID    Shard `yaml:"shard_id"`
	ShardCount int   `yaml:"shard_count"`
	// APIBase replaces https://discord.com for REST and the gateway lookup
	// (tests, proxies). Empty talks to Discord.
	APIBase string `yaml:"api_base"`
}

// DefaultConfig returns the settings used for every field the YAML leaves
// out:
//
//	enabled:         false
//	message_content: false
//	threads:         true
//	shard_count:     1 (shard_id 0)
//
// Lists are empty: no help channels, every guild and channel allowed,
// slash commands registered globally.
func DefaultConfig() Config {
	return Config{Threads: true, ShardCount: 1}
}

// Problem is one unusable setting: the field's name as written under
// `adapters.discord:` ("shard_id") and what is wrong with it.
type Problem struct {
	Field, Msg string
}

// Problems lists every setting the adapter cannot work with. Messages never
// contain the token. A disabled adapter has no problems.
func (c Config) Problems() []Problem {
	if !c.Enabled {
		return nil
	}
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{field, fmt.Sprintf(format, args...)})
	}
	tok := strings.TrimSpace(c.Token)
	switch {
	case tok == "":
		add("token", "is required: write token: ${DISCORD_TOKEN} and set that variable to the bot token from the developer portal")
	case strings.HasPrefix(tok, "Bot "):
		add("token", "must be the bare token, without the \"Bot \" prefix")
	case strings.ContainsAny(tok, " \t\r\n"):
		add("token", "contains spaces; copy the token again from the developer portal")
	}
	if c.ShardCount < 0 {
		add("shard_count", "must be 1 or more, got %d", c.ShardCount)
	}
	switch {
	case c.ShardID == AutoShard:
	case c.ShardID < 0 || (c.ShardCount > 1 && int(c.ShardID) >= c.ShardCount) || (c.ShardCount <= 1 && c.ShardID != 0):
		add("shard_id", "must be from 0 to shard_count-1, or auto, got %d with shard_count %d", c.ShardID, c.ShardCount)
	}
	for _, l := range []struct {
		field string
		ids   []string
	}{
		{"help_channels", c.HelpChannels}, {"guilds", c.Guilds}, {"allow_channels", c.AllowChannels},
		{"deny_channels", c.DenyChannels}, {"command_guilds", c.CommandGuilds},
	} {
		for i, id := range l.ids {
			if !isSnowflake(id) {
				add(l.field, "item %d must be a numeric Discord ID (Developer Mode, right click, Copy ID), got %q", i+1, id)
			}
		}
	}
	for _, id := range c.AllowChannels {
		for _, d := range c.DenyChannels {
			if id == d {
				add("deny_channels", "channel %s is also in allow_channels", id)
			}
		}
	}
	if c.APIBase != "" {
		if u, err := url.Parse(c.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("api_base", "must be an http:// or https:// URL such as http://127.0.0.1:8080, got %q", c.APIBase)
		}
	}
	return ps
}

// Shard is a shard's number in shard_id, or AutoShard.
type Shard int

// AutoShard is `shard_id: auto`: a replica claims a shard no other
// replica holds when it connects (Options.Shards).
const AutoShard Shard = -1

// UnmarshalText reads a shard number (0 or more) or "auto".
func (s *Shard) UnmarshalText(b []byte) error {
	text := strings.TrimSpace(string(b))
	if text == "auto" {
		*s = AutoShard
		return nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 0 {
		return fmt.Errorf("must be a shard number (0 to shard_count-1) or auto, got %q", text)
	}
	*s = Shard(n)
	return nil
}

// String is the number, or "auto".
func (s Shard) String() string {
	if s == AutoShard {
		return "auto"
	}
	return strconv.Itoa(int(s))
}

func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// String renders the settings without the token.
func (c Config) String() string {
	return fmt.Sprintf("discord{enabled:%t token:%s message_content:%t help_channels:%d guilds:%d allow_channels:%d deny_channels:%d threads:%t command_guilds:%d shard:%s/%d api_base:%q}",
		c.Enabled, tokenShown(c.Token), c.MessageContent, len(c.HelpChannels), len(c.Guilds), len(c.AllowChannels),
		len(c.DenyChannels), c.Threads, len(c.CommandGuilds), c.ShardID.String(), c.ShardCount, c.APIBase)
}

// LogValue logs the settings without the token.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("enabled", c.Enabled),
		slog.String("token", tokenShown(c.Token)),
		slog.Bool("message_content", c.MessageContent),
		slog.Any("help_channels", c.HelpChannels),
		slog.Any("guilds", c.Guilds),
		slog.Any("allow_channels", c.AllowChannels),
		slog.Any("deny_channels", c.DenyChannels),
		slog.Bool("threads", c.Threads),
		slog.Any("command_guilds", c.CommandGuilds),
		slog.String("shard_id", c.ShardID.String()),
		slog.Int("shard_count", c.ShardCount),
		slog.String("api_base", c.APIBase),
	)
}

func tokenShown(t string) string {
	if t == "" {
		return "(none)"
	}
	return "(set)"
}
