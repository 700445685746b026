package slack

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Config holds the settings found under `adapters.slack:` in the YAML
// configuration. The yaml tags are the names admins write; Problems uses the
// same names.
type Config struct {
	Enabled bool `yaml:"enabled"`
	// BotToken (xoxb-…) calls the Web API; AppToken (xapp-…, with the
	// connections:write scope) opens the Socket Mode connection. Write them
	// as ${SLACK_BOT_TOKEN} and ${SLACK_APP_TOKEN} so they come from the
	// environment. They are never logged.
	BotToken string `yaml:"bot_token"`
	AppToken string `yaml:"app_token"`
	// Mode is "socket" (no public URL needed) or "events" (the HTTP Events
	// API: Slack posts to Listen, behind the admin's HTTPS proxy, and every
	// request is checked against SigningSecret).
	Mode          string `yaml:"mode"`
	Listen        string `yaml:"listen"`
	SigningSecret string `yaml:"signing_secret"`
	// HelpChannels are channel IDs (C…) where Docent answers messages that
	// read as questions (chat.IsQuestion) without being mentioned.
	HelpChannels []string `yaml:"help_channels"`
	// AllowChannels, when not empty, are the only channels Docent listens
	// in (direct messages aside); DenyChannels are never listened in.
	AllowChannels []string `yaml:"allow_channels"`
	DenyChannels  []string `yaml:"deny_channels"`
	// WorkingReaction is the emoji name put on a question while Docent
	// works on it and taken off with the first reply; "" puts none.
	WorkingReaction string `yaml:"working_reaction"`
	// FeedbackButtons puts 👍/👎 buttons under each answer (not under
	// drafts, command output or ephemeral answers).
	FeedbackButtons bool `yaml:"feedback_buttons"`
	// UsergroupsRefresh is how old the cached list of user groups (for
	// admins listed as slack:role:S…) may get before it is fetched again;
	// 0 turns the lookup off. It needs the usergroups:read scope.
	UsergroupsRefresh time.Duration `yaml:"usergroups_refresh"`
	// APIURL replaces https://slack.com/api/ (tests, proxies).
	APIURL string `yaml:"api_url"`
}

// Modes.
const (
	ModeSocket = "socket"
	ModeEvents = "events"
)

// DefaultConfig returns the settings used for every field the YAML leaves
// out. The tokens have no default.
//
//	enabled:          false
//	mode:             socket
//	listen:           127.0.0.1:3000 (events mode; put an HTTPS proxy in front)
//	working_reaction: eyes
//	feedback_buttons: true
//	usergroups_refresh: 5m
func DefaultConfig() Config {
	return Config{
		Mode:              ModeSocket,
		Listen:            "127.0.0.1:3000",
		WorkingReaction:   "eyes",
		FeedbackButtons:   true,
		UsergroupsRefresh: DefaultUsergroupsRefresh,
	}
}

// DefaultUsergroupsRefresh is usergroups_refresh's default;
// MinUsergroupsRefresh keeps the lookup well inside Slack's rate limit for
// usergroups.list.
const (
	DefaultUsergroupsRefresh = 5 * time.Minute
	MinUsergroupsRefresh     = 30 * time.Second
)

// Problem is one unusable setting: the field's name as written under
// `adapters.slack:` ("bot_token") and what is wrong with it.
type Problem struct {
	Field, Msg string
}

