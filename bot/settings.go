package bot

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/docent-bot/docent/adapters/discord"
	"github.com/docent-bot/docent/adapters/slack"
	"github.com/docent-bot/docent/adapters/web"
	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain/classifier"
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/store"
)

// Config is Docent's whole configuration, as written in one YAML file.
// config.example.yaml documents every field with its default.
type Config struct {
	Bot       BotConfig         `yaml:"bot"`
	Links     map[string]string `yaml:"links"`
	Store     StoreConfig       `yaml:"store"`
	Brain     BrainConfig       `yaml:"brain"`
	Knowledge KnowledgeConfig   `yaml:"knowledge"`
	LLM       LLMConfig         `yaml:"llm"`
	Adapters  AdaptersConfig    `yaml:"adapters"`
	Ops       OpsConfig         `yaml:"ops"`
	Log       LogConfig         `yaml:"log"`

	// File is the config file's name as the admin gave it.
	File  string    `yaml:"-"`
	files fileSpace // where relative paths are found
	// starter is the folder of starter intents used when brain.intents
	// names none (WithStarterIntents); its fsys is nil when there is none.
	starter fileSpace
	// pos is where each field was written, for problems found after
	// loading (the challenges' seasons).
	pos config.Positions
	// modules are the feature modules, each holding its own section.
	modules []module.Module
	// inUse is set while a Bot is open with this config (its modules
	// serve one bot at a time).
	inUse *atomic.Bool
	// opsFrom, when set (WithOpsListen), replaces ops.listen after the
	// file is read, naming where the value came from.
	opsFrom *opsOverride
	// noSecrets (WithoutSecrets) leaves the tokens and keys the
	// environment did not set unchecked.
	noSecrets bool
}

// BotConfig is the bot's own behaviour.
type BotConfig struct {
	Name string `yaml:"name"`
	// Community is the name of the community Docent serves, for !about
	// and responses ({{.Community}}); "" when not given.
	Community            string          `yaml:"community"`
	CommandPrefix        string          `yaml:"command_prefix"`
	Timeout              time.Duration   `yaml:"timeout"`
	ShutdownTimeout      time.Duration   `yaml:"shutdown_timeout"`
	MaxConcurrent        int             `yaml:"max_concurrent"`
	QueuePerConversation int             `yaml:"queue_per_conversation"`
	MaxMessageBytes      int             `yaml:"max_message_bytes"`
	RateLimit            RateLimitConfig `yaml:"rate_limit"`
	// Admins may use admin commands: "platform:user-id" each, with the
	// platform's stable user ID (not a display name), or
	// "platform:role:role-id" for everyone holding a role.
	Admins []string `yaml:"admins"`
}

// StoreConfig is where history and models are kept.
type StoreConfig struct {
	Path        string        `yaml:"path"`
	LockTimeout time.Duration `yaml:"lock_timeout"`
	// RetentionDays deletes messages and answers older than this many
	// days (0 keeps them forever).
	RetentionDays int `yaml:"retention_days"`
	// MaxSizeMB caps the database file (0: no cap). At the cap, Docent
	// goes on answering and says history is not being saved.
	MaxSizeMB int64 `yaml:"max_size_mb"`
	// Postgres, when its URL is set, keeps the history in that PostgreSQL
	// database instead of the bbolt file; path still names where Docent
	// keeps its local files (the control socket, the knowledge cache).
	Postgres PostgresConfig `yaml:"postgres"`
}

// PostgresConfig is the PostgreSQL database the store runs on.
type PostgresConfig struct {
	// URL is postgres://user:password@host:port/database?sslmode=…,
	// usually ${DOCENT_DATABASE_URL}, so that the password stays out of
	// the file.
	URL string `yaml:"url"`
	// Replicas makes this Docent one of several sharing the database
	// (each with the same setting); without it, a Docent has its database
	// to itself, and a second one is refused.
	Replicas bool `yaml:"replicas"`
}

