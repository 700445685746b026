package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/adapters/discord/discordtest"
	"github.com/docent-bot/docent/adapters/web"
	"github.com/docent-bot/docent/store"
)

// What one member said never shows up in another's conversation (issue
// 14): these tests ask the same kind of question from two places, with an
// LLM that answers, and look for the first member's words, and the
// reference to their conversation, in all that the second one is shown and
// in all that the LLM is sent for them.

// backupDoc gives the search something to find for questions about
// backups, so that the LLM is asked and past threads could join the
// passages.
const backupDoc = "# Backups\n\n## Fixing a failed backup\n\nA backup fails when the disk is full or the database is locked. Run `docent backup FILE` again once it has room.\n"

// firstSecret is in the first member's question only: a word nobody else
// says, and nothing redact takes for a secret.
const firstSecret = "quokkaserver"

func leakLLM() *fakeLLM {
	return &fakeLLM{reply: "Free some disk space and run the backup again [1]."}
}

// webVisitor is one browser of the web chat: its own cookies, and the
// answers its page was shown.
type webVisitor struct {
	t       *testing.T
	base    string
	client  *http.Client
	answers chan map[string]any
}

func newWebVisitor(t *testing.T, base string) *webVisitor {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	v := &webVisitor{t: t, base: base, client: &http.Client{Jar: jar}, answers: make(chan map[string]any, 16)}
	page, err := v.client.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/chat/events", nil)
	events, err := v.client.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); events.Body.Close(); <-done })
	go func() {
		defer close(done)
		sc := bufio.NewScanner(events.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev map[string]any
			if json.Unmarshal([]byte(data), &ev) == nil {
				v.answers <- ev
			}
		}
	}()
	return v
}

// ask sends text and returns the final answer's HTML.
func (v *webVisitor) ask(text string) string {
	v.t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text})
	res, err := v.client.Post(v.base+"/chat/send", "application/json", strings.NewReader(string(body)))
	if err != nil {
		v.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		v.t.Fatalf("send %q: %s", text, res.Status)
	}
	for {
		select {
		case ev := <-v.answers:
			if draft, _ := ev["draft"].(bool); draft {
				continue
			}
			html, _ := ev["html"].(string)
			return html
		case <-time.After(15 * time.Second):
			v.t.Fatalf("no answer to %q", text)
		}
	}
}

// requestsSince is what the LLM was sent from the n-th request on.
func (f *fakeLLM) requestsSince(n int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.requests[n:], "\n")
}

func (f *fakeLLM) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// Two web visitors ask about failing backups. The second one's answer, its
// sources, its !related list and the LLM's request for it hold nothing of
// the first one's question or of the first one's conversation.
func TestWebVisitorsSeeNothingOfEachOther(t *testing.T) {
	fake := leakLLM()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	b := openBot(t, llmConfig(t, srv.URL, "  model: test-model\n  timeout: 3s\n  max_retries: 0\n", "backups.md", backupDoc))
	addr := make(chan net.Addr, 1)
	wa := web.New(web.Config{Enabled: true, Listen: "127.0.0.1:0"}, web.Options{OnListen: func(a net.Addr) { addr <- a }})
	runBot(t, b, wa)
	var base string
	select {
	case a := <-addr:
		base = "http://" + a.String()
	case <-time.After(10 * time.Second):
		t.Fatal("the web chat is not listening")
	}

	first := newWebVisitor(t, base)
	if html := first.ask("my database backup on " + firstSecret + " fails every night, how do I fix the backups?"); !strings.Contains(html, "Free some disk space") {
		t.Fatalf("the first visitor's answer is not the LLM's: %q", html)
	}
	// Where the first visitor's conversation is kept: its channel is what
	// a link to it would show.
	convs, err := b.store.Conversations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 1 {
		t.Fatalf("conversations after the first visitor: %+v", convs)
	}
	firstChannel := convs[0].Conversation.Channel

	second := newWebVisitor(t, base)
	sent := fake.count()
	shown := []string{
		second.ask("my database backup fails, how do I fix the backups?"),
		second.ask("!related database backup fails fix the backups"),
	}
	if fake.count() == sent {
		t.Fatal("the LLM was not asked for the second visitor: the test shows nothing")
	}
	llmSaw := fake.requestsSince(sent)
	for what, text := range map[string]string{"the answer": shown[0], "!related": shown[1], "the LLM request": llmSaw} {
		for _, leak := range []string{firstSecret, firstChannel} {
			if strings.Contains(text, leak) {
				t.Errorf("%s for the second visitor holds %q of the first one's conversation:\n%s", what, leak, text)
			}
		}
	}

	// The first visitor, asking again, is pointed to its own thread.
	if html := first.ask("my database backup on " + firstSecret + " fails every night, how do I fix the backups?"); !strings.Contains(html, "Free some disk space") {
		t.Errorf("the first visitor's second answer: %q", html)
	}
}

