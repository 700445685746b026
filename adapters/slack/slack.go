// Package slack is Docent's Slack adapter: it turns Slack events (Socket
// Mode by default, or the HTTP Events API) into chat messages and sends
// Docent's answers back in the thread of the question, as mrkdwn that can
// never notify a channel or a group.
package slack

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/docent-bot/docent/adapters/internal/bounded"
	"github.com/docent-bot/docent/adapters/internal/intake"
	"github.com/docent-bot/docent/chat"
)

// Platform is the platform name of Slack conversations.
const Platform = "slack"

// Options are what the bot gives the adapter besides its configuration.
type Options struct {
	Log *slog.Logger
	// CommandPrefix is how chat commands start ("!"): `/docent help` is
	// delivered as "!help".
	CommandPrefix string
	// HTTPClient calls the Web API; nil uses http.DefaultClient.
	HTTPClient *http.Client
	// Threads, when set, is asked about a thread reply in a thread this
	// process did not answer in: replicas share the follow-ups of the
	// threads any of them answered.
	Threads chat.ThreadHistory
}

// Bounds of what the adapter remembers.
const (
	maxSeenEvents = 10000 // event IDs, to answer a retried event once
	maxThreads    = 5000  // threads Docent answered in, for follow-ups
	maxAnswers    = 5000  // Docent's messages, for votes by reaction
	maxNames      = 5000  // members' names, for {{.Member}} in answers
	// nameTimeout bounds looking a member's name up: it is done before
	// their message is delivered, and others' messages wait behind it.
	nameTimeout = 3 * time.Second
)

// Adapter connects Docent to one Slack workspace.
type Adapter struct {
	cfg  Config
	opts Options
	log  *slog.Logger
	api  *slack.Client

	help, allow, deny map[string]bool

	seen    *bounded.Map[string, string] // event IDs handled
	threads *bounded.Map[string, string] // channel+"/"+thread_ts Docent replied in → ""
	answers *bounded.Map[string, string] // channel+"/"+ts of Docent's messages → thread_ts
	dms     *bounded.Map[string, string] // member ID → their DM channel with Docent, for private answers
	names   *bounded.Map[string, string] // member ID → their name ("" when Slack has none for them)
	// namesOff is set once Slack refuses users.info (no users:read
	// scope): members are then called "there" without asking again.
	namesOff atomic.Bool
	groups   *userGroups

	// botID is Docent's own user ID, from auth.test; set in Run before
	// any event is handled and read only after.
	botID     string
	team      string // the workspace's ID, the Space of its messages
	mentionRe *regexp.Regexp

	wg sync.WaitGroup // background calls (reactions) still running

	// taken counts the Socket Mode events, commands and clicks queued for
	// delivery (Taken).
	taken atomic.Uint64

	// listener replaces listening on cfg.Listen in events mode (tests).
	listener net.Listener
}