// BrainConfig is how questions are answered.
type BrainConfig struct {
	Intents []string `yaml:"intents"`
	// WatchInterval is how often the intents files are checked for
	// changes, which retrain in the background; 0 turns watching off.
	WatchInterval time.Duration       `yaml:"watch_interval"`
	Threshold     float64             `yaml:"threshold"`
	Margin        float64             `yaml:"margin"`
	Classifier    classifier.Settings `yaml:"classifier"`
}

// KnowledgeConfig is the docs Docent searches when no intent is sure.
type KnowledgeConfig struct {
	Folders []FolderConfig `yaml:"folders"`
	// MinConfidence, when set (above 0), is a fixed lowest search
	// confidence (0 to 1) shown to a member; below it Docent says it does
	// not know. Unset (0, the default), each index learns its own cut for
	// each question's length (knowledge.Index.MinConfidence).
	MinConfidence float64 `yaml:"min_confidence"`
	// Results is how many passages an answer lists at most.
	Results int `yaml:"results"`
	// Related is how many related passages are listed under an intent's
	// answer when their confidence is at least RelatedConfidence (0: none).
	Related           int     `yaml:"related"`
	RelatedConfidence float64 `yaml:"related_confidence"`
	// DuplicateSimilarity is how alike (0 to 1) a question must be to one
	// answered earlier in the same channel to get "Asked before in …"
	// ahead of its answer (0: never).
	DuplicateSimilarity float64 `yaml:"duplicate_similarity"`
}

// FolderConfig is one folder of docs (Markdown, reStructuredText, text)
// and where members read them: the links follow the published site.
type FolderConfig struct {
	Path    string `yaml:"path"`
	BaseURL string `yaml:"base_url"`
	// Links is "file" (the default: the file's path as it is, as on
	// GitHub) or "pretty" (no extension, index pages as their folder).
	Links string `yaml:"links"`
	// TrailingSlash and Lowercase shape pretty links.
	TrailingSlash bool `yaml:"trailing_slash"`
	Lowercase     bool `yaml:"lowercase"`
	// Anchors is the site's anchor style: github, vitepress, mkdocs or
	// sphinx; empty is github for Markdown and sphinx for .rst.
	Anchors string `yaml:"anchors"`
	// Exclude is glob patterns of files and folders not to index (a
	// changelog, a blog), as knowledge.Excluded reads them.
	Exclude []string `yaml:"exclude"`
}

// LLMConfig turns on an OpenAI-compatible LLM that answers, from the
// passages found, the questions no intent is sure of.
type LLMConfig struct {
	Enabled    bool `yaml:"enabled"`
	llm.Config `yaml:",inline"`
	// History is how many recent messages of the conversation the LLM sees.
	History int `yaml:"history"`
	// StreamInterval is how often a streamed answer's message is edited,
	// where the platform can edit messages.
	StreamInterval time.Duration `yaml:"stream_interval"`
	// The budget (llm.budget) is the budgets module's section.
}

// AdaptersConfig enables the platforms Docent talks on.
type AdaptersConfig struct {
	Console ConsoleConfig  `yaml:"console"`
	Discord discord.Config `yaml:"discord"`
	Slack   slack.Config   `yaml:"slack"`
	Web     web.Config     `yaml:"web"`
}

// ConsoleConfig is the terminal chat.
type ConsoleConfig struct {
	Enabled bool `yaml:"enabled"`
	// Member is the name the person at the terminal goes by; empty means
	// the login name.
	Member string `yaml:"member"`
}

