// Package bot wires Docent together: it loads the configuration, opens the
// store, prepares the brain, and routes every message from the adapters
// through the middleware to a command or the brain. It is the only package
// that knows all the others.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docent-bot/docent/adapters/discord"
	"github.com/docent-bot/docent/adapters/slack"
	"github.com/docent-bot/docent/bot/metrics"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/knowledge"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/window"
	"github.com/docent-bot/docent/store"
)

// Adapter connects Docent to one platform. Run delivers the platform's
// messages to inbox until ctx is done (or, for the console, the input ends)
// and returns nil then; it returns an error when it cannot go on.
type Adapter interface {
	Name() string
	Run(ctx context.Context, inbox chat.Inbox) error
}

// Options are what the command line passes to the bot besides the config.
type Options struct {
	Log     *slog.Logger
	Version string
	// Metrics, when set, counts messages, answers, latencies and errors.
	Metrics *metrics.Metrics
	// Ops, when set, builds the handler of the ops listener (ops.listen):
	// the dashboard, with health, readiness and metrics. Open calls it
	// once the bot is ready (the dashboard needs the bot, and bot cannot
	// import it). Nil serves Health only.
	Ops func(*Bot) (http.Handler, error)
	// OpsOptional makes a failure to listen on ops.listen (the port is
	// taken) a logged warning instead of an error that stops Run: for the
	// local try-out, where the console must work regardless.
	OpsOptional bool
}

// Bot is a running Docent.
type Bot struct {
	cfg     *Config
	log     *slog.Logger
	seen    filesState // the files as Open read them, for the watcher
	version string
	store   *store.Store
	// knowledge is the docs index, nil when no folders are configured; it
	// is rebuilt in place when the folders change.
	knowledge *knowledge.Index
	// llm is the LLM client, nil when llm.enabled is false.
	llm      *llm.Client
	commands *Commands
	router   *Router
	started  time.Time
	metrics  *metrics.Metrics // nil counts nothing
	live     liveAdapters     // the adapters Run runs, for readiness

	opsHandler  http.Handler // what the ops listener serves; nil serves Health
	opsOptional bool
	opsAddr     atomic.Pointer[opsAddr] // where the ops listener serves while Run runs

	// brain answers questions; Reload swaps in a new one while the old one
	// keeps answering. prepared says how the current one got its model.
	brain    atomic.Pointer[brain.Brain]
	prepared atomic.Pointer[brain.Prepared]

	reloading sync.Mutex // one reload at a time

	mu     sync.Mutex            // guards warned, to check and mark in one step
	warned *window.Times[string] // members told lately that their secret was redacted

	// historyReplies are the replies of the members' threads indexed at
	// Open, by record ID, with their question's: a forgotten replier's
	// thread leaves the index. Written only in Open.
	historyReplies map[uint64]uint64

	penaltyMu sync.Mutex     // one vote's penalty update at a time; guards penalised
	penalised map[string]int // passage ID → downvoted answers that showed it, as applied
	// beforeSwap, when set (by tests), runs after a reload has trained its
	// model and before it is swapped in.
	beforeSwap func()
	// modelPoll is how often a replica looks for a model another one
	// trained (modelPoll; tests shorten it).
	modelPoll time.Duration

	// modules are the feature modules (Config.Modules), provisioned.
	modules []module.Module
	// ops are the modules' ops on the control socket, by name.
	ops map[string]module.ControlOp
	// now is the modules' clock (tests move it).
	now func() time.Time
	// loops holds the state of each module's running loop, by name:
	// "running", or "stopped: why" after a failure.
	loops sync.Map
}

