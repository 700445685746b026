package chattest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/docent-bot/docent/chat"
)

// hostile tries every platform's way of notifying many people, and
// another member ("8" on Discord, "U0OTHER8" on Slack), as an LLM or a
// member quoted in an answer could.
const hostile = "Heads up @everyone and @here, ＠everyone: <!channel> <!here> <!everyone> " +
	"<!subteam^S0DEVS|@devs> <@&555> <@8> <@!8> <@U0OTHER8> @channel — see the docs."

// mentionsOf writes a mention of member in every platform's syntax.
func mentionsOf(member string) string {
	return "<@" + member + "> <@!" + member + "> @" + member
}

// pingsOnlyTheAsker: a reply notifies the member who asked and nobody
// else, whatever its text says.
func (s *suite) pingsOnlyTheAsker(t *testing.T) {
	s.h.Received(t)
	d, _ := s.ask(t, "how do I deploy? (pings)")
	s.reply(t, d, answer(hostile))
	posts := sent(s.h.Received(t))
	if len(posts) == 0 {
		t.Fatalf("%s sent nothing for a reply", s.name)
	}
	for _, p := range posts {
		for _, m := range p.Pings {
			if !chat.MayPing(d.m.Author.ID, m) {
				t.Errorf("%s's reply to %s pings %v; text %q", s.name, d.m.Author.ID, m, p.Text)
			}
		}
	}
}

// announcementPingsNobody: an announcement notifies nobody, whatever its
// text says.
func (s *suite) announcementPingsNobody(t *testing.T) {
	an, ok := s.a.(chat.Announcer)
	if !ok {
		t.Skipf("adapter %s has no Announcer", s.name)
	}
	ah, ok := s.h.(Announcing)
	if !ok {
		t.Fatalf("adapter %s is a chat.Announcer but its harness has no AnnounceChannel", s.name)
	}
	// A member the platform knows, to mention by ID.
	s.h.Received(t)
	d, _ := s.ask(t, "who is there? (announcement)")
	finish(d)
	s.h.Received(t)
	text := "A new challenge is open! " + hostile + " Congratulations " + mentionsOf(d.m.Author.ID)
	if err := an.Announce(context.Background(), ah.AnnounceChannel(), text); err != nil {
		t.Fatalf("%s: Announce: %v", s.name, err)
	}
	posts := sent(s.h.Received(t))
	if len(posts) == 0 {
		t.Fatalf("%s sent nothing for an announcement", s.name)
	}
	for _, p := range posts {
		if len(p.Pings) > 0 {
			t.Errorf("%s's announcement pings %v; text %q", s.name, p.Pings, p.Text)
		}
		if !strings.Contains(p.Text, "challenge is open") {
			t.Errorf("%s's announcement lost its text: %q", s.name, p.Text)
		}
	}
}

// limit returns the platform's limit on one message, skipping the test
// where there is none.
func (s *suite) limit(t *testing.T) int {
	l, ok := s.h.(Limited)
	if !ok || l.MaxText() <= 0 {
		t.Skipf("adapter %s has no limit on a message's length", s.name)
	}
	return l.MaxText()
}

// longAnswerSplit: an answer longer than a message is sent in parts, each
// within the limit, with nothing lost.
func (s *suite) longAnswerSplit(t *testing.T) {
	max := s.limit(t)
	var b strings.Builder
	for i := 1; utf8.RuneCountInString(b.String()) < max*5/2; i++ {
		fmt.Fprintf(&b, "Step %d: run the deploy script and check the logs of the service.\n", i)
		if i%7 == 0 {
			b.WriteString("\n")
		}
	}
	text := strings.TrimSpace(b.String())
	s.h.Received(t)
	d, in := s.ask(t, "how do I deploy, in detail? (long)")
	s.reply(t, d, answer(text))
	posts := sent(s.h.Received(t))
	if len(posts) < 3 {
		t.Fatalf("%s sent %d messages for an answer of %d characters (limit %d), want at least 3",
			s.name, len(posts), utf8.RuneCountInString(text), max)
	}
	var words []string
	for i, p := range posts {
		if n := utf8.RuneCountInString(p.Text); n > max {
			t.Errorf("%s: part %d has %d characters, over the limit of %d", s.name, i+1, n, max)
		}
		if p.In != in {
			t.Errorf("%s: part %d went to %q, want %q", s.name, i+1, p.In, in)
		}
		words = append(words, strings.Fields(p.Text)...)
	}
	if got, want := strings.Join(words, " "), strings.Join(strings.Fields(text), " "); got != want {
		t.Errorf("%s: the parts do not make up the answer:\n got %.300q…\nwant %.300q…", s.name, got, want)
	}
}