// Problems lists every setting the adapter cannot work with; a disabled
// adapter has none. Messages never contain a token or the signing secret.
func (c Config) Problems() []Problem {
	if !c.Enabled {
		return nil
	}
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{field, fmt.Sprintf(format, args...)})
	}
	switch {
	case c.BotToken == "":
		add("bot_token", "is required: write bot_token: ${SLACK_BOT_TOKEN} and set that variable to the xoxb-… token")
	case !strings.HasPrefix(c.BotToken, "xoxb-"):
		add("bot_token", "must be a bot token (xoxb-…); check the variable it comes from")
	}
	switch c.Mode {
	case ModeSocket:
		switch {
		case c.AppToken == "":
			add("app_token", "is required in socket mode: write app_token: ${SLACK_APP_TOKEN} and set that variable to the xapp-… token")
		case !strings.HasPrefix(c.AppToken, "xapp-"):
			add("app_token", "must be an app-level token (xapp-…) with the connections:write scope")
		}
	case ModeEvents:
		if c.SigningSecret == "" {
			add("signing_secret", "is required in events mode: write signing_secret: ${SLACK_SIGNING_SECRET}")
		}
		if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
			add("listen", "must be host:port such as 127.0.0.1:3000, got %q", c.Listen)
		}
	default:
		add("mode", "must be %q or %q, got %q", ModeSocket, ModeEvents, c.Mode)
	}
	for field, ids := range map[string][]string{"help_channels": c.HelpChannels, "allow_channels": c.AllowChannels, "deny_channels": c.DenyChannels} {
		for _, id := range ids {
			if msg := channelIDProblem(id); msg != "" {
				add(field, "%s", msg)
			}
		}
	}
	for _, id := range c.AllowChannels {
		if slices.Contains(c.DenyChannels, id) {
			add("deny_channels", "%s is in allow_channels too; keep it in one list", id)
		}
	}
	if r := c.WorkingReaction; r != "" && (strings.ContainsAny(r, ": \t") || r != strings.ToLower(r)) {
		add("working_reaction", "must be an emoji name without colons, such as eyes, got %q", r)
	}
	if d := c.UsergroupsRefresh; d != 0 && d < MinUsergroupsRefresh {
		add("usergroups_refresh", "must be 0 (no lookup) or at least %s, got %s", MinUsergroupsRefresh, d)
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("api_url", "must be an http:// or https:// URL such as https://slack.com/api/")
		}
	}
	slices.SortStableFunc(ps, func(a, b Problem) int { return strings.Compare(a.Field, b.Field) })
	return ps
}

func channelIDProblem(id string) string {
	switch {
	case id == "":
		return "has an empty channel ID"
	case strings.HasPrefix(id, "#"):
		return fmt.Sprintf("names %s: write the channel ID (C…, in the channel's details), not its name", id)
	case strings.ToUpper(id) != id || strings.ContainsAny(id, " \t"):
		return fmt.Sprintf("has %q, which is not a channel ID such as C0123456789", id)
	}
	return ""
}

// Validate reports every unusable setting at once.
func (c Config) Validate() error {
	var errs []error
	for _, p := range c.Problems() {
		errs = append(errs, fmt.Errorf("%s %s", p.Field, p.Msg))
	}
	return errors.Join(errs...)
}

// String shows the settings without the tokens or the signing secret, so
// that printing a Config by mistake leaks nothing.
func (c Config) String() string {
	return fmt.Sprintf("slack{enabled: %t, mode: %s, listen: %s, bot_token: %s, app_token: %s, signing_secret: %s, "+
		"help_channels: %v, allow_channels: %v, deny_channels: %v, working_reaction: %q, feedback_buttons: %t, usergroups_refresh: %s, api_url: %s}",
		c.Enabled, c.Mode, c.Listen, shown(c.BotToken), shown(c.AppToken), shown(c.SigningSecret),
		c.HelpChannels, c.AllowChannels, c.DenyChannels, c.WorkingReaction, c.FeedbackButtons, c.UsergroupsRefresh, c.APIURL)
}

// LogValue logs the settings without the tokens or the signing secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("enabled", c.Enabled),
		slog.String("mode", c.Mode),
		slog.String("listen", c.Listen),
		slog.String("bot_token", shown(c.BotToken)),
		slog.String("app_token", shown(c.AppToken)),
		slog.String("signing_secret", shown(c.SigningSecret)),
		slog.Any("help_channels", c.HelpChannels),
		slog.String("working_reaction", c.WorkingReaction),
		slog.Bool("feedback_buttons", c.FeedbackButtons),
		slog.Duration("usergroups_refresh", c.UsergroupsRefresh),
	)
}

func shown(secret string) string {
	if secret == "" {
		return "(none)"
	}
	return "(set)"
}