// LogConfig sets the log's level and format.
type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Defaults returns the configuration used for every field a file leaves out.
func Defaults() Config {
	cfg := Config{
		Bot: BotConfig{Name: "Docent", CommandPrefix: "!", Timeout: 30 * time.Second, ShutdownTimeout: 45 * time.Second,
			MaxConcurrent: 64, QueuePerConversation: 32, MaxMessageBytes: 16 << 10,
			RateLimit: RateLimitConfig{MemberPerMinute: 20, MemberBurst: 8, ChannelPerMinute: 120, ChannelBurst: 40}},
		Links:     map[string]string{},
		Store:     StoreConfig{Path: "data/docent.db", LockTimeout: time.Second},
		Brain:     BrainConfig{WatchInterval: 2 * time.Second, Threshold: 0.5, Margin: 0.1, Classifier: classifier.DefaultSettings()},
		Knowledge: KnowledgeConfig{Results: 3, Related: 0, RelatedConfidence: 0.3},
		LLM:       LLMConfig{Config: llm.DefaultConfig(), History: 6, StreamInterval: time.Second},
		Adapters:  AdaptersConfig{Console: ConsoleConfig{Enabled: true}, Discord: discord.DefaultConfig(), Slack: slack.DefaultConfig(), Web: web.DefaultConfig()},
		Ops:       OpsConfig{Listen: DefaultOpsListen},
		Log:       LogConfig{Level: "info", Format: "text"},
	}
	cfg.Knowledge.DuplicateSimilarity = knowledge.DefaultDuplicateSimilarity
	cfg.modules, cfg.inUse = NewModules(), new(atomic.Bool)
	return cfg
}

// A LoadOption changes how a config file is loaded.
type LoadOption func(*Config)

// WithStarterIntents makes the intents files in the folder dir of fsys
// (the starter intents built into the binary) the intents of a config
// whose brain.intents names none, so that a config needs no intents
// files of its own.
func WithStarterIntents(fsys fs.FS, dir string) LoadOption {
	return func(c *Config) { c.starter = fileSpace{fsys: fsys, dir: dir} }
}

// WithOpsListen makes addr the ops listener's address whatever the file
// says (the command line's $DOCENT_OPS_LISTEN, for a container or a test
// that must not take the default port); from names where addr came from,
// for errors.
func WithOpsListen(addr, from string) LoadOption {
	return func(c *Config) { c.opsFrom = &opsOverride{addr, from} }
}

// WithoutSecrets loads the config for a command that reaches no platform
// and no LLM (stats, import, backup, user delete…): a token or API key the
// environment leaves empty is no error there, so that an admin's shell or
// a cron job need not hold the service's secrets. Every other setting is
// checked as for `docent run`, which, with `docent config check`, loads
// without it.
func WithoutSecrets() LoadOption { return func(c *Config) { c.noSecrets = true } }

// LoadConfig reads and checks the config file at name. Every problem is
// reported at once, each with file, line, column and field.
func LoadConfig(name string, opts ...LoadOption) (*Config, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(name, data, opts...)
}

// ParseConfig checks data as the config file at name would be checked,
// relative paths taken from name's folder, without reading name: `docent
// init` checks a config before writing it.
func ParseConfig(name string, data []byte, opts ...LoadOption) (*Config, error) {
	return parseConfig(name, data, fileSpace{dir: filepath.Dir(name)}, opts...)
}

// LoadConfigFS reads the config file at name inside fsys, whose relative
// paths (intents) are found in fsys too; the store stays on disk, relative
// to the working directory. It serves the default config built into the
// binary.
func LoadConfigFS(fsys fs.FS, name, display string, opts ...LoadOption) (*Config, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parseConfig(display, data, fileSpace{fsys: fsys, dir: path.Dir(name)}, opts...)
}

