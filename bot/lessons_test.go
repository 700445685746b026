package bot

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/lessons"
	"github.com/docent-bot/docent/chat"
)

// lessonID finds the "lesson #N" a teach reply names.
func lessonID(t *testing.T, reply string) uint64 {
	t.Helper()
	m := regexp.MustCompile(`lesson #(\d+)`).FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("no lesson ID in %q", reply)
	}
	id, _ := strconv.ParseUint(m[1], 10, 64)
	return id
}

// hasPattern says whether the bot's current intents give intent pattern.
func hasPattern(b *Bot, intent, pattern string) (intentExists, patternExists bool) {
	for _, in := range b.brain.Load().Intents() {
		if in.Name == intent {
			return true, slices.Contains(in.Patterns, pattern)
		}
	}
	return false, false
}

// An admin takes back lessons: a pattern, a pattern the files have too, and
// an intent with its patterns; the model is retrained each time, and the
// removal outlives a restart. Members cannot.
func TestUnteach(t *testing.T) {
	path := writeConfig(t, "")
	b := openBot(t, path)
	console := chat.Conversation{Platform: "console", Channel: "local"}
	ask := func(conv chat.Conversation, text string) chat.Answer {
		t.Helper()
		got := bottest.Ask(t, b.Inbox(), conv, alice, text)
		if len(got) != 1 {
			t.Fatalf("%q: %+v", text, got)
		}
		return got[0]
	}
	q := "how do I rotate the signing keys"
	intentLesson := lessonID(t, ask(console, "!teach new key_rotation Rotate them with `docent keys rotate`.").Text)
	patternLesson := lessonID(t, ask(console, "!teach key_rotation "+q).Text)
	yoLesson := lessonID(t, ask(console, "!teach greeting yo docent").Text)
	helloLesson := lessonID(t, ask(console, "!teach greeting hello").Text) // the intents file has it already
	if a := ask(console, q); a.Intent != "key_rotation" {
		t.Fatalf("after teaching: %+v", a)
	}
	list := ask(console, "!lessons").Text
	for _, want := range []string{
		"Lessons taught in chat (4), newest first:",
		"#" + strconv.FormatUint(yoLesson, 10) + " greeting: “yo docent” (alice, ",
		"#" + strconv.FormatUint(intentLesson, 10) + " key_rotation: new intent, answering “Rotate them with `docent keys rotate`.”",
		"`!unteach <id>` removes one.",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("!lessons lacks %q:\n%s", want, list)
		}
	}

	member := chat.Conversation{Platform: "discord", Channel: "c"}
	if a := ask(member, "!unteach "+strconv.FormatUint(yoLesson, 10)); !strings.Contains(a.Text, "`!unteach` is for the admins") {
		t.Errorf("a member's unteach: %q", a.Text)
	}
	if a := ask(member, "!lessons"); !strings.Contains(a.Text, "`!lessons` is for the admins") {
		t.Errorf("a member's lessons: %q", a.Text)
	}
	if _, has := hasPattern(b, "greeting", "yo docent"); !has {
		t.Fatal("a member's unteach removed the lesson")
	}

	for _, step := range []struct{ text, want string }{
		{"!unteach", "Usage: `!unteach <lesson-id>`"},
		{"!unteach seven", "Usage: `!unteach <lesson-id>`"},
		{"!unteach 3 4", "Usage: `!unteach <lesson-id>`"},
		{"!unteach 999", "There is no lesson #999; `!lessons` lists them."},
		{"!unteach #" + strconv.FormatUint(yoLesson, 10), "Removed lesson #" + strconv.FormatUint(yoLesson, 10) + `: "yo docent" is no longer a pattern of greeting (retrained on`},
		{"!unteach " + strconv.FormatUint(helloLesson, 10), `"hello" is no longer taught to greeting, but it stays one of its patterns: the intents files have it too`},
		{"!unteach " + strconv.FormatUint(intentLesson, 10), "Removed lesson #" + strconv.FormatUint(intentLesson, 10) +
			": the intent key_rotation created in chat and its taught pattern #" + strconv.FormatUint(patternLesson, 10) + " (retrained on 24 patterns"},
		{"!unteach " + strconv.FormatUint(patternLesson, 10), "There is no lesson #" + strconv.FormatUint(patternLesson, 10)},
		{"!lessons", "Nothing was taught in chat yet"},
	} {
		if a := ask(console, step.text); !strings.Contains(a.Text, step.want) {
			t.Errorf("%s: %q, want %q", step.text, a.Text, step.want)
		}
	}
	check := func(when string) {
		t.Helper()
		if _, has := hasPattern(b, "greeting", "yo docent"); has {
			t.Errorf("%s: greeting still has the removed pattern", when)
		}
		if _, has := hasPattern(b, "greeting", "hello"); !has {
			t.Errorf("%s: greeting lost the pattern its file has", when)
		}
		if exists, _ := hasPattern(b, "key_rotation", q); exists {
			t.Errorf("%s: the removed intent is still in use", when)
		}
		if a := ask(console, q); a.Intent == "key_rotation" {
			t.Errorf("%s: answered by the removed intent: %+v", when, a)
		}
	}
	check("after unteaching")
	closeBot(t, b)
	b = openBot(t, path)
	defer closeBot(t, b)
	check("after a restart")
	if taught, err := lessons.Read(context.Background(), b.store); err != nil || len(taught) != 0 {
		t.Errorf("lessons after unteaching them all: %+v, %v", taught, err)
	}
}
