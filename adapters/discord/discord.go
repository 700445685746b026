// Package discord is Docent's Discord adapter: it turns gateway events
// (messages, slash commands, reactions) into chat messages and feedback, and
// sends answers back as threads, replies and interaction responses. Every
// message it sends can ping only the member who asked.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/docent-bot/docent/adapters/internal/bounded"
	"github.com/docent-bot/docent/adapters/internal/intake"
	"github.com/docent-bot/docent/chat"
)

// Platform is the platform name of Discord conversations.
const Platform = "discord"

// Command is a slash command to register; the built-in ones are in
// DefaultCommands.
type Command struct {
	Name, Description string
	// TakesText adds an optional "text" option ("ask" requires it).
	TakesText bool
}

// DefaultCommands are the slash commands registered when Options.Commands
// is empty.
func DefaultCommands() []Command {
	return []Command{
		{Name: "ask", Description: "Ask Docent a question", TakesText: true},
		{Name: "help", Description: "What Docent can do"},
		{Name: "why", Description: "Why Docent gave its last answer", TakesText: true},
		{Name: "ping", Description: "Check that Docent is listening"},
		{Name: "about", Description: "About Docent"},
	}
}

// Options set how the adapter talks to the bot.
type Options struct {
	Log *slog.Logger
	// CommandPrefix starts a command in a message ("!"); slash commands are
	// delivered as prefix+name+" "+text. Empty means "!".
	CommandPrefix string
	// Commands are registered as slash commands; empty means
	// DefaultCommands. "ask" delivers its text as a question.
	Commands []Command
	// HTTPClient carries all REST calls (tests); nil uses discordgo's.
	HTTPClient *http.Client
	// Shards claims a shard among the replicas for `shard_id: auto`;
	// required then.
	Shards ShardClaimer
}

// A ShardClaimer gives a replica a shard that no other replica holds
// (the bot's, with an advisory lock per shard on the shared database).
type ShardClaimer interface {
	// ClaimShard waits until one of shards 0 to count-1 is free and
	// claims it, or ctx ends.
	ClaimShard(ctx context.Context, count int) (ShardClaim, error)
}

// ShardClaim is a shard held by this replica until Release, or until
// Lost is closed: the claim is gone (its database connection dropped)
// and another replica may take the shard, so this one must leave it.
type ShardClaim struct {
	ID      int
	Lost    <-chan struct{}
	Release func()
}

// Bounds on what the adapter remembers, so memory stays flat however long
// it runs.
const (
	maxThreads = 10000 // threads Docent answered in, for follow-ups
	maxOwn     = 50000 // Docent's own message IDs, for reactions
	maxVotes   = 50000 // members' 👍/👎 on Docent's messages
	// typingEvery renews the typing indicator (Discord shows it ~10 s);
	// typingFor stops it when no reply comes.
	typingEvery = 8 * time.Second
	typingFor   = 2 * time.Minute
	// intakeSize bounds the messages and votes read off the gateway and
	// not yet delivered.
	intakeSize = 1024
)

// Adapter connects Docent to Discord.
type Adapter struct {
	cfg  Config
	opts Options
	log  *slog.Logger

	help, guilds, allow, deny set

	threads *bounded.Map[string, string] // thread ID → parent channel ID
	own     *bounded.Map[string, string] // Docent's message IDs → channel ID
	dms     *bounded.Map[string, string] // member ID → their DM channel with Docent, for private answers
	// votes holds, per message and member, the vote reactions the member
	// has on it, oldest first ("U" 👍, "D" 👎): the last one is their vote.
	votes *bounded.Map[string, string]

	mu      sync.Mutex // guards s, self, ctx, inbox, queue, ready, stopped; wg.Add happens under it
	s       *discordgo.Session
	self    string
	ctx     context.Context
	inbox   chat.Inbox
	queue   *intake.Queue[event] // messages and votes read off the gateway, to deliver
	ready   bool                 // connected and slash commands registered: Announce may post
	stopped bool
	wg      sync.WaitGroup // handlers, typing indicators and slash commands in flight

	// connected is true from the gateway's READY or RESUMED until the
	// connection drops, for /readyz.
	connected atomic.Bool
	// claiming is true while a replica waits for a free shard (shard_id
	// auto): a standby, ready to take over, not a failure.
	claiming atomic.Bool
}

type set map[string]bool

func setOf(ids []string) set {
	s := set{}
	for _, id := range ids {
		s[id] = true
	}
	return s
}