func parseConfig(file string, data []byte, files fileSpace, opts ...LoadOption) (*Config, error) {
	cfg := Defaults()
	cfg.File, cfg.files = file, files
	for _, o := range opts {
		o(&cfg)
	}
	dst, placed, keep, err := withSections(&cfg, cfg.modules)
	if err != nil {
		return nil, err
	}
	pos, err := config.Decode(file, data, dst, config.Options{Placed: placed})
	keep()
	cfg.pos = pos
	if o := cfg.opsFrom; o != nil {
		cfg.Ops.Listen = o.addr
	}
	var errs config.Errors
	if err != nil {
		if !errors.As(err, &errs) || len(pos) <= 1 {
			// Not YAML at all (or not a mapping): checking the defaults
			// would only add errors about fields the admin did write.
			return nil, err
		}
	}
	errs = append(errs, cfg.validate(pos)...)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// validate checks values that decode fine but cannot work: each section
// checks its own fields, then the rules that tie sections together, then
// each module its own section.
func (c *Config) validate(pos config.Positions) config.Errors {
	adapters := c.Adapters.enabled()
	var errs config.Errors
	for _, s := range []struct {
		name     string
		validate func(*module.Check)
	}{
		{"bot", c.Bot.validate},
		{"links", func(k *module.Check) { validateLinks(k, c.Links) }},
		{"store", func(k *module.Check) { c.Store.validate(k, c.StorePath()) }},
		{"brain", func(k *module.Check) { c.Brain.validate(k, c.starter.fsys != nil) }},
		{"knowledge", func(k *module.Check) { c.Knowledge.validate(k, c.files) }},
		{"llm", c.secretsSet().LLM.validate},
		{"adapters", c.secretsSet().Adapters.validate},
		{"ops", func(k *module.Check) {
			if p := c.Ops.problem(); p != "" {
				if c.opsFrom != nil {
					p += " (from " + c.opsFrom.from + ")"
				}
				k.Errorf("listen", "%s", p)
			}
		}},
		{"log", c.Log.validate},
	} {
		k := module.NewCheck(s.name, pos, c.files, adapters)
		s.validate(k)
		errs = append(errs, k.Errors()...)
	}
	errs = append(errs, c.validateAcross(pos, adapters)...)
	return append(errs, c.validateModules(pos, adapters)...)
}

// secretsSet is c to validate: with WithoutSecrets, each token and key
// left empty holds a stand-in of the form its check wants, so that only
// those the environment set are checked.
func (c *Config) secretsSet() *Config {
	if !c.noSecrets {
		return c
	}
	v := *c
	for _, s := range []struct {
		value *string
		empty string
	}{
		{&v.LLM.APIKey, "unset"}, {&v.Adapters.Discord.Token, "unset"},
		{&v.Adapters.Slack.BotToken, "xoxb-unset"}, {&v.Adapters.Slack.AppToken, "xapp-unset"}, {&v.Adapters.Slack.SigningSecret, "unset"},
	} {
		if *s.value == "" {
			*s.value = s.empty
		}
	}
	return &v
}

// validateAcross checks the rules that tie sections together, each
// reported on the field that asks for it; adapters says which platforms'
// adapters are enabled.
func (c *Config) validateAcross(pos config.Positions, adapters map[string]bool) config.Errors {
	var errs config.Errors
	if c.LLM.Enabled && c.LLM.Timeout >= c.Bot.Timeout {
		errs = append(errs, pos.Errorf("llm.timeout", "%s must be shorter than bot.timeout (%s), so that the docs answer still fits when the LLM fails", c.LLM.Timeout, c.Bot.Timeout))
	}
	if c.LLM.Enabled && len(c.Knowledge.Folders) == 0 {
		errs = append(errs, pos.Errorf("llm.enabled", "the LLM answers from the docs: add knowledge.folders"))
	}
	if d := c.Adapters.Discord; d.Enabled && d.ShardID == discord.AutoShard && !c.Store.Postgres.Replicas {
		errs = append(errs, pos.Errorf("adapters.discord.shard_id", "auto claims a free shard among replicas: it needs store.postgres.replicas: true; a lone Docent writes its shard's number (or ${DOCENT_SHARD_ID})"))
	}
	if !slices.Contains(slices.Collect(maps.Values(adapters)), true) {
		errs = append(errs, pos.Errorf("adapters", "no adapter is enabled: enable adapters.console, adapters.discord, adapters.slack or adapters.web"))
	}
	return errs
}

// validate checks the bot section.
func (b BotConfig) validate(c *module.Check) {
	if strings.TrimSpace(b.Name) == "" {
		c.Errorf("name", "must not be empty")
	}
	if b.CommandPrefix == "" || strings.ContainsAny(b.CommandPrefix, " \t\n") || len(b.CommandPrefix) > 8 {
		c.Errorf("command_prefix", "must be 1 to 8 characters without spaces, like \"!\" or \"?\", got %s", c.Show("command_prefix", b.CommandPrefix))
	}
	positive(c, "timeout", b.Timeout)
	positive(c, "shutdown_timeout", b.ShutdownTimeout)
	for i, a := range b.Admins {
		platform, id, ok := strings.Cut(a, ":")
		if !ok || platform == "" || id == "" || strings.ContainsAny(a, " \t") {
			field := fmt.Sprintf("admins[%d]", i)
			c.Errorf(field, "%s is not platform:user-id or platform:role:role-id, like discord:80351110224678912, slack:U012AB3CD or discord:role:41771983423143936", c.Show(field, a))
		}
	}
	atLeast(c, "max_concurrent", b.MaxConcurrent, 1)
	for _, f := range []struct {
		field string
		rate  float64
		burst int
	}{{"rate_limit.member", b.RateLimit.MemberPerMinute, b.RateLimit.MemberBurst},
		{"rate_limit.channel", b.RateLimit.ChannelPerMinute, b.RateLimit.ChannelBurst}} {
		if f.rate < 0 {
			c.Errorf(f.field+"_per_minute", "must be 0 (no limit) or more, got %s", c.Show(f.field+"_per_minute", f.rate))
		}
		if f.rate > 0 && f.burst < 1 {
			c.Errorf(f.field+"_burst", "must be at least 1 when %s_per_minute is set, got %s", c.Path(f.field), c.Show(f.field+"_burst", f.burst))
		}
	}
	atLeast(c, "queue_per_conversation", b.QueuePerConversation, 1)
	atLeast(c, "max_message_bytes", b.MaxMessageBytes, 1)
}

// validateLinks checks that every link is one a member can open.
func validateLinks(c *module.Check, links map[string]string) {
	for key, link := range links {
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") || (u.Host == "" && u.Scheme != "mailto") {
			c.Errorf(linkField(key), "%s is not an absolute http(s) or mailto link", c.Show(linkField(key), link))
		}
	}
}