// On Discord, a question answered in a DM is never shown in a guild's
// channel, nor a channel's thread in another guild or in another channel
// of the same guild: neither in the answer and its sources nor in what
// the LLM is sent. In the channel where it was asked, the earlier thread
// is found. (TestThreadsOnlyWhereVisible in brain/knowledge has the cases
// Discord's unique channel IDs cannot make: the same channel ID in two
// spaces.)
func TestDiscordDMStaysInTheDM(t *testing.T) {
	fake := leakLLM()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	f := discordtest.New(t)
	t.Setenv("DOCENT_TEST_DISCORD_TOKEN", "tok")
	path := llmConfig(t, srv.URL, fmt.Sprintf(`  model: test-model
  timeout: 3s
  max_retries: 0
adapters:
  discord:
    enabled: true
    token: ${DOCENT_TEST_DISCORD_TOKEN}
    api_base: %s
`, f.URL), "backups.md", backupDoc)
	b := openBot(t, path)
	runBot(t, b, platformAdapter(t, b, "discord"))
	select {
	case <-f.Identify:
	case <-time.After(5 * time.Second):
		t.Fatal("no IDENTIFY")
	}
	f.Next(t, "PUT /api/v9/applications/42/commands")

	alice := map[string]any{"id": "7", "username": "alice"}
	bob := map[string]any{"id": "8", "username": "bob"}
	bot := []any{map[string]any{"id": "42", "username": "docent", "bot": true}}
	msgID := 5000
	send := func(guild, channel string, author map[string]any, text string) {
		msgID++
		ev := map[string]any{"id": fmt.Sprint(msgID), "channel_id": channel, "author": author,
			"content": text, "timestamp": time.Now().Format(time.RFC3339)}
		if guild != "" {
			ev["guild_id"] = guild
			ev["content"] = "<@42> " + text
			ev["mentions"] = bot
		}
		f.Send("MESSAGE_CREATE", ev)
	}
	// answer waits for Docent's stored answer to the last message, and
	// returns it with all it posted on Discord meanwhile.
	last := uint64(0)
	answer := func() (string, string) {
		t.Helper()
		var text string
		waitFor(t, "Docent's answer stored", func() bool {
			for id := last + 1; id < last+20; id++ {
				rec, err := b.store.Record(context.Background(), id)
				if err == nil && rec.Kind == store.KindAnswer {
					last, text = id, rec.Text
					return true
				}
			}
			return false
		})
		// The answer is stored before it is posted: wait for its post, so
		// that it is not taken for the next question's.
		var posted []string
		tail := []rune(strings.TrimSpace(text))
		tail = tail[max(len(tail)-20, 0):]
		waitFor(t, "Docent's answer posted", func() bool {
			for _, r := range f.Drain() {
				posted = append(posted, fmt.Sprint(r.Body))
			}
			return strings.Contains(strings.Join(posted, "\n"), string(tail))
		})
		return text, strings.Join(posted, "\n")
	}

	question := "my database backup on " + firstSecret + " fails every night, how do I fix the backups?"
	send("", "900", alice, question) // a DM
	if got, _ := answer(); !strings.Contains(got, "Free some disk space") {
		t.Fatalf("the DM's answer is not the LLM's: %q", got)
	}
	send("100", "200", alice, "our database backup on "+firstSecret+" fails too, how do I fix the backups?") // guild 100, #200
	if got, _ := answer(); !strings.Contains(got, "Free some disk space") {
		t.Fatalf("the channel's answer is not the LLM's: %q", got)
	}

	for _, tc := range []struct {
		name           string
		guild, channel string
	}{
		{"another guild's channel", "101", "300"},
		{"another channel of the same guild", "100", "201"},
		{"another member's DM", "", "901"},
	} {
		sent := fake.count()
		send(tc.guild, tc.channel, bob, "my database backup fails, how do I fix the backups?")
		got, posted := answer()
		llmSaw := fake.requestsSince(sent)
		if llmSaw == "" {
			t.Fatalf("%s: the LLM was not asked", tc.name)
		}
		for what, text := range map[string]string{"the answer": got, "what was posted": posted, "the LLM request": llmSaw} {
			for _, leak := range []string{firstSecret, "discord/900", "discord/200"} {
				if strings.Contains(text, leak) {
					t.Errorf("%s: %s holds %q:\n%s", tc.name, what, leak, text)
				}
			}
		}
	}

	// Where it was asked, the earlier thread is found (the LLM is given it
	// as a passage): the rule hides, it does not lose.
	sent := fake.count()
	send("100", "200", bob, "my database backup fails, how do I fix the backups?")
	answer()
	if saw := fake.requestsSince(sent); !strings.Contains(saw, "Link: discord/200") {
		t.Errorf("in the channel it was asked in, the earlier thread is not among the passages:\n%s", saw)
	}
}