// New returns an adapter for cfg, which must have no Problems.
func New(cfg Config, opts Options) (*Adapter, error) {
	if err := cfg.Validate(); err != nil && cfg.Enabled {
		return nil, fmt.Errorf("slack: %w", err)
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.CommandPrefix == "" {
		opts.CommandPrefix = "!"
	}
	apiOpts := []slack.Option{slack.OptionAppLevelToken(cfg.AppToken)}
	if opts.HTTPClient != nil {
		apiOpts = append(apiOpts, slack.OptionHTTPClient(opts.HTTPClient))
	}
	if cfg.APIURL != "" {
		apiOpts = append(apiOpts, slack.OptionAPIURL(strings.TrimRight(cfg.APIURL, "/")+"/"))
	}
	set := func(ids []string) map[string]bool {
		m := make(map[string]bool, len(ids))
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	a := &Adapter{
		cfg:     cfg,
		opts:    opts,
		log:     opts.Log.With("adapter", Platform),
		api:     slack.New(cfg.BotToken, apiOpts...),
		help:    set(cfg.HelpChannels),
		allow:   set(cfg.AllowChannels),
		deny:    set(cfg.DenyChannels),
		seen:    bounded.New[string, string](maxSeenEvents),
		threads: bounded.New[string, string](maxThreads),
		answers: bounded.New[string, string](maxAnswers),
		dms:     bounded.New[string, string](maxDMs),
		names:   bounded.New[string, string](maxNames),
	}
	a.groups = newUserGroups(cfg.UsergroupsRefresh, func(ctx context.Context) ([]slack.UserGroup, error) {
		var list []slack.UserGroup
		err := a.retry(ctx, func() error {
			var err error
			list, err = a.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
			return err
		})
		return list, err
	}, a.log, a.wg.Go)
	return a, nil
}

// Name is the adapter's name in logs.
func (a *Adapter) Name() string { return Platform }

// Run listens until ctx is done, then returns nil once nothing it started
// is left running. It returns an error when Slack refuses the tokens.
func (a *Adapter) Run(ctx context.Context, inbox chat.Inbox) error {
	auth, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("slack: check the bot token (auth.test): %w", err)
	}
	a.loggedIn(auth.UserID, auth.TeamID)
	a.log.InfoContext(ctx, "slack: connected", "team", auth.Team, "bot_user", auth.UserID, "mode", a.cfg.Mode)
	defer a.wg.Wait()
	a.groups.refreshIfStale(ctx) // ready before the first admin command, if it can be
	if a.cfg.Mode == ModeEvents {
		return a.runEvents(ctx, inbox)
	}
	return a.runSocket(ctx, inbox)
}

// loggedIn sets who Docent is in the workspace, before any event is
// handled.
func (a *Adapter) loggedIn(botID, team string) {
	a.botID = botID
	a.team = team
	a.mentionRe = regexp.MustCompile(`<@` + regexp.QuoteMeta(botID) + `(\|[^>]*)?>`)
}

func (a *Adapter) runSocket(ctx context.Context, inbox chat.Inbox) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sm := socketmode.New(a.api)
	done := make(chan error, 1)
	go func() { done <- sm.RunContext(ctx) }()
	// Envelopes are handed to a worker, and acknowledged once delivered
	// (the message stored): an envelope acknowledged before would be lost
	// if Docent died before storing it, where Slack sends one not
	// acknowledged again, maybe to another replica. A delivery costs a
	// commit (the intake's rounds share them); a commit slower than
	// Slack's 3 seconds delays the acknowledgements behind it, and Slack's
	// copies are then found stored and left.
	q := a.intake(ctx, inbox)
	defer q.Close()
	for {
		select {
		case <-ctx.Done():
			<-done
			return nil
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			cancel()
			return fmt.Errorf("slack: socket mode: %w", err)
		case evt := <-sm.Events:
			var in incoming
			if evt.Request != nil && evt.Request.EnvelopeID != "" {
				in.ack = a.acker(ctx, sm, evt.Request.EnvelopeID)
			}
			switch evt.Type {
			case socketmode.EventTypeEventsAPI:
				if ea, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
					in.event = &ea
				}
			case socketmode.EventTypeSlashCommand:
				if cmd, ok := evt.Data.(slack.SlashCommand); ok {
					in.cmd = &cmd
				}
			case socketmode.EventTypeInteractive:
				if cb, ok := evt.Data.(slack.InteractionCallback); ok {
					in.action = &cb
				}
			case socketmode.EventTypeInvalidAuth:
				a.log.ErrorContext(ctx, "slack: the app token was refused")
			case socketmode.EventTypeConnectionError:
				a.log.WarnContext(ctx, "slack: connection error; slack-go retries", "err", evt.Data)
			}
			if in.event == nil && in.cmd == nil && in.action == nil {
				if in.ack != nil {
					in.ack()
				}
				continue
			}
			if !q.Offer(in) {
				a.log.WarnContext(ctx, "slack: falling behind; reading the socket waits for deliveries")
				q.Put(ctx, in)
			}
			a.taken.Add(1)
		}
	}
}

// ackWithin is Slack's deadline for an acknowledgement: an envelope
// acknowledged later is sent again, maybe to another replica (which finds
// the message stored, and leaves it).
const ackWithin = 3 * time.Second

// ackTimeout bounds waiting for the socket to take an acknowledgement.
const ackTimeout = 5 * time.Second

// acker returns the acknowledgement of an envelope, to be sent once its
// event is delivered: late rather than never.
func (a *Adapter) acker(ctx context.Context, sm *socketmode.Client, envelope string) func() {
	got := time.Now()
	return func() {
		if late := time.Since(got); late > ackWithin {
			a.log.WarnContext(ctx, "slack: acknowledged an envelope late: Slack may send it again", "envelope", envelope, "after", late.Round(time.Millisecond))
		}
		// Not past ctx: the socket is going, and Slack sends the envelopes
		// not acknowledged to another connection, whose Docent finds their
		// messages stored. Nor for ever while slack-go reconnects.
		actx, cancel := context.WithTimeout(ctx, ackTimeout)
		defer cancel()
		if err := sm.AckCtx(actx, envelope, nil); err != nil && ctx.Err() == nil {
			a.log.WarnContext(ctx, "slack: ack", "envelope", envelope, "err", err)
		}
	}
}

