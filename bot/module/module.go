// Package module is the contract between Docent's core and its feature
// modules: the capabilities beyond answering (coding challenges, teach and
// lessons, analytics, privacy, budgets…), each in one folder.
//
// A module is a value with a name. What else it does it says by the small
// interfaces it implements, found by type assertion, in the order of its
// life (like Caddy's modules, in net/http's small shapes):
//
//  1. Configured: its section of the config file, decoded strictly into the
//     struct it returns (unknown fields are errors, with their line), then
//     Validate, with field paths.
//  2. Provisioner: at start, the services it needs (store, LLM, budget,
//     logger); it may fail the start with a clear error.
//  3. Commander: its chat commands; Scrubber: what of a message it hides
//     before the message is stored.
//  4. Stored: its share of each member's data, for export, forget and
//     retention (store.MemberPart); Schemaed: the version of its records'
//     layout, and the migrations from older ones, run as the store opens;
//     Recorder: its figures of the records stored, written with them
//     (store.Recorder).
//  5. IntentSource: intents of its own for the brain, added to the files'
//     at start and at every reload.
//  6. Runner: its background loop, started with the bot and stopped with
//     its context; Run returns when the context is done.
//  7. CleanerUpper: what it releases when the bot closes.
//
// Besides, CommandLiner: its commands on Docent's command line; Pager: its
// pages in the dashboard; Controller: its ops on the control socket, for
// its commands to reach a running Docent.
//
// The bot wires the modules it is given (bot.Modules is the one list);
// adding a capability is one folder and one line there.
package module