// Open loads the intents, opens the store and prepares the classifier
// (loading the saved model when it matches the intents, training when not).
func Open(ctx context.Context, cfg *Config, opts Options) (_ *Bot, err error) {
	// The modules hold the config's sections and, once provisioned, this
	// bot's store: one bot at a time may use them.
	if cfg.inUse != nil {
		if !cfg.inUse.CompareAndSwap(false, true) {
			return nil, errors.New("bot: this configuration is open in another Bot: load it again (LoadConfig) for a second one")
		}
		defer func() {
			if err != nil {
				cfg.inUse.Store(false)
			}
		}()
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Taken before the files are read, so that the watcher sees any
	// change made from now on, even before Run starts it.
	seen := filesState{intents: intentsState(cfg), docs: knowledge.State(cfg.KnowledgeFolders())}
	loaded, err := cfg.Intents()
	if err != nil {
		return nil, err
	}
	warnLeftOut(log, loaded.LeftOut)
	intents := loaded.Use
	b := &Bot{cfg: cfg, log: log, version: opts.Version, started: time.Now(), metrics: opts.Metrics, seen: seen, modules: cfg.modules, now: time.Now,
		opsOptional: opts.OpsOptional, modelPoll: modelPoll}
	if folders := cfg.KnowledgeFolders(); len(folders) > 0 {
		start := time.Now()
		if b.knowledge, err = indexKnowledge(ctx, folders, loaded.All, log, knowledgeCachePath(cfg)); err != nil {
			return nil, err
		}
		st := b.knowledge.LastRebuild()
		log.Info("knowledge indexed", "folders", len(folders), "passages", b.knowledge.Len(), "files", st.Files,
			"analysed", st.Analysed, "from_cache", st.Cached, "took", time.Since(start).Round(time.Millisecond))
	}
	if cfg.LLM.Enabled {
		if b.llm, err = llm.New(cfg.LLM.Config, llm.WithLogger(log)); err != nil {
			return nil, err
		}
		log.Info("llm enabled", "config", cfg.LLM.Config)
	}
	st, err := OpenStore(cfg, log)
	if err != nil {
		return nil, err
	}
	b.store = st
	if !st.OnPostgres() { // copies of the bbolt file
		removed, err := store.RemoveLeftovers(filepath.Dir(st.Path()), store.DatabaseTemps(st.Path())...)
		for _, l := range removed {
			log.Info("removed a copy of the database left by an interrupted run", "path", l.Path, "bytes", l.Size)
		}
		if err != nil {
			log.Warn("could not remove every copy of the database left by an interrupted run", "err", err)
		}
	}
	if b.knowledge != nil && cacheOutdated(b.knowledge.LastRebuild()) {
		b.saveKnowledgeCache() // now that the database's folder exists
	}
	intents, added, err := moduleIntents(ctx, b.modules, st, intents)
	if err != nil {
		st.Close()
		return nil, err
	}
	intents = usableIntents(b.brainConfig(), log, intents, added)
	br, err := brain.New(b.brainConfig(), intents, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	prepared, err := prepareLed(ctx, st, br)
	if errors.Is(err, brain.ErrModelNotSaved) {
		log.Warn("the classifier was retrained and is in use, but it could not be saved; it is retrained at the next start", "err", prepared.SaveErr)
		err = nil
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	b.brain.Store(br)
	b.prepared.Store(&prepared)
	if err := b.provision(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if b.knowledge != nil {
		if err := b.indexThreads(ctx); err != nil {
			log.Warn("past threads not indexed", "err", err)
		}
		b.prunePenalties(ctx)
	}
	b.commands = b.builtinCommands()
	if err := b.addModuleCommands(b.commands); err != nil {
		st.Close()
		return nil, errors.Join(err, cleanup(b.modules))
	}
	if b.ops, err = controlOps(b.modules); err != nil {
		st.Close()
		return nil, errors.Join(err, cleanup(b.modules))
	}
	// A message is stored, then admitted by the rate limits before it is
	// queued (a flood takes no room in a queue), then, in its turn, handled
	// through the chain.
	h := Chain(b.answer(), Recover(log), IgnoreBots(), Timeout(cfg.Bot.Timeout, log))
	b.router = NewRouter(b.metrics.History(st), h, log, RouterOptions{
		Admit:                rateLimitFor(st, cfg.Bot.RateLimit, b.isAdmin, log),
		MaxConcurrent:        cfg.Bot.MaxConcurrent,
		QueuePerConversation: cfg.Bot.QueuePerConversation,
		Self:                 chat.Member{ID: "docent", Name: cfg.Bot.Name, Bot: true},
		OnFeedback:           b.voted,
		Scrub:                b.scrub,
	})
	if st.Replica() { // a pending mark per message, for takeOver
		b.router.opts.Settled = b.settle
	}
	if opts.Ops != nil {
		if b.opsHandler, err = opts.Ops(b); err != nil {
			st.Close()
			return nil, errors.Join(err, cleanup(b.modules))
		}
	}
	return b, nil
}

// OpenStore opens the database the config names, bringing the modules'
// records to the layouts they read (module.Schemaed).
func OpenStore(cfg *Config, log *slog.Logger) (*store.Store, error) {
	return OpenStoreConverting(cfg, log, nil)
}

// OpenStoreConverting is OpenStore that tells converting how the
// conversion of an older file's records stands (`docent migrate`'s
// progress line); nil says nothing.
func OpenStoreConverting(cfg *Config, log *slog.Logger, converting func(store.Converting)) (*store.Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	parts := memberParts(cfg.modules)
	if cfg.Store.Postgres.Replicas {
		parts = append(parts, replicaPart{}) // what replicas share of a member
	}
	return openConfigured(cfg, store.Options{LockTimeout: cfg.Store.LockTimeout, Logger: log, MaxSize: cfg.Store.MaxSizeMB << 20,
		Parts: parts, Schemas: schemas(cfg.modules),
		Recorders: recorders(cfg.modules, module.RecordEnv{Log: log, Prefix: cfg.Bot.CommandPrefix}), Converting: converting})
}

// openConfigured opens the store the config names with opts: the PostgreSQL
// database of store.postgres.url, or the bbolt file of store.path.
func openConfigured(cfg *Config, opts store.Options) (*store.Store, error) {
	if cfg.OnPostgres() {
		ctx, cancel := context.WithTimeout(context.Background(), postgresConnectTimeout+cfg.Store.LockTimeout)
		defer cancel()
		opts.Replica = cfg.Store.Postgres.Replicas
		return store.OpenPostgres(ctx, cfg.Store.Postgres.URL, opts)
	}
	if err := checkDatabaseFile(cfg.StorePath(), os.Getuid(), opts.Logger); err != nil {
		return nil, err
	}
	return store.Open(cfg.StorePath(), opts)
}

// postgresConnectTimeout bounds connecting to PostgreSQL and making its
// tables, so that a server that does not answer stops Docent with an
// error instead of a hang.
const postgresConnectTimeout = 30 * time.Second

// OpenStoreAsItIs opens the configured database, with the same checks as
// OpenStore, but without the modules: their schemas are not migrated and
// their recorders not run, so the file is read as it was written (`docent
// backup` copies it as it is: what an older Docent can go back to).
func OpenStoreAsItIs(cfg *Config, log *slog.Logger) (*store.Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return openConfigured(cfg, store.Options{LockTimeout: cfg.Store.LockTimeout, Logger: log, MaxSize: cfg.Store.MaxSizeMB << 20})
}

// Prepared says how the classifier was made ready at Open.
func (b *Bot) Prepared() brain.Prepared { return *b.prepared.Load() }

// Inbox is where adapters deliver messages.
func (b *Bot) Inbox() chat.Inbox { return b.router }

// Run runs the adapters until ctx is done or all of them have returned,
// then stops taking messages and answers those already accepted. An
// adapter that fails stops the others. The ops listener serves from
// before the adapters start until Run returns; a taken ops.listen fails
// Run before any adapter starts.
func (b *Bot) Run(ctx context.Context, adapters ...Adapter) error {
	ops, err := b.listenOps(ctx)
	if err != nil {
		return err
	}
	if ops != nil {
		defer b.stopOps(ops) // last: /readyz answers while the rest drains
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The watcher stops with the adapters: cancel, then wait for it.
	var watcher sync.WaitGroup
	defer watcher.Wait()
	defer cancel()
	if every := b.cfg.Brain.WatchInterval; every > 0 && b.cfg.files.fsys == nil {
		watcher.Go(func() { b.watch(runCtx, every) })
	}
	if b.store.Replica() {
		watcher.Go(func() { b.followModels(runCtx, b.modelPoll) })
	}
	b.runModules(runCtx, &watcher, adapters)
	if b.store.Replica() {
		watcher.Go(func() { b.takeOver(runCtx, adapters) })
	}
	if wait, err := b.serveControl(runCtx); err != nil {
		// Docent works without it; only backups and exports while it runs
		// need it.
		b.log.Warn("no control socket: docent backup and docent user must wait until Docent stops", "err", err)
	} else {
		defer func() { cancel(); wait() }()
	}
	done := make(chan error, len(adapters))
	for _, a := range adapters {
		go func() {
			b.log.Info("adapter started", "adapter", a.Name())
			b.live.started(a)
			err := a.Run(runCtx, b.router)
			b.live.stopped(a, err)
			if err != nil {
				b.metrics.Error("adapter")
				err = fmt.Errorf("%s: %w", a.Name(), err)
			}
			done <- err
		}()
	}
	var errs []error
	// The store's lock on a PostgreSQL database goes with its connection
	// (a network cut, a restarted server): Docent stops with an error, so
	// that its supervisor (systemd's Restart=on-failure, compose's
	// restart:) starts it again, locked again.
	lockLost := b.store.LockLost()
	for pending := len(adapters); pending > 0; {
		select {
		case err := <-done:
			pending--
			if err != nil {
				b.log.Error("adapter stopped", "err", err)
				errs = append(errs, err)
				cancel()
			}
		case <-lockLost:
			lockLost = nil
			err := fmt.Errorf("bot: lost the lock on the database %s (its connection dropped): stopping so that the supervisor restarts Docent", b.store.Path())
			b.log.Error("stopping", "err", err)
			errs = append(errs, err)
			cancel()
		}
	}
	drain, stop := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.Bot.ShutdownTimeout)
	defer stop()
	if err := b.router.Shutdown(drain); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Close closes the store. Call it after Run has returned.
func (b *Bot) Close() error {
	err := errors.Join(b.cleanupModules(), b.store.Close())
	if b.cfg.inUse != nil {
		b.cfg.inUse.Store(false)
	}
	return err
}

// answer is the innermost handler: a command, or a question for the brain.
func (b *Bot) answer() Handler {
	return HandlerFunc(func(ctx context.Context, r chat.Responder, m *Message) {
		text := strings.TrimSpace(m.Text)
		reply := func(a chat.Answer) {
			if _, err := r.Reply(ctx, a); err != nil {
				b.log.Warn("reply failed", "conversation", m.Conversation.String(), "message", m.ID, "err", err)
			}
		}
		if text == "" {
			// A bare @mention, a DM of spaces, a file without words: the
			// member is waiting for something.
			if m.Mentioned || m.Direct {
				reply(chat.Answer{Source: chat.SourceCommand, Text: fmt.Sprintf(
					"Yes? Ask me a question in words, or send `%shelp` to see what I can do.", b.cfg.Bot.CommandPrefix)})
			}
			return
		}
		if len(m.Redacted) > 0 && b.firstRedaction(m) {
			// After the answer, so that the answer (or the Timeout
			// middleware's apology) is what the member gets first.
			defer func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), apologyTimeout)
				defer cancel()
				if _, err := r.Reply(ctx, chat.Answer{Source: chat.SourceCommand, Ephemeral: true, Text: fmt.Sprintf(
					"Heads up: your message looked like it contained a secret (%s), so I replaced it with a placeholder before storing or using it. "+
						"If it was a real secret, revoke it: others may have seen it.", strings.Join(m.Redacted, ", "))}); err != nil {
					b.log.Warn("could not tell a member their secret was redacted", "err", err)
				}
			}()
		}
		if len(m.Text) > b.cfg.Bot.MaxMessageBytes {
			reply(chat.Answer{Source: chat.SourceError, Text: fmt.Sprintf(
				"That message is too long for me (%d bytes; I read up to %d). Could you ask the question in a shorter message?",
				len(m.Text), b.cfg.Bot.MaxMessageBytes)})
			return
		}
		if cmd, name, args, ok := b.commands.Parse(text); ok {
			if cmd == nil {
				reply(chat.Answer{Source: chat.SourceCommand, Text: b.commands.Unknown(name)})
				return
			}
			if cmd.Admin && !b.isAdmin(m) {
				b.log.Warn("admin command refused", "command", name, "member", m.Author.ID, "conversation", m.Conversation.String())
				reply(chat.Answer{Source: chat.SourceCommand, Ephemeral: true,
					Text: fmt.Sprintf("`%s%s` is for the admins of this community.", b.cfg.Bot.CommandPrefix, name)})
				return
			}
			if cmd.Unavailable != "" {
				reply(chat.Answer{Source: chat.SourceCommand, Ephemeral: true, Text: cmd.Unavailable})
				return
			}
			a, err := cmd.Run(ctx, m, args)
			if err != nil {
				b.log.Error("command failed", "command", name, "conversation", m.Conversation.String(), "err", err)
				a = chat.Answer{Source: chat.SourceError, Text: fmt.Sprintf("Sorry, `%s%s` failed. The admins can find the details in the log.", b.cfg.Bot.CommandPrefix, name)}
			}
			if a.Source == "" {
				a.Source = chat.SourceCommand
			}
			reply(a)
			return
		}
		if m.Author.Name == "" {
			// Looked up here, in the member's own queue, not at intake.
			if n, ok := chat.Find[chat.Namer](r); ok {
				m.Author.Name = n.MemberName(ctx)
			}
		}
		q := brain.Question{Text: text, Member: m.Author, Conversation: m.Conversation, Space: m.Space}
		if b.llm != nil {
			q.History = func() []llm.Turn { return b.history(ctx, m) }
		}
		var lead string
		earlier, asked := b.askedBefore(ctx, text, m)
		if asked {
			lead = earlier.lead(langOf(text))
		}
		a, delivered, err := b.answerStreaming(ctx, r, m, q, func(a chat.Answer) chat.Answer { return withLead(a, earlier, lead) })
		if err != nil {
			if delivered || ctx.Err() != nil {
				return // the draft was replaced by an apology, or the Timeout middleware apologises
			}
			b.log.Error("brain failed", "conversation", m.Conversation.String(), "message", m.ID, "err", err)
			reply(chat.Answer{Source: chat.SourceError, Text: "Sorry, I could not work out an answer just now. Please try again in a moment."})
			return
		}
		if !delivered {
			reply(a)
		}
		if a.Source == chat.SourceLLM && b.knowledge != nil {
			b.addThread(m.ID, text, chat.WithoutLead(a.Text), m.Conversation, m.Space)
		}
	})
}

// history is the conversation's recent exchanges before m, oldest first,
// for the LLM: members' questions and Docent's answers to them. Commands
// and their answers (which may have been for one member only, like
// !usage), apologies, and messages that came after m are left out. A
// failure to read it only costs the LLM some context.
func (b *Bot) history(ctx context.Context, m *Message) []llm.Turn {
	want := b.cfg.LLM.History
	if want == 0 {
		return nil
	}
	// Messages stored after m (the queue runs behind the store), commands
	// and their answers are skipped, so read a few more than wanted.
	recs, err := b.store.Conversation(ctx, m.Conversation, 4*want+8)
	if err != nil {
		b.log.Warn("could not read the conversation for the llm", "conversation", m.Conversation.String(), "err", err)
		return nil
	}
	var turns []llm.Turn // newest first until reversed
	for _, r := range recs {
		if len(turns) == want {
			break
		}
		switch {
		case r.ID >= m.ID:
			continue
		case r.Kind == store.KindAnswer && (r.Source == chat.SourceCommand || r.Source == chat.SourceError):
			continue
		case r.Kind == store.KindMessage:
			if _, _, _, isCmd := b.commands.Parse(r.Text); isCmd {
				continue
			}
		}
		role := "member"
		if r.Kind == store.KindAnswer {
			role = "docent"
		}
		turns = append(turns, llm.Turn{Role: role, Name: r.Author.Name, Text: r.Text})
	}
	slices.Reverse(turns)
	return turns
}

// redactionNoticeEvery is how often at most a member is told that a secret
// was removed from their message; the members told are remembered for as
// long, so that the memory holds a day's, not every member's since start.
const redactionNoticeEvery = 24 * time.Hour

// firstRedaction reports whether m's author has not been told yet, within
// redactionNoticeEvery, that a secret was removed from a message.
func (b *Bot) firstRedaction(m *Message) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := m.Conversation.Platform + ":" + m.Author.ID
	now := time.Now()
	if b.warned == nil {
		b.warned = window.New[string](redactionNoticeEvery)
	}
	if b.warned.Within(key, now) {
		return false
	}
	b.warned.Mark(key, now)
	return true
}

// isAdmin says whether the member may use admin commands: listed in
// bot.admins as platform:user-id, or holding a role listed as
// platform:role:role-id, or at the console, which is whoever runs Docent.
func (b *Bot) isAdmin(m *Message) bool {
	p := m.Conversation.Platform
	if p == "console" {
		return true
	}
	if slices.Contains(b.cfg.Bot.Admins, p+":"+m.Author.ID) {
		return true
	}
	for _, r := range m.Roles {
		if slices.Contains(b.cfg.Bot.Admins, p+":role:"+r) {
			return true
		}
	}
	return false
}

// modelStore keeps the brain's models in the store.
type modelStore struct{ st *store.Store }

func (m modelStore) LoadModel(ctx context.Context, name string) (brain.Saved, error) {
	sm, err := m.st.LoadModel(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return brain.Saved{}, brain.ErrNoModel
	}
	if err != nil {
		return brain.Saved{}, err
	}
	return brain.Saved{Hash: sm.Hash, Data: sm.Data}, nil
}

func (m modelStore) SaveModel(ctx context.Context, name string, s brain.Saved) error {
	return m.st.SaveModel(ctx, store.Model{Name: name, Hash: s.Hash, Data: s.Data, Saved: time.Now()})
}

// CheckIntents loads the intents the config names and compiles the
// responses of those in use, reporting every problem; it returns the
// number in use and those left out for want of their links.
func CheckIntents(cfg *Config) (int, LeftOut, error) {
	loaded, err := cfg.Intents()
	if err != nil {
		return 0, LeftOut{}, err
	}
	// Every response as the files have it, those left out for want of a
	// link too (with a stand-in for it): a mistake is reported now, not
	// once the link is set, and with the response's number in its file.
	bc := cfg.brainConfig()
	bc.Links = maps.Clone(bc.Links)
	for _, name := range loaded.LeftOut.Links {
		bc.Links[name] = "https://example.org/" + name
	}
	if _, err := brain.New(bc, loaded.All, nil); err != nil {
		return 0, loaded.LeftOut, err
	}
	if _, err := brain.New(cfg.brainConfig(), loaded.Use, nil); err != nil {
		return 0, loaded.LeftOut, err
	}
	return len(loaded.Use), loaded.LeftOut, nil
}

// warnLeftOut logs, in one line, the intents and responses left out for
// want of links.
func warnLeftOut(log *slog.Logger, l LeftOut) {
	if len(l.Intents) == 0 && len(l.Trimmed) == 0 {
		return
	}
	log.Warn("intents and responses left out until their links are set: add the links under links: in "+l.File,
		"intents", strings.Join(l.Intents, ","), "responses", l.Responses, "responses_of", strings.Join(l.Trimmed, ","),
		"links", strings.Join(l.Links, ","))
}

// Train trains the classifier on the config's intents and saves it, as
// Open would when the intents changed.
func Train(ctx context.Context, cfg *Config, log *slog.Logger) (brain.Prepared, error) {
	loaded, err := cfg.Intents()
	if err != nil {
		return brain.Prepared{}, err
	}
	warnLeftOut(log, loaded.LeftOut)
	intents := loaded.Use
	st, err := OpenStore(cfg, log)
	if err != nil {
		return brain.Prepared{}, err
	}
	intents, _, err = moduleIntents(ctx, cfg.modules, st, intents)
	if err != nil {
		return brain.Prepared{}, errors.Join(err, st.Close())
	}
	br, err := brain.New(cfg.brainConfig(), intents, log)
	if err != nil {
		return brain.Prepared{}, errors.Join(err, st.Close())
	}
	p, err := br.Train(ctx, modelStore{st})
	return p, errors.Join(err, st.Close())
}

// brainConfig is the config's brain settings with the bot's docs index.
func (b *Bot) brainConfig() brain.Config {
	bc := b.cfg.brainConfig()
	if b.knowledge != nil {
		bc.Knowledge = b.knowledge
	}
	bc.OnClassify = b.metrics.ObserveClassify
	if b.llm != nil {
		bc.LLM = b.metrics.LLM(b.llm)
		if g := b.gate(); g != nil && b.store != nil {
			bc.Budget = g
		}
	}
	return bc
}

// threadSources are the answers worth finding again: written answers to
// questions no intent covered. (Once members can vote, downvoted ones will
// be left out.)
var threadSources = []chat.Source{chat.SourceLLM}

// maxThreads bounds the past threads indexed at start.
const maxThreads = 5000

// indexThreads adds the newest answered questions in the store to the docs
// index, so that a question asked before finds its earlier answer.
//
// The members' own threads come first (the threads module's, imported
// and live, as they were at Open), then Docent's answers, which replace
// a members' thread on the same question.
func (b *Bot) indexThreads(ctx context.Context) error {
	start := time.Now()
	members, err := b.indexHistory(ctx)
	if err != nil {
		return err
	}
	answered, err := b.store.Answered(ctx, threadSources, maxThreads)
	if err != nil {
		return err
	}
	n := 0
	for _, a := range answered {
		if b.downvoted(ctx, a.Answer.ID) {
			continue
		}
		b.addThread(a.Question.ID, a.Question.Text, chat.WithoutLead(a.Answer.Text), a.Question.Conversation, a.Question.Space)
		n++
	}
	if n+members > 0 {
		b.log.Info("past threads indexed", "answered_by_docent", n, "answered_by_members", members, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// maxHistoryThreads bounds the members' threads indexed at start: all
// that the threads module keeps (threads.Kept).
const maxHistoryThreads = 20_000

// indexHistory adds the threads members answered (module.Historian) to
// the docs index: the question as its title, the replies as its answer,
// found only in their own place (chat.Visible), as Docent's are.
func (b *Bot) indexHistory(ctx context.Context) (int, error) {
	h := b.historian()
	if h == nil {
		return 0, nil
	}
	threads, err := h.Threads(ctx, maxHistoryThreads)
	if err != nil {
		return 0, err
	}
	b.historyReplies = make(map[uint64]uint64, len(threads))
	for _, t := range threads {
		replies := make([]string, len(t.Replies))
		for i, r := range t.Replies {
			replies[i] = r.Text
			b.historyReplies[r.ID] = t.Question.ID
		}
		q := t.Question
		b.addThread(q.ID, q.Text, strings.Join(replies, "\n"), q.Conversation, q.Space)
	}
	return len(threads), nil
}

// downvoted reports whether any member voted the answer down.
func (b *Bot) downvoted(ctx context.Context, answer uint64) bool {
	votes, err := b.store.Feedback(ctx, answer)
	if err != nil {
		b.log.Warn("could not read the votes on an answer", "answer", answer, "err", err)
		return false
	}
	for _, v := range votes {
		if v.Vote == chat.VoteDown {
			return true
		}
	}
	return false
}

// voted keeps the docs index free of answers members voted down, and
// makes the passages such answers showed rank lower.
func (b *Bot) voted(ctx context.Context, answer uint64, f chat.Feedback) {
	b.log.Info("vote stored", "answer", answer, "vote", int(f.Vote), "conversation", f.Conversation.String())
	if b.knowledge == nil {
		return
	}
	rec, err := b.store.Record(ctx, answer)
	if err != nil || rec.ReplyTo == 0 {
		return
	}
	if f.Vote == chat.VoteDown {
		b.knowledge.RemoveThread(strconv.FormatUint(rec.ReplyTo, 10))
	}
	b.updatePenalties(ctx, rec)
}

// addThread indexes an answered question; the search shows it only in
// its own place (chat.Visible).
func (b *Bot) addThread(questionID uint64, question, answer string, conv chat.Conversation, space string) {
	err := b.knowledge.AddThread(knowledge.Thread{ID: strconv.FormatUint(questionID, 10), Question: question, Answer: answer,
		Link: conv.String(), Place: chat.PlaceOf(conv, space)})
	if err != nil {
		b.log.Warn("could not index a thread", "question", questionID, "err", err)
	}
}

// patternsOf lists every pattern of the intents: the docs index weighs
// words by how common they are in questions too.
func patternsOf(intents []brain.Intent) []string {
	var out []string
	for _, in := range intents {
		out = append(out, in.Patterns...)
	}
	return out
}

func (c *Config) brainConfig() brain.Config {
	return brain.Config{
		Threshold: c.Brain.Threshold, Margin: c.Brain.Margin,
		Classifier: c.Brain.Classifier,
		BotName:    c.Bot.Name, Community: c.Bot.Community, Links: c.Links,
		MinConfidence: c.Knowledge.MinConfidence, Results: c.Knowledge.Results,
		Related: c.Knowledge.Related, RelatedConfidence: c.Knowledge.RelatedConfidence,
	}
}

// Explain explains how the configured intents read text, loading the saved
// model (or training one) as Open would, for `docent explain`.
func Explain(ctx context.Context, cfg *Config, log *slog.Logger, text string) (brain.Why, error) {
	loaded, err := cfg.Intents()
	if err != nil {
		return brain.Why{}, err
	}
	intents := loaded.Use
	st, err := OpenStore(cfg, log)
	if err != nil {
		return brain.Why{}, err
	}
	defer st.Close()
	intents, _, err = moduleIntents(ctx, cfg.modules, st, intents)
	if err != nil {
		return brain.Why{}, err
	}
	br, err := brain.New(cfg.brainConfig(), intents, log)
	if err != nil {
		return brain.Why{}, err
	}
	if _, err := br.Prepare(ctx, modelStore{st}); err != nil && !errors.Is(err, brain.ErrModelNotSaved) {
		return brain.Why{}, err
	}
	return br.Explain(text)
}

// PlatformAdapters builds the enabled chat platforms' adapters (the console
// is the command line's: it owns the terminal). Each adds its own
// "adapter" key to its log lines: a second one here would make every line
// hold the key twice, which strict JSON log collectors refuse.
func (b *Bot) PlatformAdapters() ([]Adapter, error) {
	var out []Adapter
	if dc := b.cfg.Adapters.Discord; dc.Enabled {
		opts := discord.Options{Log: b.log, CommandPrefix: b.cfg.Bot.CommandPrefix, Commands: b.slashCommands()}
		if b.store.Replica() {
			opts.Shards = shardClaimer{st: b.store, log: b.log, every: shardClaimEvery}
		}
		a, err := discord.New(dc, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if sc := b.cfg.Adapters.Slack; sc.Enabled {
		opts := slack.Options{Log: b.log, CommandPrefix: b.cfg.Bot.CommandPrefix}
		if b.store.Replica() { // threads Docent answered on another replica
			opts.Threads = b.store
		}
		a, err := slack.New(sc, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// slashCommands are the commands platforms register: "ask" for a question,
// and every command members may use in this configuration.
func (b *Bot) slashCommands() []discord.Command {
	out := []discord.Command{{Name: "ask", Description: "Ask " + b.cfg.Bot.Name + " a question", TakesText: true}}
	for _, name := range b.commands.order {
		c := b.commands.byName[name]
		if c.Admin || c.Unavailable != "" {
			continue
		}
		out = append(out, discord.Command{Name: c.Name, Description: chat.Clip(c.Summary, 100), TakesText: c.Args != ""})
	}
	return out
}