// Taken is how many Socket Mode events, commands and clicks the adapter
// has queued for delivery since it started: the acknowledgements come
// later, once each is delivered.
func (a *Adapter) Taken() uint64 { return a.taken.Load() }

// intakeSize bounds the events taken from Slack and not yet delivered.
const intakeSize = 256

// intakeQueue is the queue of events taken from Slack and not yet
// delivered, with its worker; Close stops it after the queued events are
// delivered, and waits for that.
type intakeQueue struct {
	*intake.Queue[incoming]
	worked chan struct{}
}

// intake starts the worker that delivers events until the queue is
// closed; the events still queued when ctx ends are delivered then. A
// burst is delivered together, so that its messages share commits, as on
// Discord: the events of one conversation in the order Slack sent them
// (a follow-up in a thread after the mention that started it, which it
// needs to be taken as part of the thread), different conversations at
// once.
func (a *Adapter) intake(ctx context.Context, inbox chat.Inbox) *intakeQueue {
	q := &intakeQueue{
		Queue: intake.NewByKey(intakeSize, incoming.key,
			func(ctx context.Context, in incoming) {
				a.handle(ctx, inbox, in)
				if in.ack != nil {
					in.ack()
				}
			}),
		worked: make(chan struct{}),
	}
	go func() {
		defer close(q.worked)
		q.Run(ctx)
	}()
	return q
}

// Close stops taking events and waits until the queued ones are delivered.
func (q *intakeQueue) Close() {
	q.Queue.Close()
	<-q.worked
}

// handle delivers one event, command or click.
func (a *Adapter) handle(ctx context.Context, inbox chat.Inbox, in incoming) {
	switch {
	case in.event != nil:
		a.handleEvent(ctx, inbox, *in.event)
	case in.cmd != nil:
		a.handleCommand(ctx, inbox, *in.cmd)
	case in.action != nil:
		a.handleAction(ctx, inbox, *in.action)
	}
}

// handleEvent turns one Events API event into a message or a vote.
func (a *Adapter) handleEvent(ctx context.Context, inbox chat.Inbox, ea slackevents.EventsAPIEvent) {
	cb, ok := ea.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return
	}
	if cb.EventID != "" && !a.seen.Put(cb.EventID, "") {
		a.log.DebugContext(ctx, "slack: duplicate event", "event_id", cb.EventID)
		return
	}
	switch ev := ea.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if ev.BotID != "" || ev.User == "" || ev.User == a.botID || !a.listensIn(ev.Channel) {
			return
		}
		a.deliver(ctx, inbox, ev.Channel, ev.User, ev.TimeStamp, ev.ThreadTimeStamp, ev.Text, true, false)
	case *slackevents.MessageEvent:
		a.handleMessage(ctx, inbox, ev)
	case *slackevents.ReactionAddedEvent:
		a.handleReaction(ctx, inbox, ev.User, ev.Reaction, ev.ItemUser, ev.Item, true)
	case *slackevents.ReactionRemovedEvent:
		a.handleReaction(ctx, inbox, ev.User, ev.Reaction, ev.ItemUser, ev.Item, false)
	}
}

func (a *Adapter) handleMessage(ctx context.Context, inbox chat.Inbox, ev *slackevents.MessageEvent) {
	switch ev.SubType {
	case "", "thread_broadcast", "file_share":
	default: // edits, deletions, joins, bot_message…
		return
	}
	if ev.BotID != "" || ev.User == "" || ev.User == a.botID {
		return
	}
	direct := ev.ChannelType == "im"
	mentioned := a.mentionRe.MatchString(ev.Text)
	switch {
	case direct:
	case !a.listensIn(ev.Channel):
		return
	case mentioned:
		return // the app_mention event brings it
	case ev.ThreadTimeStamp != "" && ev.ThreadTimeStamp != ev.TimeStamp:
		if !a.answeredIn(ctx, ev.Channel, ev.ThreadTimeStamp) {
			return
		}
	case a.help[ev.Channel] && chat.IsQuestion(ev.Text):
	default:
		return
	}
	a.deliver(ctx, inbox, ev.Channel, ev.User, ev.TimeStamp, ev.ThreadTimeStamp, ev.Text, mentioned, direct)
}