// New checks cfg and returns an adapter; Run connects it.
func New(cfg Config, opts Options) (*Adapter, error) {
	if ps := cfg.Problems(); len(ps) > 0 {
		msgs := make([]string, len(ps))
		for i, p := range ps {
			msgs[i] = p.Field + " " + p.Msg
		}
		return nil, fmt.Errorf("discord: %s", strings.Join(msgs, "; "))
	}
	if cfg.ShardID == AutoShard && opts.Shards == nil {
		return nil, errors.New("discord: shard_id auto claims a free shard among replicas: it needs store.postgres.replicas (or write a shard number, e.g. ${DOCENT_SHARD_ID})")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.CommandPrefix == "" {
		opts.CommandPrefix = "!"
	}
	if len(opts.Commands) == 0 {
		opts.Commands = DefaultCommands()
	}
	return &Adapter{
		cfg: cfg, opts: opts, log: opts.Log.With("adapter", Platform),
		help: setOf(cfg.HelpChannels), guilds: setOf(cfg.Guilds),
		allow: setOf(cfg.AllowChannels), deny: setOf(cfg.DenyChannels),
		threads: bounded.New[string, string](maxThreads), own: bounded.New[string, string](maxOwn), votes: bounded.New[string, string](maxVotes),
		dms: bounded.New[string, string](maxDMs),
	}, nil
}

// Name is the adapter's name in logs.
func (a *Adapter) Name() string { return Platform }

// Intents returns the gateway intents the adapter asks for: guilds (channel
// types and thread parents), guild and direct messages and their reactions,
// and message content only when configured.
func (cfg Config) Intents() discordgo.Intent {
	in := discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsGuildMessageReactions |
		discordgo.IntentsDirectMessages | discordgo.IntentsDirectMessageReactions
	if cfg.MessageContent {
		in |= discordgo.IntentMessageContent
	}
	return in
}

// session builds the discordgo session for shard: REST client, intents,
// shard.
func (a *Adapter) session(shard int) (*discordgo.Session, error) {
	s, err := discordgo.New("Bot " + strings.TrimSpace(a.cfg.Token))
	if err != nil {
		return nil, fmt.Errorf("discord: new session: %w", err)
	}
	if a.opts.HTTPClient != nil {
		s.Client = a.opts.HTTPClient
	}
	if a.cfg.APIBase != "" {
		base, err := url.Parse(a.cfg.APIBase)
		if err != nil {
			return nil, fmt.Errorf("discord: api_base: %w", err)
		}
		c := *s.Client
		next := c.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		c.Transport = rewrite{base: base, next: next}
		s.Client = &c
	}
	s.Identify.Intents = a.cfg.Intents()
	if a.cfg.ShardCount > 1 {
		s.ShardID, s.ShardCount = shard, a.cfg.ShardCount
	}
	// Events of one channel are handled in order (a conversation's messages,
	// a vote and its removal); handlers only do quick work and hand slow
	// work (slash commands, typing) to goroutines.
	s.SyncEvents = true
	s.StateEnabled = true
	return s, nil
}

// rewrite sends REST calls to api_base instead of discord.com, keeping the
// path, so that the gateway URL comes from the server there too.
type rewrite struct {
	base *url.URL
	next http.RoundTripper
}

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = rw.base.Scheme, rw.base.Host
	r.URL.Path = strings.TrimRight(rw.base.Path, "/") + r.URL.Path
	r.Host = rw.base.Host
	return rw.next.RoundTrip(r)
}

// Connected reports whether the gateway session is up (for /readyz):
// false until READY, and from a dropped connection until it is resumed.
// A replica waiting for a free shard counts as connected: it is a
// standby, and its other adapters (the web chat) serve meanwhile.
func (a *Adapter) Connected() bool { return a.connected.Load() || a.claiming.Load() }