// codeBlockSplit: a code block longer than a message is cut so that every
// part renders on its own, its code lines still code and in order.
func (s *suite) codeBlockSplit(t *testing.T, fence string) {
	max := s.limit(t)
	var code []string
	for i, n := 1, 0; n < max*5/2; i++ {
		l := fmt.Sprintf("    result%d = compute(%d) + offset // line %d of the example", i, i, i)
		code = append(code, l)
		n += utf8.RuneCountInString(l) + 1
	}
	text := "Here is the code:\n\n" + fence + "go\n" + strings.Join(code, "\n") + "\n" + fence + "\n\nThat is all."
	s.h.Received(t)
	d, _ := s.ask(t, "show me the code "+fence+" (code)")
	s.reply(t, d, answer(text))
	posts := sent(s.h.Received(t))
	if len(posts) < 3 {
		t.Fatalf("%s sent %d messages for an answer of %d characters (limit %d), want at least 3",
			s.name, len(posts), utf8.RuneCountInString(text), max)
	}
	var got []string
	for i, p := range posts {
		if n := utf8.RuneCountInString(p.Text); n > max {
			t.Errorf("%s: part %d has %d characters, over the limit of %d", s.name, i+1, n, max)
		}
		lines, err := codeLines(p.Text)
		if err != nil {
			t.Errorf("%s: part %d: %v:\n%.400s", s.name, i+1, err, p.Text)
		}
		got = append(got, lines...)
	}
	if strings.Join(got, "\n") != strings.Join(code, "\n") {
		t.Errorf("%s: the code lines across the parts are not the code block's: got %d lines, want %d\n got %.400q\nwant %.400q",
			s.name, len(got), len(code), strings.Join(got, "\n"), strings.Join(code, "\n"))
	}
}

// codeLines returns the lines inside fenced code blocks of one message,
// and an error when a block is left open (its part would render the rest
// of the message, and the next part's code, as prose).
func codeLines(text string) ([]string, error) {
	var (
		out  []string
		open string // the fence that opened the block we are in
	)
	for _, l := range strings.Split(text, "\n") {
		tl := strings.TrimSpace(l)
		switch {
		case open == "" && (strings.HasPrefix(tl, "```") || strings.HasPrefix(tl, "~~~")):
			open = fenceOf(tl)
		case open != "" && fenceOf(tl) != "" && strings.Trim(tl, open[:1]) == "" && len(tl) >= len(open):
			open = ""
		case open != "":
			out = append(out, l)
		}
	}
	if open != "" {
		return out, fmt.Errorf("a code block opened with %s is left open", open)
	}
	return out, nil
}

// fenceOf returns the fence a line starts with (``` or ~~~, any longer
// run of the same character), or "".
func fenceOf(l string) string {
	if len(l) < 3 || (l[0] != '`' && l[0] != '~') {
		return ""
	}
	n := 0
	for n < len(l) && l[n] == l[0] {
		n++
	}
	if n < 3 {
		return ""
	}
	return l[:n]
}