// answeredIn reports whether Docent answered in the thread, here or, when
// Options.Threads is set, on another replica.
func (a *Adapter) answeredIn(ctx context.Context, channel, thread string) bool {
	key := channel + "/" + thread
	if _, ok := a.threads.Get(key); ok {
		return true
	}
	if a.opts.Threads == nil {
		return false
	}
	ok, err := a.opts.Threads.AnsweredIn(ctx, chat.Conversation{Platform: Platform, Channel: channel, Thread: thread})
	if err != nil {
		a.log.WarnContext(ctx, "slack: cannot tell whether another replica answered in a thread; leaving a follow-up there unanswered",
			"channel", channel, "thread", thread, "err", err)
		return false
	}
	if ok {
		a.threads.Put(key, "")
	}
	return ok
}

// Resume makes the responder for a message another replica stored and
// could not answer (chat.Resumer): its answers go in the message's thread,
// as deliver's would.
func (a *Adapter) Resume(ctx context.Context, m chat.Message) (chat.Responder, error) {
	if m.Conversation.Platform != Platform || m.Conversation.Channel == "" {
		return nil, fmt.Errorf("slack: cannot answer %s message %q in %s here", m.Conversation.Platform, m.ID, m.Conversation)
	}
	thread := m.Conversation.Thread
	if thread == "" { // a slash command: its answer starts a thread
		return &responder{a: a, channel: m.Conversation.Channel, user: m.Author.ID, command: true}, nil
	}
	a.threads.Put(m.Conversation.Channel+"/"+thread, "")
	return &responder{a: a, channel: m.Conversation.Channel, thread: thread, user: m.Author.ID, question: m.ID}, nil
}

// Posted finds Docent's answer to m in m's thread (chat.Resumer), by the
// metadata every answer carries: an answer posted by a replica killed
// before it noted so.
func (a *Adapter) Posted(ctx context.Context, m chat.Message) (chat.Sent, bool, error) {
	if m.Conversation.Platform != Platform || m.Conversation.Thread == "" || m.ID == "" {
		return chat.Sent{}, false, nil
	}
	params := &slack.GetConversationRepliesParameters{ChannelID: m.Conversation.Channel, Timestamp: m.Conversation.Thread,
		Oldest: m.ID, Limit: 200, IncludeAllMetadata: true}
	for {
		var msgs []slack.Message
		var more bool
		err := a.retry(ctx, func() error {
			var err error
			msgs, more, params.Cursor, err = a.api.GetConversationRepliesContext(ctx, params)
			return err
		})
		if err != nil {
			return chat.Sent{}, false, fmt.Errorf("slack: look for an answer to %s in %s: %w", m.ID, m.Conversation, err)
		}
		for _, msg := range msgs {
			if msg.Metadata.EventType == answerEvent && msg.Metadata.EventPayload["question"] == m.ID {
				return chat.Sent{ID: msg.Timestamp, Time: tsTime(msg.Timestamp)}, true, nil
			}
		}
		if !more || params.Cursor == "" {
			return chat.Sent{}, false, nil
		}
	}
}

// space is the Space of a message in channel: the workspace, except for
// direct messages, which (as on Discord) belong to no community space.
func (a *Adapter) space(channel string) string {
	if strings.HasPrefix(channel, "D") {
		return ""
	}
	return a.team
}

// listensIn applies allow_channels and deny_channels.
func (a *Adapter) listensIn(channel string) bool {
	if a.deny[channel] {
		return false
	}
	return len(a.allow) == 0 || a.allow[channel] || strings.HasPrefix(channel, "D")
}