// linkField is a link's key as a field of links: docs, or ["a.b"] when
// the key is not a plain name.
func linkField(key string) string {
	for _, c := range key {
		if !(c == '_' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return fmt.Sprintf("[%q]", key)
		}
	}
	return key
}

// validate checks the store section; file is the database file as the
// config resolves store.path (StorePath).
func (s StoreConfig) validate(c *module.Check, file string) {
	positive(c, "lock_timeout", s.LockTimeout)
	if s.MaxSizeMB < 0 {
		c.Errorf("max_size_mb", "must be 0 (no cap) or more, got %s", c.Show("max_size_mb", s.MaxSizeMB))
	}
	if s.RetentionDays < 0 || s.RetentionDays > 36500 {
		c.Errorf("retention_days", "must be 0 (keep everything) to 36500 days, got %s", c.Show("retention_days", s.RetentionDays))
	}
	if s.Postgres.Replicas && s.Postgres.URL == "" {
		c.Errorf("postgres.replicas", "needs store.postgres.url: replicas share a PostgreSQL database, and a bbolt file (store.path) is one process's")
	}
	if s.Postgres.URL != "" {
		if u, err := url.Parse(s.Postgres.URL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" && u.Query().Get("host") == "" {
			c.Errorf("postgres.url", "must be a postgres://user:password@host/database URL (from ${DOCENT_DATABASE_URL}, say), got %s", store.RedactURL(s.Postgres.URL))
		}
		if s.MaxSizeMB > 0 {
			c.Errorf("max_size_mb", "caps the bbolt file, and the history is on PostgreSQL (store.postgres.url): the server's disk and quotas limit its size; set 0, or remove it")
		}
	}
	if strings.TrimSpace(s.Path) == "" {
		c.Errorf("path", "is required: the file where Docent keeps its history")
	} else if dir := filepath.Dir(file); c.Files().OnDisk() && !isDir(dir) {
		// (The built-in default's folder is created on first run.)
		shown := dir
		if c.Positions().At(c.Path("path")).Env != "" {
			shown = "of " + c.Show("path", dir)
		}
		c.Errorf("path", "folder %s does not exist", shown)
	}
}

