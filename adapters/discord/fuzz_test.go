package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/docent-bot/docent/adapters/discord/discordtest"
	"github.com/docent-bot/docent/chat"
)

// fuzzEvents are the gateway dispatches FuzzDiscordEvents feeds; its first
// argument picks one (modulo their number).
var fuzzEvents = []string{"MESSAGE_CREATE", "INTERACTION_CREATE", "MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE"}

// IDs the fuzzed adapter knows: Docent's own answer (for votes), a thread
// it answers in (for follow-ups), a help channel and a denied one.
const (
	fuzzAnswer  = "900001"
	fuzzThread  = "500"
	fuzzHelp    = "300"
	fuzzDenied  = "400"
	fuzzChannel = "200"
)

// FuzzDiscordEvents feeds arbitrary bytes as the d payload of a gateway
// dispatch and runs it as discordgo would (decode, state, handler): no
// panic, no hang, and whatever is delivered is a message or vote Docent
// can use.
func FuzzDiscordEvents(f *testing.F) {
	f.Fuzz(func(t *testing.T, event uint8, d []byte) {
		name := fuzzEvents[int(event)%len(fuzzEvents)]
		in := runEvent(t, name, d)
		for _, m := range in.msgs {
			if err := checkMessage(m, len(d)); err != nil {
				t.Fatalf("%s %q delivered %+v: %v", name, d, m, err)
			}
		}
		for _, fb := range in.votes {
			if err := checkFeedback(fb); err != nil {
				t.Fatalf("%s %q delivered the vote %+v: %v", name, d, fb, err)
			}
		}
	})
}

// fuzzInbox records what the adapter delivers and finishes each message
// at once, as the bot does once it has answered.
type fuzzInbox struct {
	mu    sync.Mutex // guards msgs and votes
	msgs  []chat.Message
	votes []chat.Feedback
}

func (in *fuzzInbox) Deliver(_ context.Context, m chat.Message, r chat.Responder) error {
	in.mu.Lock()
	in.msgs = append(in.msgs, m)
	in.mu.Unlock()
	if f, ok := r.(chat.Finisher); ok {
		f.Finish()
	}
	return nil
}

func (in *fuzzInbox) Feedback(_ context.Context, f chat.Feedback) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.votes = append(in.votes, f)
	return nil
}

// okDiscord answers every REST call at once as if it worked, without a
// network: a fuzz run makes hundreds of thousands of them.
type okDiscord struct{}

func (okDiscord) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(strings.NewReader(`{"id":"900100","channel_id":"` + fuzzChannel + `"}`)),
		Request: r,
	}, nil
}