// Run connects to the gateway, registers the slash commands and delivers
// messages to inbox until ctx is done, then disconnects, delivers what it
// had read off the gateway, and waits for its handlers to finish.
//
// With `shard_id: auto` it first claims a free shard (Options.Shards),
// waiting while every shard is taken; when the claim is lost, it leaves
// the gateway as at the end and claims one again.
func (a *Adapter) Run(ctx context.Context, inbox chat.Inbox) error {
	if a.cfg.ShardID != AutoShard {
		return a.run(ctx, inbox, int(a.cfg.ShardID))
	}
	count := max(a.cfg.ShardCount, 1)
	for {
		a.log.Info("discord: claiming a free shard", "shards", count)
		a.claiming.Store(true)
		claim, err := a.opts.Shards.ClaimShard(ctx, count)
		a.claiming.Store(false)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("discord: claim a shard of %d: %w", count, err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		lost := make(chan struct{})
		go func() {
			select {
			case <-claim.Lost:
				close(lost)
				cancel()
			case <-runCtx.Done():
			}
		}()
		err = a.run(runCtx, inbox, claim.ID)
		cancel()
		claim.Release()
		select {
		case <-lost:
			a.log.Warn("discord: lost the claim on its shard (its database connection dropped); left the gateway, claiming again", "shard", claim.ID)
			continue
		default:
		}
		return err
	}
}

// run is Run on one shard.
func (a *Adapter) run(ctx context.Context, inbox chat.Inbox, shard int) error {
	s, err := a.session(shard)
	if err != nil {
		return err
	}
	q := newIntake()
	a.mu.Lock()
	a.s, a.ctx, a.inbox, a.queue, a.ready, a.stopped = s, ctx, inbox, q, false, false
	a.mu.Unlock()
	worked := make(chan struct{})
	go func() {
		defer close(worked)
		q.Run(ctx)
	}()
	defer func() { q.Close(); <-worked }() // after the gateway closed: nothing is offered any more

	s.AddHandler(a.messageCreate)
	s.AddHandler(a.interactionCreate)
	s.AddHandler(a.reactionAdd)
	s.AddHandler(a.reactionRemove)
	s.AddHandler(a.threadCreate)
	s.AddHandler(func(*discordgo.Session, *discordgo.Ready) { a.connected.Store(true) })
	s.AddHandler(func(*discordgo.Session, *discordgo.Resumed) { a.connected.Store(true) })
	s.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) { a.connected.Store(false) })
	defer a.connected.Store(false)

	if err := s.Open(); err != nil {
		return fmt.Errorf("discord: connect to the gateway: %w", err)
	}
	self, appID := "", ""
	if s.State != nil && s.State.User != nil {
		self = s.State.User.ID
		appID = self
	}
	if s.State != nil && s.State.Application != nil && s.State.Application.ID != "" {
		appID = s.State.Application.ID
	}
	a.mu.Lock()
	a.self = self
	a.mu.Unlock()
	a.log.Info("discord: connected", "user", self, "shard", shard, "shards", a.cfg.ShardCount)

	if err := a.register(ctx, s, appID); err != nil {
		// Mentions, DMs and prefix commands still work without them.
		a.log.Error("discord: register slash commands", "err", err)
	}
	a.mu.Lock()
	a.ready = true
	a.mu.Unlock()

	<-ctx.Done()
	a.mu.Lock()
	a.stopped = true
	a.mu.Unlock()
	err = s.Close()
	a.wg.Wait()
	if err != nil {
		return fmt.Errorf("discord: close the gateway: %w", err)
	}
	return nil
}

// The gateway event handlers. discordgo calls them with whatever the
// payload decoded to, even when decoding failed half way, so they take
// nothing in it for granted.

func (a *Adapter) messageCreate(_ *discordgo.Session, m *discordgo.MessageCreate) {
	key := ""
	if m.Message != nil && m.Author != nil {
		key = m.ChannelID + "/" + m.Author.ID
	}
	a.take("message", key, func(ctx context.Context) { a.onMessage(ctx, m.Message) })
}

func (a *Adapter) interactionCreate(_ *discordgo.Session, i *discordgo.InteractionCreate) {
	a.track(func() { a.goTrack(func() { a.onInteraction(i.Interaction) }) })
}

func (a *Adapter) reactionAdd(_ *discordgo.Session, r *discordgo.MessageReactionAdd) {
	a.take("reaction", reactionKey(r.MessageReaction), func(ctx context.Context) { a.onReaction(ctx, r.MessageReaction, r.Member, true) })
}

func (a *Adapter) reactionRemove(_ *discordgo.Session, r *discordgo.MessageReactionRemove) {
	a.take("reaction", reactionKey(r.MessageReaction), func(ctx context.Context) { a.onReaction(ctx, r.MessageReaction, nil, false) })
}

func (a *Adapter) threadCreate(_ *discordgo.Session, t *discordgo.ThreadCreate) {
	if t.Channel != nil && t.OwnerID != "" && t.OwnerID == a.selfID() {
		a.threads.Put(t.ID, t.ParentID)
	}
}