func (a *Adapter) deliver(ctx context.Context, inbox chat.Inbox, channel, user, ts, threadTS, text string, mentioned, direct bool) {
	if channel == "" {
		return // nowhere to answer
	}
	if threadTS == "" {
		threadTS = ts
	}
	text = strings.TrimSpace(a.mentionRe.ReplaceAllString(text, ""))
	m := chat.Message{
		ID:           ts,
		Conversation: chat.Conversation{Platform: Platform, Channel: channel, Thread: threadTS},
		Space:        a.space(channel),
		Author:       chat.Member{ID: user, Name: a.knownName(user)}, // else the responder looks it up
		Roles:        a.groups.of(ctx, user),
		Text:         unescape(text),
		Time:         tsTime(ts),
		Mentioned:    mentioned,
		Direct:       direct,
	}
	r := &responder{a: a, channel: channel, thread: threadTS, user: user, question: ts}
	if a.cfg.WorkingReaction != "" {
		r.working = a.react(ctx, channel, ts)
	}
	if err := inbox.Deliver(ctx, m, r); err != nil {
		if ctx.Err() == nil && !errors.Is(err, chat.ErrBusy) { // busy: the member is told
			a.log.WarnContext(ctx, "slack: deliver", "conversation", m.Conversation.String(), "err", err)
		}
		return
	}
	// The bot answers in this thread: follow-ups that arrive before its
	// answer is posted belong to it too (a thread's events are handled in
	// order, the answer comes later).
	a.threads.Put(channel+"/"+threadTS, "")
}

// knownName is the member's name if it is cached, without asking Slack:
// intake must not wait on users.info (the responder's MemberName does,
// in the member's own queue).
func (a *Adapter) knownName(user string) string {
	name, _ := a.names.Get(user)
	return name
}

// memberName is what Docent calls a member in answers: their display
// name, else their full name, else their user name, from users.info and
// then cached. It is "" when Slack does not say (no users:read scope, an
// unknown user, Slack down), and the answer then says "there".
func (a *Adapter) memberName(ctx context.Context, user string) string {
	if name, ok := a.names.Get(user); ok {
		return name
	}
	if a.namesOff.Load() {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, nameTimeout)
	defer cancel()
	u, err := a.api.GetUserInfoContext(ctx, user)
	if err != nil {
		var se slack.SlackErrorResponse
		switch {
		case errors.As(err, &se) && (se.Err == "missing_scope" || se.Err == "not_allowed_token_type"):
			if a.namesOff.CompareAndSwap(false, true) {
				a.log.WarnContext(ctx, "slack: cannot read members' names (add the users:read scope); answers call them \"there\"", "err", err)
			}
		case errors.As(err, &se) && se.Err == "user_not_found":
			a.names.Put(user, "")
		default: // asked again next time
			a.log.DebugContext(ctx, "slack: users.info", "user", user, "err", err)
		}
		return ""
	}
	name := cmp.Or(u.Profile.DisplayName, u.RealName, u.Profile.RealName, u.Name)
	a.names.Put(user, name)
	return name
}

// react adds the working reaction in the background and returns a channel
// closed once that is done, so that removing it cannot overtake adding it.
func (a *Adapter) react(ctx context.Context, channel, ts string) *working {
	w := &working{channel: channel, ts: ts, added: make(chan struct{})}
	a.wg.Go(func() {
		defer close(w.added)
		err := a.retry(ctx, func() error {
			return a.api.AddReactionContext(ctx, a.cfg.WorkingReaction, slack.NewRefToMessage(channel, ts))
		})
		if err != nil && ctx.Err() == nil {
			a.log.DebugContext(ctx, "slack: add working reaction", "err", err)
		}
	})
	return w
}

func (a *Adapter) handleCommand(ctx context.Context, inbox chat.Inbox, cmd slack.SlashCommand) {
	// In events mode a command is a form, whose values may be any bytes:
	// IDs that are not UTF-8 name nothing in Slack, and the text and name
	// are made UTF-8 as every JSON string already is.
	if cmd.UserID == "" || cmd.ChannelID == "" || !utf8.ValidString(cmd.UserID+cmd.ChannelID) || !a.listensIn(cmd.ChannelID) {
		return
	}
	cmd.Text = strings.ToValidUTF8(cmd.Text, "\uFFFD")
	cmd.UserName = strings.ToValidUTF8(cmd.UserName, "\uFFFD")
	name, rest, _ := strings.Cut(strings.TrimSpace(cmd.Text), " ")
	rest = strings.TrimSpace(rest)
	var text string
	switch strings.ToLower(name) {
	case "":
		text = a.opts.CommandPrefix + "help"
	case "ask":
		text = rest
		if text == "" {
			text = a.opts.CommandPrefix + "help"
		}
	default:
		text = strings.TrimSpace(a.opts.CommandPrefix + strings.ToLower(name) + " " + rest)
	}
	m := chat.Message{
		Conversation: chat.Conversation{Platform: Platform, Channel: cmd.ChannelID},
		Space:        a.space(cmd.ChannelID),
		Author:       chat.Member{ID: cmd.UserID, Name: cmp.Or(a.knownName(cmd.UserID), cmd.UserName)},
		Roles:        a.groups.of(ctx, cmd.UserID),
		Text:         unescape(text),
		Time:         time.Now(),
		Mentioned:    true,
		Direct:       strings.HasPrefix(cmd.ChannelID, "D"),
	}
	r := &responder{a: a, channel: cmd.ChannelID, user: cmd.UserID, command: true, asked: asked(cmd.UserID, cmd.Command, name, rest)}
	if err := inbox.Deliver(ctx, m, r); err != nil && ctx.Err() == nil && !errors.Is(err, chat.ErrBusy) {
		a.log.WarnContext(ctx, "slack: deliver command", "conversation", m.Conversation.String(), "err", err)
	}
}