// validate checks the brain section; starter says whether starter
// intents stand in when brain.intents names none.
func (b BrainConfig) validate(c *module.Check, starter bool) {
	if b.WatchInterval < 0 {
		c.Errorf("watch_interval", "must be 0 (off) or more, got %s", c.Show("watch_interval", b.WatchInterval))
	}
	if len(b.Intents) == 0 && !starter {
		c.Errorf("intents", "is required: list the intent files or folders")
	}
	for i, p := range b.Intents {
		if _, err := c.Files().Stat(p); err != nil {
			field := fmt.Sprintf("intents[%d]", i)
			shown := c.Files().Show(p)
			if c.Positions().At(c.Path(field)).Env != "" {
				shown = c.Show(field, p)
			}
			c.Errorf(field, "%s does not exist", shown)
		}
	}
	unit(c, "threshold", b.Threshold)
	unit(c, "margin", b.Margin)
	report(c, "classifier.", b.Classifier.Problems())
}

// validate checks the knowledge section, its folders found in files.
func (k KnowledgeConfig) validate(c *module.Check, files fileSpace) {
	for i, f := range k.Folders {
		f.validate(c, fmt.Sprintf("folders[%d]", i), files)
	}
	// Two folders where one holds the other would index its files twice.
	for i, f := range k.Folders {
		for j := range i {
			a, b := files.resolve(k.Folders[j].Path), files.resolve(f.Path)
			if within(a, b) || within(b, a) {
				c.Errorf(fmt.Sprintf("folders[%d].path", i), "%s overlaps %s (%s): list each folder once", files.show(f.Path), c.Path(fmt.Sprintf("folders[%d]", j)), files.show(k.Folders[j].Path))
			}
		}
	}
	unit(c, "min_confidence", k.MinConfidence)
	unit(c, "related_confidence", k.RelatedConfidence)
	unit(c, "duplicate_similarity", k.DuplicateSimilarity)
	if k.Related < 0 || k.Related > 3 {
		c.Errorf("related", "must be between 0 and 3, got %s", c.Show("related", k.Related))
	}
	if k.Results < 1 || k.Results > 10 {
		c.Errorf("results", "must be between 1 and 10, got %s", c.Show("results", k.Results))
	}
}

// validate checks one docs folder, folder its field in the section
// ("folders[0]").
func (f FolderConfig) validate(c *module.Check, folder string, files fileSpace) {
	if strings.TrimSpace(f.Path) == "" {
		c.Errorf(folder+".path", "is required: the folder of docs to search")
	} else if fi, err := files.stat(f.Path); err != nil || !fi.IsDir() {
		c.Errorf(folder+".path", "%s is not a folder", files.show(f.Path))
	}
	if u, err := url.Parse(f.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.Errorf(folder+".base_url", "%s is not an absolute http(s) link: the address where members read these docs", c.Show(folder+".base_url", f.BaseURL))
	}
	switch f.Links {
	case "", knowledge.LinksFile, knowledge.LinksPretty:
	default:
		c.Errorf(folder+".links", "must be file (the file's path, as on GitHub) or pretty (no extension, index pages as their folder, as Hugo, VitePress, MkDocs and Sphinx publish), got %s", c.Show(folder+".links", f.Links))
	}
	if f.Links != knowledge.LinksPretty {
		if f.TrailingSlash {
			c.Errorf(folder+".trailing_slash", "only shapes pretty links: add links: pretty")
		}
		if f.Lowercase {
			c.Errorf(folder+".lowercase", "only shapes pretty links: add links: pretty")
		}
	}
	if f.Anchors != "" && !knowledge.ValidAnchors(f.Anchors) {
		c.Errorf(folder+".anchors", "must be github (GitHub, Hugo, Docusaurus), vitepress, mkdocs or sphinx, got %s", c.Show(folder+".anchors", f.Anchors))
	}
	for j, p := range f.Exclude {
		if why := knowledge.BadExclude(p); why != "" {
			at := fmt.Sprintf("%s.exclude[%d]", folder, j)
			c.Errorf(at, "%s %s; write a path in the folder, like changelog.md or \"blog/**\"", c.Show(at, p), why)
		}
	}
}