// event is one message or vote read off the gateway, to deliver; key is
// its channel and member.
type event struct {
	key     string
	deliver func(context.Context)
}

// reactionKey is a vote's key: the same as its voter's messages in the
// channel.
func reactionKey(r *discordgo.MessageReaction) string {
	if r == nil {
		return ""
	}
	return r.ChannelID + "/" + r.UserID
}

// newIntake returns the queue between the gateway's read loop and the
// inbox: each message is stored with a disk write, and the read loop must
// never wait for that. A burst is delivered together, so that its messages
// share commits: a member's events in a channel keep the gateway's order
// (their messages, a vote and its removal), different members' do not wait
// for each other, as in the router.
func newIntake() *intake.Queue[event] {
	return intake.NewByKey(intakeSize, func(e event) string { return e.key },
		func(ctx context.Context, e event) { e.deliver(ctx) })
}

// take hands an event's delivery to the intake queue and returns at once.
// Only when the whole queue is full (Docent far behind, not one member)
// does the read loop wait for room: an event read off the gateway and
// dropped would be lost, while a read loop that waits too long makes
// discordgo reconnect and resume, and Discord sends again what was not
// read. Heartbeats go on meanwhile in discordgo's own goroutine.
func (a *Adapter) take(what, key string, deliver func(context.Context)) {
	e := event{key: key, deliver: deliver}
	a.mu.Lock()
	q, stopped, ctx := a.queue, a.stopped, a.ctx
	a.mu.Unlock()
	if stopped || q == nil {
		return
	}
	if !q.Offer(e) {
		a.log.Warn("discord: falling behind; the gateway waits for room in the intake queue", "event", what, "queued", intakeSize)
		if !q.Put(ctx, e) {
			a.log.Warn("discord: stopping; an event read off the gateway was not delivered", "event", what)
		}
	}
}

// track runs f unless Run is stopping, counting it as in flight.
func (a *Adapter) track(f func()) {
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return
	}
	a.wg.Add(1)
	a.mu.Unlock()
	defer a.wg.Done()
	f()
}

// goTrack runs f in a goroutine that Run waits for.
func (a *Adapter) goTrack(f func()) {
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return
	}
	a.wg.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.wg.Done()
		f()
	}()
}

func (a *Adapter) selfID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.self
}

func (a *Adapter) runCtx() (context.Context, chat.Inbox, *discordgo.Session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ctx, a.inbox, a.s
}

// register overwrites the slash commands, in each command guild or
// globally.
func (a *Adapter) register(ctx context.Context, s *discordgo.Session, appID string) error {
	cmds := make([]*discordgo.ApplicationCommand, 0, len(a.opts.Commands))
	for _, c := range a.opts.Commands {
		ac := &discordgo.ApplicationCommand{Name: c.Name, Description: c.Description, Type: discordgo.ChatApplicationCommand}
		if c.TakesText {
			ac.Options = []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionString, Name: "text",
				Description: "What to ask or explain", Required: c.Name == "ask",
			}}
		}
		cmds = append(cmds, ac)
	}
	guilds := a.cfg.CommandGuilds
	if len(guilds) == 0 {
		guilds = []string{""}
	}
	var errs []error
	for _, g := range guilds {
		if _, err := s.ApplicationCommandBulkOverwrite(appID, g, cmds, discordgo.WithContext(ctx)); err != nil {
			where := "globally"
			if g != "" {
				where = "in guild " + g
			}
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
	}
	return errors.Join(errs...)
}

// place is where a message was said: its conversation, and whether Docent
// answers there at all.
func (a *Adapter) place(guildID, channelID string) (chat.Conversation, bool) {
	conv := chat.Conversation{Platform: Platform, Channel: channelID}
	if parent, ok := a.threads.Get(channelID); ok {
		conv = chat.Conversation{Platform: Platform, Channel: parent, Thread: channelID}
	} else if _, _, s := a.runCtx(); s != nil && s.State != nil {
		if ch, err := s.State.Channel(channelID); err == nil && ch.IsThread() {
			conv = chat.Conversation{Platform: Platform, Channel: ch.ParentID, Thread: channelID}
		}
	}
	if guildID == "" {
		return conv, true // DMs are always answered
	}
	if len(a.guilds) > 0 && !a.guilds[guildID] {
		return conv, false
	}
	if a.deny[conv.Channel] || a.deny[conv.Thread] {
		return conv, false
	}
	if len(a.allow) > 0 && !a.allow[conv.Channel] && !a.allow[conv.Thread] {
		return conv, false
	}
	return conv, true
}