import (
	"context"
	"io/fs"
	"log/slog"
	"net/url"
	"time"

	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// Module is one capability. Name is its config section's key and the name
// the logs and errors use ("challenges").
type Module interface {
	Name() string
}

// Configured is a module with a section in the config file.
type Configured interface {
	Module
	// Config returns a pointer to the section's struct, holding the
	// defaults; the file's section is decoded into it before Validate.
	Config() any
	// Validate reports what decodes fine but cannot work, through c,
	// with paths inside the section ("folder", "announce.discord").
	Validate(c *Check)
}

// Placed is a Configured module whose section is not a key of its own at
// the top of the file but a field inside one of Docent's sections, where
// admins wrote it before it became a module (the budgets' llm.budget).
// Section is its path ("llm.budget"); errors name its fields under it.
type Placed interface {
	Configured
	Section() string
}

// Provisioner is a module that needs the bot's services. Provision runs
// once, at start, after the store is open; an error stops the start.
type Provisioner interface {
	Provision(ctx context.Context, h *Host) error
}

// Commander is a module with chat commands.
type Commander interface {
	Commands() []Command
}

// Scrubber is a module that hides parts of members' messages before they
// are stored (challenges hide a submitted answer). Scrub returns text
// unchanged when it has nothing to hide.
type Scrubber interface {
	Scrub(text string) string
}

// Stored is a module that keeps records about members in the store.
// MemberParts is called when the store opens, before Provision, and by
// commands that never provision (`docent user delete`): the parts must
// work from the transaction they are given alone.
type Stored interface {
	MemberParts() []store.MemberPart
}

// IntentSource is a module that adds to the intents the brain is trained
// on (lessons taught in chat). Intents is called at start and at every
// reload, in module order, with the intents so far (the files', then the
// earlier modules'), and returns them with its own added: new intents, or
// patterns added to existing ones. Like Stored, it works from the store it
// is given alone, as commands that never provision (`docent train`) call
// it too. An intent it adds whose response no longer works (a link removed
// from the config since) is left out with a warning by the bot: one stale
// record must not stop Docent from starting.
type IntentSource interface {
	Intents(ctx context.Context, st store.Buckets, base []brain.Intent) ([]brain.Intent, error)
}

// Schemaed is a module that keeps records of its own in the store: Schema
// is the version of their layout that this code reads and the migrations
// from older ones. They run when the store opens (before Provision, and
// for the command line's commands too), each step in one transaction with
// its version; a file whose records are newer, or older with no way to
// this version, is refused with an error that names the module. A module
// without it is at version 0 and needs nothing.
type Schemaed interface {
	Schema() store.Schema
}

// Recorder is a module that keeps figures of its own of the records
// stored (analytics' activity counters): the store gives its recorders
// every record in the transaction that stores it (store.Recorder).
// Recorders is called when the store opens, before Provision, and by
// commands that never provision: the recorders work from what they are
// given alone.
type Recorder interface {
	Recorders(env RecordEnv) []store.Recorder
}

// RecordEnv is what a module's recorders may use.
type RecordEnv struct {
	Log *slog.Logger
	// Prefix is the command prefix ("!").
	Prefix string
}

// Runner is a module with a background loop: Run starts with the bot and
// returns once ctx is done (the bot waits for it when it stops), or at once
// with nil when there is nothing to do (challenges off). An error (or a
// panic) before ctx is done is logged and shown as the module's failed
// check in /readyz; the rest of Docent goes on.
type Runner interface {
	Run(ctx context.Context, env RunEnv) error
}

// CleanerUpper is a module that holds something to release when the bot
// closes.
type CleanerUpper interface {
	Cleanup() error
}

// Host is what the bot lends a module at Provision.
type Host struct {
	Log *slog.Logger
	// Store is the module's access to the database: its own buckets,
	// through transactions (never the core's records).
	Store store.Buckets
	// LLM is the LLM client; nil when llm.enabled is false.
	LLM *llm.Client
	// Budget spends the members' daily LLM budgets; it is never nil.
	Budget Budget
	// Prefix is the command prefix ("!").
	Prefix string
	// IsAdmin says whether a message's author is one of the community's
	// admins (bot.admins), for a command whose answer depends on it.
	IsAdmin func(*Message) bool
	// Files reads the files the config names, relative to it.
	Files Files
	// DataDir is the folder that holds the database: where a module may
	// keep a file too large for memory while it works when the system
	// has no temporary folder (a container FROM scratch has no /tmp).
	DataDir string
	// Positions are where each field of the config was written, for
	// problems found later in the files a section names.
	Positions config.Positions
	// Members is everything stored about members, from every part, for
	// the privacy module.
	Members Members
	// RetentionDays is store.retention_days: history older than this many
	// days is deleted (0 keeps it forever).
	RetentionDays int
	// WatchInterval is how often files are checked for changes; 0 is
	// never.
	WatchInterval time.Duration
	// Now is the clock (tests move it).
	Now func() time.Time

	// Brain is the brain answering now, read at each call: a reload swaps
	// it for another (its Intents, Sure, Explain).
	Brain func() *brain.Brain
	// Prepared says how the brain in use got its model (trained or
	// loaded, its intents and patterns).
	Prepared func() brain.Prepared
	// Retrain re-reads the intents (the files' and every IntentSource's)
	// and swaps in a brain trained on them, as `!reload` does. When they
	// have problems the current brain stays and the error is an
	// *IntentsError; a model that could not be saved is in use all the
	// same (Prepared.SaveErr).
	Retrain func(ctx context.Context) (brain.Prepared, error)
	// TryIntents reports what stops intents from making a brain with the
	// bot's settings (a response's template, a link), without training:
	// to check what a member asks to add before it is kept.
	TryIntents func(intents []brain.Intent) error
	// IsCommand reports whether text calls a chat command, Docent's or a
	// module's.
	IsCommand func(text string) bool
	// Records reads the core's records: messages, answers and votes.
	Records Records
	// History stores what a module brings in from elsewhere as the
	// core's records (an imported history).
	History History
	// Suggest collects what the modules that are Suggesters offer member
	// (open challenges), each Suggestion's ID prefixed with its module's
	// name; one that fails is logged and left out. Never nil.
	Suggest func(ctx context.Context, member store.MemberRef) []Suggestion
	// Threads is the module that keeps the members' own exchanges (the
	// threads module); nil when no module does.
	Threads Historian
}

// History stores records brought in from elsewhere (*store.Store is one):
// ImportNew stores recs, leaving out those whose platform ID is known,
// with along in the same transaction, through the store's writer (one
// transaction, shared with whatever else is queued).
type History interface {
	ImportNew(ctx context.Context, recs []store.Record, along ...store.Rider) ([]store.Record, int, error)
}

// Suggester is a module that offers members things worth their time (the
// open challenges; for helpers, the unanswered questions in their
// topics), for the recommend module, which gets them through
// Host.Suggest: modules never import each other.
type Suggester interface {
	Suggest(ctx context.Context, member store.MemberRef) ([]Suggestion, error)
}

// Suggestion is one thing a Suggester offers a member.
type Suggestion struct {
	// ID is unique among the module's suggestions ("circles"); the core
	// prefixes it with the module's name ("challenges:circles").
	ID string
	// Kind is what it is, in a word members read ("challenge").
	Kind string
	// Title is one line about it; Link where or how to get to it (a URL,
	// or a command: "!challenge circles").
	Title, Link string
	// Words is the text whose topic words match it to what a member
	// talks about (a challenge's title, tags and statement).
	Words string
	// Place is where what it shows was said (an open question's
	// channel); zero when it belongs to no channel (a challenge). The
	// recommend module shows it only where chat.Visible allows, or in
	// private (a DM, the digest).
	Place chat.Place
}

// IntentsError is Retrain's error when the intents have problems (in the
// files, or added by a module): nothing was retrained.
type IntentsError struct{ Err error }

func (e *IntentsError) Error() string { return e.Err.Error() }
func (e *IntentsError) Unwrap() error { return e.Err }

// Records reads the core's records (*store.Store is one): what members
// asked, what Docent answered and how members voted.
type Records interface {
	// Record returns the record stored under id.
	Record(ctx context.Context, id uint64) (store.Record, error)
	// Answered returns up to limit of the newest answers from sources,
	// with their questions, newest first.
	Answered(ctx context.Context, sources []chat.Source, limit int) ([]store.Answered, error)
	// Feedback returns the votes on an answer.
	Feedback(ctx context.Context, answer uint64) ([]store.Vote, error)
}

// Members is the core's hold on everything stored about members: the
// store's records and every module's parts, and what the bot keeps of
// them in memory (past threads in the docs index).
type Members interface {
	Export(ctx context.Context, m store.MemberRef) (store.MemberData, error)
	Forget(ctx context.Context, m store.MemberRef) (store.Forgotten, error)
	// Expire deletes what is older than before (retention).
	Expire(ctx context.Context, before time.Time) (store.Retained, error)
}

// Budget is the daily LLM budget of members, channels and the community.
type Budget interface {
	// Reserve takes one LLM request for m's author and channel, or returns
	// why not, in words for the member ("" when taken). what says what the
	// LLM was going to do, for that reply: "review code".
	Reserve(ctx context.Context, m *Message, what string) string
	// Spend records the tokens an LLM request used.
	Spend(ctx context.Context, m *Message, u llm.Usage)
}

// Files reads the files a config names: paths are relative to the
// config's folder (or inside the binary, for the built-in config).
type Files interface {
	// Walk lists the files under path (a file or a folder), sorted.
	Walk(path string) ([]string, error)
	ReadFile(path string) ([]byte, error)
	Stat(path string) (fs.FileInfo, error)
	// Show is path as the admin should see it in a message.
	Show(path string) string
	// OnDisk reports whether the files are on disk, where they can be
	// watched for changes (not the built-in config's).
	OnDisk() bool
}

// RunEnv is what a module's background loop may use besides its Host.
type RunEnv struct {
	// Announcers are the running adapters that can post to a channel, by
	// platform ("discord").
	Announcers map[string]chat.Announcer
	// Messengers are the running adapters that can write to a member
	// privately, by platform.
	Messengers map[string]chat.DirectMessenger
	// Shard is the Discord shard this process serves (0 when unsharded):
	// what is posted once for the whole community is left to shard 0.
	Shard int
}

// FileChecker is a module whose section names files of its own (the
// challenge files): CheckFiles reads them as the start would, for `docent
// config check`, and reports every problem with its file and line.
type FileChecker interface {
	CheckFiles(files Files, pos config.Positions) error
}

// Pager is a module with pages in the admins' dashboard.
type Pager interface {
	Pages() []Page
}

// Page is one page of the admins' dashboard, served at /admin/Path behind
// the dashboard's login and listed in its navigation as Title.
type Page struct {
	Path  string // "challenges": one path segment
	Title string
	// Template is the page's body as html/template text, defining
	// "content"; the dashboard's layout goes around it, and the page's
	// data is {{.Data}}.
	Template string
	// Data returns what the template shows, for each request; the
	// request's query is PageQuery(ctx) (?days=30).
	Data func(ctx context.Context) (any, error)
	// Actions are what the page's forms do: each form posts, with the
	// page's {{.CSRF}} in its "csrf" field, to /admin/ACTION-PATH.
	Actions []Action
}

// Action is what one of a page's forms does, served at POST /admin/Path
// behind the dashboard's login and its CSRF check, like the dashboard's
// own forms. The admin is then sent back to the page, which shows the
// message.
type Action struct {
	Path string // "teach": one path segment, unique in the dashboard
	// Run does it with the form's values. msg is what the admin is told
	// back on the page (bad marks a refusal: "there is no such intent");
	// an error is a failure of Docent's, shown as a server error.
	Run func(ctx context.Context, form url.Values) (msg string, bad bool, err error)
}

type pageQueryKey struct{}

// WithPageQuery returns ctx carrying the query of the request for a page.
func WithPageQuery(ctx context.Context, q url.Values) context.Context {
	return context.WithValue(ctx, pageQueryKey{}, q)
}

// PageQuery is the query of the request a page's Data serves (none
// outside a request).
func PageQuery(ctx context.Context) url.Values {
	q, _ := ctx.Value(pageQueryKey{}).(url.Values)
	return q
}