// validate checks the llm section, the client's own settings only when
// it is enabled (the budgets module checks llm.budget either way).
func (l LLMConfig) validate(c *module.Check) {
	if l.Enabled {
		report(c, "", l.Problems())
	}
	if l.StreamInterval < 100*time.Millisecond {
		c.Errorf("stream_interval", "must be at least 100ms (platforms limit how often a message may be edited), got %s", c.Show("stream_interval", l.StreamInterval))
	}
	if l.History < 0 || l.History > 50 {
		c.Errorf("history", "must be between 0 and 50, got %s", c.Show("history", l.History))
	}
}

// validate checks each platform's settings; a disabled adapter has no
// problems.
func (a AdaptersConfig) validate(c *module.Check) {
	report(c, "discord.", a.Discord.Problems())
	report(c, "slack.", a.Slack.Problems())
	report(c, "web.", a.Web.Problems())
}

// enabled says which adapters are enabled, by platform.
func (a AdaptersConfig) enabled() map[string]bool {
	return map[string]bool{"console": a.Console.Enabled, "discord": a.Discord.Enabled, "slack": a.Slack.Enabled, "web": a.Web.Enabled}
}

// validate checks the log section.
func (l LogConfig) validate(c *module.Check) {
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		c.Errorf("level", "must be debug, info, warn or error, got %s", c.Show("level", l.Level))
	}
	switch l.Format {
	case "text", "json":
	default:
		c.Errorf("format", "must be text or json, got %s", c.Show("format", l.Format))
	}
}

// report passes on the problems that the brain's and the adapters'
// packages find in their own settings, under prefix. Those packages may
// not import bot/module, so each keeps a Problem type of its own, all of
// one shape.
func report[P ~struct{ Field, Msg string }](c *module.Check, prefix string, ps []P) {
	for _, p := range ps {
		p := struct{ Field, Msg string }(p)
		c.Errorf(prefix+p.Field, "%s", p.Msg)
	}
}

// positive, atLeast and unit report a number outside its range.
func positive(c *module.Check, field string, d time.Duration) {
	if d <= 0 {
		c.Errorf(field, "must be more than 0, got %s", c.Show(field, d))
	}
}

func atLeast(c *module.Check, field string, v, lo int) {
	if v < lo {
		c.Errorf(field, "must be at least %d, got %s", lo, c.Show(field, v))
	}
}

func unit(c *module.Check, field string, v float64) {
	if !(v >= 0 && v <= 1) {
		c.Errorf(field, "must be between 0 and 1, got %s", c.Show(field, v))
	}
}

// intentSources are the intents files or folders and where they are
// found: brain.intents, or the starter intents when it names none.
func (c *Config) intentSources() (fileSpace, []string) {
	if len(c.Brain.Intents) == 0 && c.starter.fsys != nil {
		return fileSpace{fsys: c.starter.fsys}, []string{c.starter.dir}
	}
	return c.files, c.Brain.Intents
}

// KnowledgeFolders are the docs folders, resolved like the intents.
func (c *Config) KnowledgeFolders() []knowledge.Folder {
	var out []knowledge.Folder
	for _, f := range c.Knowledge.Folders {
		fsys, p := c.files.docsFolder(f.Path)
		out = append(out, knowledge.Folder{
			Path: p, BaseURL: f.BaseURL, FS: fsys,
			Links: f.Links, TrailingSlash: f.TrailingSlash, Lowercase: f.Lowercase, Anchors: f.Anchors,
			Exclude: f.Exclude,
		})
	}
	return out
}