func (a *Adapter) onMessage(ctx context.Context, m *discordgo.Message) {
	// Without an author or a channel there is no one to answer, nowhere.
	if m == nil || m.Author == nil || m.Author.ID == "" || m.ChannelID == "" {
		return
	}
	self := a.selfID()
	if m.Author.ID == self || m.Author.Bot || m.Type == discordgo.MessageTypeThreadCreated {
		return
	}
	conv, ok := a.place(m.GuildID, m.ChannelID)
	if !ok {
		return
	}
	direct := m.GuildID == ""
	mentioned := false
	for _, u := range m.Mentions {
		if u != nil && u.ID == self {
			mentioned = true
		}
	}
	text := m.Content
	if mentioned {
		text = strings.NewReplacer("<@"+self+">", "", "<@!"+self+">", "").Replace(text)
		text = strings.Join(strings.Fields(text), " ")
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return // without message content, or an attachment only
	}
	_, followUp := a.threads.Get(m.ChannelID)
	command := strings.HasPrefix(text, a.opts.CommandPrefix)
	helpQuestion := (a.help[conv.Channel] || a.help[conv.Thread]) && chat.IsQuestion(text)
	if !mentioned && !direct && !followUp && !command && !helpQuestion {
		return
	}
	_, inbox, s := a.runCtx()
	r := &responder{
		a: a, s: s, asker: m.Author.ID, channel: m.ChannelID, msgID: m.ID, question: text,
		thread: a.cfg.Threads && !direct && conv.Thread == "" && !followUp,
		sent:   map[string]sentParts{},
	}
	if conv.Thread != "" {
		r.thread = false
	}
	msg := chat.Message{
		ID: m.ID, Conversation: conv, Space: m.GuildID, Text: text, Time: m.Timestamp,
		Author:    chat.Member{ID: m.Author.ID, Name: displayName(m.Author), Bot: m.Author.Bot},
		Mentioned: mentioned, Direct: direct,
	}
	if m.Member != nil {
		msg.Roles = m.Member.Roles
	}
	if ref := m.MessageReference; ref != nil && ref.Type == discordgo.MessageReferenceTypeDefault && m.Type == discordgo.MessageTypeReply {
		msg.RepliesTo = ref.MessageID // a forward, a pin's or a thread's notice is no reply
	}
	if msg.Time.IsZero() {
		msg.Time = time.Now()
	}
	r.startTyping(ctx)
	if err := inbox.Deliver(ctx, msg, r); err != nil {
		r.stopTyping()
		if ctx.Err() == nil && !errors.Is(err, chat.ErrBusy) { // busy: the member is told
			a.log.Error("discord: deliver message", "conversation", conv.String(), "err", err)
		}
	}
}

func displayName(u *discordgo.User) string {
	if u.GlobalName != "" {
		return u.GlobalName
	}
	return u.Username
}

// allowed is chat.MayPing in Discord's terms: a message answering asker
// may ping asker (by mention or as the author replied to) and nobody else;
// with asker "" (an announcement) nobody. Nothing is parsed from the text,
// so no @everyone, @here, role or other member pings, whatever it says.
func allowed(asker string) *discordgo.MessageAllowedMentions {
	am := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
	if chat.MayPing(asker, chat.Mention{Kind: chat.MentionMember, ID: asker}) {
		am.Users, am.RepliedUser = []string{asker}, true
	}
	return am
}

// sentParts is where one answer went: its channel and the IDs of the parts
// after the first, for edits.
type sentParts struct {
	channel string
	rest    []string
}

// responder answers one message in a channel, thread or DM.
type responder struct {
	a        *Adapter
	s        *discordgo.Session
	asker    string
	channel  string // where the member wrote
	msgID    string
	question string

	mu     sync.Mutex // guards the fields below
	thread bool       // answer in a new thread on the member's message
	target string     // the thread once created
	sent   map[string]sentParts
	typing context.CancelFunc
}