// streamedAnswerEdits: an answer shown while it is written starts one
// message and edits it into the final answer; nothing else is sent.
func (s *suite) streamedAnswerEdits(t *testing.T) {
	s.h.Received(t)
	d, _ := s.ask(t, "explain the build (stream)")
	ed, ok := chat.EditorOf(d.r)
	if !ok {
		finish(d)
		t.Skipf("adapter %s has no Editor", s.name)
	}
	ctx := context.Background()
	draft := answer("The build runs")
	draft.Source, draft.Draft = chat.SourceLLM, true
	first, err := d.r.Reply(ctx, draft)
	if err != nil {
		t.Fatalf("%s: Reply with a draft: %v", s.name, err)
	}
	draft.Text = "The build runs in three steps:"
	if err := ed.Edit(ctx, first, draft); err != nil {
		t.Fatalf("%s: Edit a draft: %v", s.name, err)
	}
	final := answer("The build runs in three steps: fetch, compile, test. Done streaming.")
	final.Source = chat.SourceLLM
	if err := ed.Edit(ctx, first, final); err != nil {
		t.Fatalf("%s: Edit into the final answer: %v", s.name, err)
	}
	finish(d)
	posts := s.h.Received(t)
	var sends, edits int
	var last Post
	for _, p := range posts {
		switch p.Op {
		case Sent:
			sends++
			if p.ID != first.ID {
				t.Errorf("%s sent another message %q (%q) while streaming into %q", s.name, p.ID, p.Text, first.ID)
			}
		case Edited:
			edits++
			if p.ID != first.ID {
				t.Errorf("%s edited message %q, want %q", s.name, p.ID, first.ID)
			}
			last = p
		case Deleted:
			t.Errorf("%s deleted message %q while streaming", s.name, p.ID)
		}
	}
	if sends != 1 || edits == 0 {
		t.Fatalf("%s sent %d messages and made %d edits, want 1 message edited: %+v", s.name, sends, edits, posts)
	}
	if !strings.Contains(last.Text, "Done streaming.") {
		t.Errorf("%s's last edit shows %q, want the final answer", s.name, last.Text)
	}
}

// privateAnswer: an answer meant for the member alone reaches them and
// nobody else sees any of it.
func (s *suite) privateAnswer(t *testing.T) {
	const secret = "export-7c1f9"
	s.h.Received(t)
	d, _ := s.ask(t, "!forget export (private)")
	ans := chat.Answer{Text: "Here is everything Docent stores about you: " + secret, Source: chat.SourceCommand, Private: true}
	s.reply(t, d, ans)
	var reached bool
	for _, p := range s.h.Received(t) {
		if !strings.Contains(p.Text, secret) {
			continue
		}
		if p.Only != d.m.Author.ID {
			t.Errorf("%s showed the private answer in %q to %q, want only %q: %q", s.name, p.In, p.Only, d.m.Author.ID, p.Text)
		}
		reached = reached || p.Op == Sent || p.Op == Edited
	}
	if !reached {
		t.Errorf("%s did not send the private answer to %s", s.name, d.m.Author.ID)
	}
}

// vote: a member's 👍 or 👎 on an answer comes back as chat.Feedback for
// that answer, by that member.
func (s *suite) vote(t *testing.T) {
	v, ok := s.h.(Voter)
	if !ok {
		t.Skipf("adapter %s has no votes", s.name)
	}
	s.h.Received(t)
	d, _ := s.ask(t, "where are the logs? (vote)")
	first := s.reply(t, d, answer("The logs are in /var/log/docent."))
	var p Post
	for _, q := range sent(s.h.Received(t)) {
		if q.ID == first.ID {
			p = q
		}
	}
	if p.ID == "" {
		t.Fatalf("%s did not send answer %q", s.name, first.ID)
	}
	for _, want := range []chat.Vote{chat.VoteUp, chat.VoteDown} {
		v.Vote(t, p, want)
		select {
		case f := <-s.in.votes:
			if f.AnswerID != first.ID || f.Vote != want || f.Member.ID != d.m.Author.ID {
				t.Errorf("%s delivered feedback %+v, want vote %d on %q by %q", s.name, f, want, first.ID, d.m.Author.ID)
			}
			if f.Conversation.Platform == "" || f.Conversation.Channel == "" {
				t.Errorf("%s delivered feedback without its conversation: %+v", s.name, f)
			}
		case <-time.After(wait):
			t.Fatalf("%s delivered no feedback within %s of a vote %d", s.name, wait, want)
		}
	}
}

// replyInConversation: every part of a reply goes where the member asked:
// the question's thread, the conversation.
func (s *suite) replyInConversation(t *testing.T) {
	s.h.Received(t)
	d, in := s.ask(t, "does the cache survive a restart? (thread)")
	s.reply(t, d, answer("Yes: the cache is on disk."))
	posts := sent(s.h.Received(t))
	if len(posts) == 0 {
		t.Fatalf("%s sent nothing for a reply", s.name)
	}
	for _, p := range posts {
		if p.In != in {
			t.Errorf("%s replied in %q, want the asker's conversation %q", s.name, p.In, in)
		}
	}
}