// OnPostgres reports whether the history is in PostgreSQL
// (store.postgres.url) rather than the bbolt file at StorePath.
func (c *Config) OnPostgres() bool { return c.Store.Postgres.URL != "" }

// StorePath is the database file, relative paths taken from the config
// file's folder. The built-in default keeps its database in the user's
// data folder, so that it is found again from any working directory.
func (c *Config) StorePath() string {
	p := c.Store.Path
	switch {
	case filepath.IsAbs(p):
		return p
	case c.files.fsys != nil:
		return filepath.Join(userDataDir(), "docent", filepath.Base(p))
	default:
		return filepath.Join(c.files.dir, p)
	}
}

// userDataDir is where programs keep a user's data: $XDG_DATA_HOME, else
// the platform's usual folder under the home directory, else the working
// directory.
func userDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return d
	}
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return d
		}
	case "darwin", "ios":
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, "Library", "Application Support")
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share")
	}
	return "."
}

// within reports whether path p is dir or inside it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// fileSpace is where a config's relative paths are found: next to the
// config file on disk, or inside the files built into the binary.
type fileSpace struct {
	fsys fs.FS  // nil: the operating system's files
	dir  string // the config file's folder
}

func (f fileSpace) resolve(p string) string {
	if f.fsys != nil {
		return path.Clean(path.Join(f.dir, p))
	}
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(f.dir, p)
}

// docsFolder is where a docs folder's files are read, and its path
// there, which starts its passages' IDs and is part of the key of each
// file in the index's cache: the same however the config file's path was
// spelled (--config docent.yaml or /srv/docent/docent.yaml), so that a
// restart finds its cache and the votes' penalties their passages. A
// folder inside the config's folder is named from there, as the config
// writes it ("docs"); one outside it by its absolute path.
func (f fileSpace) docsFolder(p string) (fs.FS, string) {
	if f.fsys != nil {
		return f.fsys, f.resolve(p)
	}
	if !filepath.IsAbs(p) && filepath.IsLocal(p) {
		if dir, err := filepath.Abs(f.dir); err == nil {
			return os.DirFS(dir), filepath.ToSlash(filepath.Clean(p))
		}
	}
	abs, err := filepath.Abs(f.resolve(p))
	if err != nil {
		return nil, f.resolve(p)
	}
	return nil, abs
}

// show names a path for messages: as the admin would find it.
func (f fileSpace) show(p string) string {
	if f.fsys != nil {
		return p + " (built in)"
	}
	return f.resolve(p)
}

func (f fileSpace) stat(p string) (fs.FileInfo, error) {
	if f.fsys != nil {
		return fs.Stat(f.fsys, f.resolve(p))
	}
	return os.Stat(f.resolve(p))
}

func (f fileSpace) readFile(p string) ([]byte, error) {
	if f.fsys != nil {
		return fs.ReadFile(f.fsys, p)
	}
	return os.ReadFile(p)
}

// walk lists the YAML files at p: p itself if it is a file, else every
// .yaml and .yml file below it, in lexical order.
func (f fileSpace) walk(p string) ([]string, error) {
	root := f.resolve(p)
	fsys, top := f.fsys, root
	name := func(q string) string { return q }
	var (
		fi  fs.FileInfo
		err error
	)
	if fsys == nil { // the same walk over the OS, with names made whole again
		// Stat before DirFS: a DirFS of a file cannot stat its ".".
		fi, err = os.Stat(root)
		fsys, top = os.DirFS(root), "."
		name = func(q string) string { return filepath.Join(root, filepath.FromSlash(q)) }
	} else {
		fi, err = fs.Stat(fsys, top)
	}
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{root}, nil
	}
	var out []string
	err = fs.WalkDir(fsys, top, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isYAML(q) {
			out = append(out, name(q))
		}
		return nil
	})
	return out, err
}

func isYAML(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".yaml" || ext == ".yml"
}