func (r *responder) startTyping(ctx context.Context) {
	tctx, cancel := context.WithTimeout(ctx, typingFor)
	r.mu.Lock()
	r.typing = cancel
	r.mu.Unlock()
	r.a.goTrack(func() {
		defer cancel()
		t := time.NewTicker(typingEvery)
		defer t.Stop()
		for {
			if err := r.s.ChannelTyping(r.channel, discordgo.WithContext(tctx)); err != nil && tctx.Err() == nil {
				r.a.log.Debug("discord: typing", "channel", r.channel, "err", err)
			}
			select {
			case <-tctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

func (r *responder) stopTyping() {
	r.mu.Lock()
	cancel := r.typing
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// where returns the channel to post in and whether to post as a reply,
// creating the answer's thread on first use.
func (r *responder) where(ctx context.Context) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.target != "" {
		return r.target, false
	}
	if r.thread {
		th, err := r.s.MessageThreadStartComplex(r.channel, r.msgID, &discordgo.ThreadStart{
			Name: threadName(r.question), AutoArchiveDuration: 1440,
		}, discordgo.WithContext(ctx))
		if err == nil && th != nil && th.ID != "" {
			r.target = th.ID
			r.a.threads.Put(th.ID, r.channel)
			return r.target, false
		}
		// No permission, a channel without threads: reply instead.
		r.a.log.Warn("discord: start thread; replying instead", "channel", r.channel, "err", err)
		r.thread = false
	}
	return r.channel, true
}

// threadName names a thread from the first words of the question.
func threadName(q string) string {
	const max = 60
	var b strings.Builder
	for _, w := range strings.Fields(q) {
		if b.Len()+len(w)+1 > max {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	if b.Len() == 0 {
		if r := []rune(strings.TrimSpace(q)); len(r) > 0 {
			if len(r) > max {
				r = r[:max]
			}
			return string(r)
		}
		return "Docent"
	}
	return b.String()
}

// errEmpty refuses an answer without text or file: Discord rejects empty
// messages.
var errEmpty = errors.New("discord: the answer has no text")

// errEphemeralFile refuses a file in an answer meant only for the member
// where Discord can only show it to everyone: a message's reply.
var errEphemeralFile = errors.New("discord: a file meant only for the member cannot be sent in a channel; send it privately")

// Finish stops the typing indicator when the bot is done with the message,
// whether or not it answered.
func (r *responder) Finish() { r.stopTyping() }

// Reply posts the answer, split into parts of at most 2,000 characters,
// with its file attached to the last part. A private answer goes to a
// direct message instead (see replyPrivately).
func (r *responder) Reply(ctx context.Context, ans chat.Answer) (chat.Sent, error) {
	r.stopTyping()
	if ans.Private {
		return r.replyPrivately(ctx, ans)
	}
	if ans.File != nil && ans.Ephemeral {
		return chat.Sent{}, errEphemeralFile
	}
	if err := check(ans); err != nil {
		return chat.Sent{}, err // before a thread is started for nothing
	}
	channel, asReply := r.where(ctx)
	var ref *discordgo.MessageReference
	if asReply && r.msgID != "" {
		ref = &discordgo.MessageReference{MessageID: r.msgID, ChannelID: r.channel}
	}
	first, rest, err := r.a.post(ctx, r.s, channel, r.asker, ans, ref)
	if err != nil {
		return chat.Sent{}, err
	}
	if channel != r.channel || r.a.isThread(channel) {
		r.a.threads.Put(channel, r.parentOf(channel))
	}
	r.mu.Lock()
	r.sent[first.ID] = sentParts{channel: channel, rest: rest}
	r.mu.Unlock()
	return chat.Sent{ID: first.ID, Time: sentTime(first)}, nil
}

func (r *responder) parentOf(channel string) string {
	if channel != r.channel {
		return r.channel
	}
	if p, ok := r.a.threads.Get(channel); ok {
		return p
	}
	return r.a.parentFromState(channel)
}

func (a *Adapter) isThread(channel string) bool {
	if _, ok := a.threads.Get(channel); ok {
		return true
	}
	return a.parentFromState(channel) != ""
}

func (a *Adapter) parentFromState(channel string) string {
	_, _, s := a.runCtx()
	if s == nil || s.State == nil {
		return ""
	}
	if ch, err := s.State.Channel(channel); err == nil && ch.IsThread() {
		return ch.ParentID
	}
	return ""
}

func sentTime(m *discordgo.Message) time.Time {
	if m != nil && !m.Timestamp.IsZero() {
		return m.Timestamp
	}
	return time.Now()
}

// Edit changes a sent answer: the first part is edited, following parts
// are edited or sent, and parts no longer needed are deleted.
func (r *responder) Edit(ctx context.Context, sent chat.Sent, ans chat.Answer) error {
	r.mu.Lock()
	sp, ok := r.sent[sent.ID]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("discord: edit message %s: not sent by this responder", sent.ID)
	}
	sp, err := r.a.editInChannel(ctx, r.s, r.asker, sent.ID, sp, ans)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.sent[sent.ID] = sp
	r.mu.Unlock()
	return nil
}

// editInChannel changes an answer posted in a channel (a DM, a thread): the
// first part is edited, following parts are edited or sent, and parts no
// longer needed are deleted. It returns where the parts now are.
func (a *Adapter) editInChannel(ctx context.Context, s *discordgo.Session, asker, first string, sp sentParts, ans chat.Answer) (sentParts, error) {
	if strings.TrimSpace(ans.Text) == "" {
		return sp, errEmpty
	}
	parts := Split(ans.Text, MaxMessage)
	edit := func(id, text string) error {
		e := discordgo.NewMessageEdit(sp.channel, id).SetContent(text)
		e.AllowedMentions = allowed(asker)
		_, err := s.ChannelMessageEditComplex(e, discordgo.WithContext(ctx))
		return err
	}
	if err := edit(first, parts[0]); err != nil {
		return sp, fmt.Errorf("discord: edit answer in %s: %w", sp.channel, err)
	}
	var rest []string
	for i, p := range parts[1:] {
		if i < len(sp.rest) {
			if err := edit(sp.rest[i], p); err != nil {
				return sp, fmt.Errorf("discord: edit answer in %s: %w", sp.channel, err)
			}
			rest = append(rest, sp.rest[i])
			continue
		}
		m, err := s.ChannelMessageSendComplex(sp.channel, &discordgo.MessageSend{Content: p, AllowedMentions: allowed(asker)}, discordgo.WithContext(ctx))
		if err != nil {
			return sp, fmt.Errorf("discord: send answer to %s: %w", sp.channel, err)
		}
		a.own.Put(m.ID, sp.channel)
		rest = append(rest, m.ID)
	}
	for _, id := range sp.rest[min(len(sp.rest), len(parts)-1):] {
		if err := s.ChannelMessageDelete(sp.channel, id, discordgo.WithContext(ctx)); err != nil {
			return sp, fmt.Errorf("discord: delete a part no longer needed in %s: %w", sp.channel, err)
		}
	}
	return sentParts{channel: sp.channel, rest: rest}, nil
}

// onReaction delivers 👍/👎 on Docent's own messages as the member's vote:
// the latest of the two they added and still have, VoteNone when neither
// remains. A member may hold both reactions at once; removing one leaves
// the other as their vote.
func (a *Adapter) onReaction(ctx context.Context, mr *discordgo.MessageReaction, member *discordgo.Member, added bool) {
	if mr == nil || mr.UserID == "" || mr.ChannelID == "" || mr.UserID == a.selfID() {
		return
	}
	if _, ours := a.own.Get(mr.MessageID); !ours {
		return
	}
	if member != nil && member.User != nil && member.User.Bot {
		return
	}
	var r string
	switch chat.ReactionVote(mr.Emoji.Name) {
	case chat.VoteUp:
		r = "U"
	case chat.VoteDown:
		r = "D"
	default:
		return
	}
	held := a.votes.Update(mr.MessageID+"\x00"+mr.UserID, func(old string, _ bool) string {
		old = strings.ReplaceAll(old, r, "")
		if added {
			return old + r
		}
		return old
	})
	vote := chat.VoteNone
	switch {
	case strings.HasSuffix(held, "U"):
		vote = chat.VoteUp
	case strings.HasSuffix(held, "D"):
		vote = chat.VoteDown
	}
	_, inbox, _ := a.runCtx()
	fi, ok := inbox.(chat.FeedbackInbox)
	if !ok {
		return
	}
	conv, _ := a.place("", mr.ChannelID)
	who := chat.Member{ID: mr.UserID}
	if member != nil && member.User != nil {
		who.Name = displayName(member.User)
	}
	f := chat.Feedback{Conversation: conv, AnswerID: mr.MessageID, Member: who, Vote: vote, Time: time.Now()}
	if err := fi.Feedback(ctx, f); err != nil && ctx.Err() == nil {
		a.log.Error("discord: deliver feedback", "conversation", conv.String(), "err", err)
	}
}