// runEvent handles one gateway dispatch with a fresh adapter, as Run's
// session would, and returns what was delivered. It fails the test when
// the event or what it started is not done within 5 s. A panic in a
// goroutine the adapter started (a slash command's) ends the test binary,
// as it would end Docent; go test reports the input all the same.
func runEvent(t *testing.T, name string, d []byte) *fuzzInbox {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Enabled, cfg.Token, cfg.MessageContent = true, "tok", true
	cfg.HelpChannels, cfg.DenyChannels = []string{fuzzHelp}, []string{fuzzDenied}
	a, err := New(cfg, Options{HTTPClient: &http.Client{Transport: okDiscord{}}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.session(0)
	if err != nil {
		t.Fatal(err)
	}
	a.own.Put(fuzzAnswer, fuzzChannel)
	a.threads.Put(fuzzThread, fuzzChannel)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	in := &fuzzInbox{}
	a.mu.Lock()
	a.s, a.ctx, a.inbox, a.self, a.queue = s, ctx, in, discordtest.BotID, newIntake()
	a.mu.Unlock()

	done := make(chan string, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Sprintf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		dispatch(a, s, name, d)
		a.queue.Close()
		a.queue.Run(ctx) // delivers what the event queued
		a.wg.Wait()      // slash commands and typing indicators
		done <- ""
	}()
	select {
	case p := <-done:
		if p != "" {
			t.Fatalf("%s %q: %s", name, d, p)
		}
	case <-ctx.Done():
		t.Fatalf("%s %q: not handled within 5s", name, d)
	}
	return in
}

// dispatch does with a dispatch what discordgo's Session.onEvent does:
// decode d into the event's struct, keeping whatever decoded when decoding
// fails half way, update the state, then call the handler Run registers.
func dispatch(a *Adapter, s *discordgo.Session, name string, d []byte) {
	var ev any
	switch name {
	case "MESSAGE_CREATE":
		ev = &discordgo.MessageCreate{}
	case "INTERACTION_CREATE":
		ev = &discordgo.InteractionCreate{}
	case "MESSAGE_REACTION_ADD":
		ev = &discordgo.MessageReactionAdd{}
	case "MESSAGE_REACTION_REMOVE":
		ev = &discordgo.MessageReactionRemove{}
	default:
		panic("dispatch: no handler for " + name)
	}
	json.Unmarshal(d, ev) // an error is logged by discordgo, and the event handled anyway
	s.State.OnInterface(s, ev)
	switch ev := ev.(type) {
	case *discordgo.MessageCreate:
		a.messageCreate(s, ev)
	case *discordgo.InteractionCreate:
		a.interactionCreate(s, ev)
	case *discordgo.MessageReactionAdd:
		a.reactionAdd(s, ev)
	case *discordgo.MessageReactionRemove:
		a.reactionRemove(s, ev)
	}
}

// checkMessage reports what makes m unusable by the bot: a field that is
// not UTF-8, no channel to answer in, no author, no text, or text out of
// proportion to the payload of n bytes it came from (decoding turns a bad
// byte into the 3 bytes of U+FFFD; a command adds its name).
func checkMessage(m chat.Message, n int) error {
	if err := validUTF8(append([]string{m.ID, m.Conversation.Platform, m.Conversation.Channel, m.Conversation.Thread,
		m.Space, m.Author.ID, m.Author.Name, m.Text}, m.Roles...)...); err != nil {
		return err
	}
	switch {
	case m.Conversation.Platform != Platform:
		return fmt.Errorf("platform %q", m.Conversation.Platform)
	case m.Conversation.Channel == "":
		return fmt.Errorf("no channel")
	case m.Author.ID == "":
		return fmt.Errorf("no author")
	case strings.TrimSpace(m.Text) == "":
		return fmt.Errorf("no text")
	case len(m.Text) > 3*n+len("!help"):
		return fmt.Errorf("%d bytes of text from %d bytes of payload", len(m.Text), n)
	case m.Time.IsZero():
		return fmt.Errorf("no time")
	}
	return nil
}

// checkFeedback reports what makes a vote unusable: a field that is not
// UTF-8, no answer, channel or member, or an unknown vote.
func checkFeedback(f chat.Feedback) error {
	if err := validUTF8(f.AnswerID, f.Conversation.Platform, f.Conversation.Channel, f.Conversation.Thread,
		f.Member.ID, f.Member.Name, f.Reason); err != nil {
		return err
	}
	switch {
	case f.Conversation.Platform != Platform:
		return fmt.Errorf("platform %q", f.Conversation.Platform)
	case f.Conversation.Channel == "":
		return fmt.Errorf("no channel")
	case f.AnswerID == "":
		return fmt.Errorf("no answer")
	case f.Member.ID == "":
		return fmt.Errorf("no member")
	case f.Vote != chat.VoteUp && f.Vote != chat.VoteDown && f.Vote != chat.VoteNone:
		return fmt.Errorf("vote %d", f.Vote)
	}
	return nil
}

func validUTF8(fields ...string) error {
	for _, s := range fields {
		if !utf8.ValidString(s) {
			return fmt.Errorf("%q is not UTF-8", s)
		}
	}
	return nil
}

// Payloads the fuzzer found, and ones too big for its corpus.

// An application command whose data did not decode reached
// Interaction.ApplicationCommandData, which panics on it, and a "text"
// option that is null or not a string reached StringValue, which panics
// too: either killed the process from the slash command's goroutine.
func TestSlashCommandWithBadDataIsSafe(t *testing.T) {
	user := `"channel_id":"800","user":{"id":"7","username":"alice"}`
	for _, tc := range []struct {
		name, d, want string // want "" is nothing delivered
	}{
		{"no data", `{"id":"1","type":2,"token":"t",` + user + `}`, ""},
		{"data not an object", `{"id":"1","type":2,"token":"t",` + user + `,"data":"ask"}`, ""},
		{"null option", `{"id":"1","type":2,"token":"t",` + user + `,"data":{"name":"ask","options":[null]}}`, "!help"},
		{"number", `{"id":"1","type":2,"token":"t",` + user + `,"data":{"name":"ask","options":[{"name":"text","type":3,"value":42}]}}`, "!help"},
		{"null value", `{"id":"1","type":2,"token":"t",` + user + `,"data":{"name":"why","options":[{"name":"text","type":3,"value":null}]}}`, "!why"},
		{"text", `{"id":"1","type":2,"token":"t",` + user + `,"data":{"name":"why","options":[{"name":"text","type":3,"value":" that "}]}}`, "!why that"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := runEvent(t, "INTERACTION_CREATE", []byte(tc.d))
			var got []string
			for _, m := range in.msgs {
				got = append(got, m.Text)
			}
			if want := []string{tc.want}; (tc.want == "" && len(got) != 0) || (tc.want != "" && !slices.Equal(got, want)) {
				t.Errorf("delivered %q, want %q", got, tc.want)
			}
		})
	}
}

// An event without an author or a channel names no one to answer, or no
// place to answer in: it was delivered all the same.
func TestEventsWithoutAuthorOrChannelAreIgnored(t *testing.T) {
	for _, tc := range []struct{ event, d string }{
		{"MESSAGE_CREATE", `{"id":"1","channel_id":"800","content":"hi","author":{}}`},
		{"MESSAGE_CREATE", `{"id":"1","content":"hi","author":{"id":"7"}}`},
		{"INTERACTION_CREATE", `{"id":"1","type":2,"token":"t","user":{"id":"7"},"data":{"name":"ping"}}`},
		{"INTERACTION_CREATE", `{"id":"1","type":2,"token":"t","channel_id":"800","user":{"username":"alice"},"data":{"name":"ping"}}`},
		{"MESSAGE_REACTION_ADD", `{"user_id":"7","message_id":"` + fuzzAnswer + `","emoji":{"name":"👍"}}`},
		{"MESSAGE_REACTION_REMOVE", `{"user_id":"7","message_id":"` + fuzzAnswer + `","emoji":{"name":"👍"}}`},
	} {
		if in := runEvent(t, tc.event, []byte(tc.d)); len(in.msgs) > 0 || len(in.votes) > 0 {
			t.Errorf("%s %s delivered %+v %+v", tc.event, tc.d, in.msgs, in.votes)
		}
	}
	// The same with the author and the channel are delivered.
	if in := runEvent(t, "MESSAGE_CREATE", []byte(`{"id":"1","channel_id":"800","content":"hi","author":{"id":"7"}}`)); len(in.msgs) != 1 {
		t.Errorf("a DM was not delivered")
	}
	if in := runEvent(t, "MESSAGE_REACTION_ADD", []byte(`{"user_id":"7","channel_id":"200","message_id":"`+fuzzAnswer+`","emoji":{"name":"👍"}}`)); len(in.votes) != 1 {
		t.Errorf("a vote was not delivered")
	}
}

// Payloads far beyond what Discord sends: a megabyte of text is delivered
// as it is, no more; nesting past encoding/json's depth limit decodes to
// nothing and is dropped.
func TestHugeAndDeepPayloads(t *testing.T) {
	text := strings.Repeat("how ", 1<<18) // 1 MiB
	in := runEvent(t, "MESSAGE_CREATE", []byte(`{"id":"1","channel_id":"800","author":{"id":"7"},"content":"`+text+`"}`))
	if len(in.msgs) != 1 || in.msgs[0].Text != strings.TrimSpace(text) {
		t.Errorf("1 MiB message: %d delivered", len(in.msgs))
	}
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	for _, event := range fuzzEvents {
		d := `{"id":"1","type":2,"channel_id":"800","author":{"id":"7"},"user":{"id":"7"},"content":"hi","user_id":"7",` +
			`"message_id":"` + fuzzAnswer + `","emoji":{"name":"👍"},"data":{"name":"ping"},"embeds":` + deep + `}`
		if in := runEvent(t, event, []byte(d)); len(in.msgs) > 0 || len(in.votes) > 0 {
			t.Errorf("%s nested 100,000 deep delivered %+v %+v", event, in.msgs, in.votes)
		}
	}
}