// maxAsked bounds the question quoted above a slash command's answer.
const maxAsked = 300

// asked is what Docent posts before a slash command's public answer, so
// that the channel sees who asked what: "<@U1> asked: “…”" for
// `/docent ask …`, "<@U1> used /docent help" for the others. It pings the
// asker only; the question is escaped and cut to one line.
func asked(user, command, name, rest string) string {
	if command == "" {
		command = "/docent"
	}
	line := strings.Join(strings.Fields(rest), " ")
	if len(line) > maxAsked {
		cut := maxAsked
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		line = line[:cut] + "…"
	}
	if strings.EqualFold(name, "ask") && line != "" {
		return "<@" + user + "> asked: “" + escape(line) + "”"
	}
	return strings.TrimSpace("<@" + user + "> used " + escape(command+" "+strings.ToLower(name)+" "+line))
}

func (a *Adapter) handleReaction(ctx context.Context, inbox chat.Inbox, user, reaction, itemUser string, item slackevents.Item, added bool) {
	fi, ok := inbox.(chat.FeedbackInbox)
	if !ok || item.Type != "message" || item.Channel == "" || item.Timestamp == "" || user == "" || user == a.botID {
		return
	}
	v := chat.ReactionVote(reaction) // skin tones arrive as "+1::skin-tone-2"
	if v == chat.VoteNone {
		return
	}
	thread, mine := a.answers.Get(item.Channel + "/" + item.Timestamp)
	if !mine && itemUser != a.botID {
		return
	}
	if !added {
		v = chat.VoteNone
	}
	f := chat.Feedback{
		Conversation: chat.Conversation{Platform: Platform, Channel: item.Channel, Thread: thread},
		AnswerID:     item.Timestamp,
		Member:       chat.Member{ID: user},
		Vote:         v,
		Time:         time.Now(),
	}
	if err := fi.Feedback(ctx, f); err != nil && ctx.Err() == nil {
		a.log.WarnContext(ctx, "slack: deliver feedback", "answer", item.Timestamp, "err", err)
	}
}

// handleAction takes a click on an answer's feedback buttons as a vote, and
// a submitted reason form as the same vote with its reason.
func (a *Adapter) handleAction(ctx context.Context, inbox chat.Inbox, cb slack.InteractionCallback) {
	fi, ok := inbox.(chat.FeedbackInbox)
	if !ok || cb.User.ID == "" {
		return
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
	case slack.InteractionTypeViewSubmission:
		a.handleReason(ctx, fi, cb)
		return
	default:
		return
	}
	channel, ts := cb.Container.ChannelID, cb.Container.MessageTs
	if channel == "" {
		channel = cb.Channel.ID
	}
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	if channel == "" || ts == "" {
		return // a click on no answer of Docent's
	}
	thread, ok := a.answers.Get(channel + "/" + ts)
	if !ok {
		thread = cb.Message.ThreadTimestamp
	}
	for _, act := range cb.ActionCallback.BlockActions {
		var v chat.Vote
		switch act.ActionID {
		case actionVoteUp:
			v = chat.VoteUp
		case actionVoteDown:
			v = chat.VoteDown
			// First: the trigger ID expires 3 seconds after the click.
			a.askReason(ctx, cb.TriggerID, votedAnswer{Channel: channel, TS: ts, Thread: thread})
		default:
			continue
		}
		f := chat.Feedback{
			Conversation: chat.Conversation{Platform: Platform, Channel: channel, Thread: thread},
			AnswerID:     ts,
			Member:       chat.Member{ID: cb.User.ID, Name: cb.User.Name},
			Vote:         v,
			Time:         time.Now(),
		}
		if err := fi.Feedback(ctx, f); err != nil && ctx.Err() == nil {
			a.log.WarnContext(ctx, "slack: deliver feedback", "answer", ts, "err", err)
		}
	}
}

// The reason form, opened on a click on 👎.
const (
	reasonCallbackID = "docent_vote_reason"
	reasonBlockID    = "docent_reason"
	reasonActionID   = "reason"
	maxReason        = 2000
)

// votedAnswer is the answer a reason form is about, carried through Slack
// in the form's private_metadata.
type votedAnswer struct {
	Channel string `json:"c"`
	TS      string `json:"ts"`
	Thread  string `json:"t,omitempty"`
}

// askReason opens the form asking what was wrong with an answer. The vote
// is delivered whatever happens here: the reason is a bonus.
func (a *Adapter) askReason(ctx context.Context, triggerID string, ans votedAnswer) {
	if triggerID == "" {
		return
	}
	meta, err := json.Marshal(ans)
	if err != nil {
		return
	}
	input := slack.NewPlainTextInputBlockElement(
		slack.NewTextBlockObject(slack.PlainTextType, "Wrong, out of date, off topic…", false, false), reasonActionID)
	input.Multiline = true
	input.MaxLength = maxReason
	view := slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: reasonCallbackID,
		Title:      slack.NewTextBlockObject(slack.PlainTextType, "Feedback", false, false),
		Submit:     slack.NewTextBlockObject(slack.PlainTextType, "Send", false, false),
		Close:      slack.NewTextBlockObject(slack.PlainTextType, "Skip", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			// Slack shows an optional input's label as "What was wrong? (optional)".
			slack.NewInputBlock(reasonBlockID,
				slack.NewTextBlockObject(slack.PlainTextType, "What was wrong?", false, false), nil, input).WithOptional(true),
		}},
		PrivateMetadata: string(meta),
	}
	if _, err := a.api.OpenViewContext(ctx, triggerID, view); err != nil && ctx.Err() == nil {
		a.log.WarnContext(ctx, "slack: open the reason form (the vote counts without it)", "answer", ans.TS, "err", err)
	}
}

// handleReason delivers the reason a member gave for a 👎, as the same vote
// again with the reason.
func (a *Adapter) handleReason(ctx context.Context, fi chat.FeedbackInbox, cb slack.InteractionCallback) {
	if cb.View.CallbackID != reasonCallbackID {
		return
	}
	var ans votedAnswer
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &ans); err != nil || ans.Channel == "" || ans.TS == "" {
		a.log.WarnContext(ctx, "slack: a reason form without its answer", "metadata", cb.View.PrivateMetadata)
		return
	}
	var reason string
	if cb.View.State != nil {
		reason = strings.TrimSpace(cb.View.State.Values[reasonBlockID][reasonActionID].Value)
	}
	if reason == "" {
		return // the vote was delivered at the click
	}
	if len(reason) > maxReason {
		reason = strings.ToValidUTF8(reason[:maxReason], "")
	}
	f := chat.Feedback{
		Conversation: chat.Conversation{Platform: Platform, Channel: ans.Channel, Thread: ans.Thread},
		AnswerID:     ans.TS,
		Member:       chat.Member{ID: cb.User.ID, Name: cb.User.Name},
		Vote:         chat.VoteDown,
		Reason:       reason,
		Time:         time.Now(),
	}
	if err := fi.Feedback(ctx, f); err != nil && ctx.Err() == nil {
		a.log.WarnContext(ctx, "slack: deliver feedback reason", "answer", ans.TS, "err", err)
	}
}

// retry runs call again when Slack says to slow down, up to three times
// and never past ctx.
func (a *Adapter) retry(ctx context.Context, call func() error) error {
	for attempt := 0; ; attempt++ {
		err := call()
		rl, ok := errors.AsType[*slack.RateLimitedError](err)
		if !ok || attempt == 2 {
			return err
		}
		t := time.NewTimer(rl.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// unescape turns Slack's escaped text back into what the member typed.
func unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// tsTime reads a Slack timestamp ("1700000000.000100").
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 {
		return time.Now()
	}
	us, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(s, us*1000)
}
