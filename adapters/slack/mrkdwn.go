package slack

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/chat/markdown"
)

// maxPart bounds one message's text in bytes. Slack truncates text over
// 40,000 characters and advises staying under 4,000; bytes are never fewer
// than characters, so this keeps every part comfortably inside.
const maxPart = 3500

var (
	headingRe = regexp.MustCompile(`^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	bulletRe  = regexp.MustCompile(`^(\s*)[-*+]\s+`)
	// Kept as written (after checking): Markdown links and images to
	// http(s) URLs, autolinks, and mentions of one member or one channel.
	// Everything else that looks like Slack markup is escaped.
	keepRe = regexp.MustCompile(`!?\[([^\]]*)\]\((https?://[^)\s<>|]+)\)` +
		`|<(https?://[^>\s<|]+)>` +
		`|<([@#][UWC][A-Z0-9]{2,})>`)
	boldRe   = regexp.MustCompile(`\*\*([^*\n]+?)\*\*|__([^_\n]+?)__`)
	italicRe = regexp.MustCompile(`(^|[^\w*])\*([^\s*](?:[^*\n]*?[^\s*])?)\*`)
	strikeRe = regexp.MustCompile(`~~([^~\n]+?)~~`)
	// Plain-text mass mentions: Slack turns them into notifications when a
	// message is sent with link_names, so a zero-width space breaks them.
	massRe = regexp.MustCompile(`(?i)([@＠])(channel|here|everyone)\b`)
	// A member's mention as keepRe keeps it.
	memberRe = regexp.MustCompile(`<@([UW][A-Z0-9]{2,})>`)
)

// escape makes text literal for Slack: &, < and > are its control
// characters, and <!channel>, <!here>, <!everyone> and <!subteam^…> only
// notify anyone when written with a real "<".
func escape(s string) string {
	s = strings.ReplaceAll(s, "&", "&amp;")
	s = strings.ReplaceAll(s, "<", "&lt;")
	return strings.ReplaceAll(s, ">", "&gt;")
}

// mrkdwn converts an answer's Markdown to Slack's mrkdwn: bold, italic,
// strike, links, headings and bullets; code blocks and inline code are kept
// (escaped, as Slack wants them). Nothing in the result can notify a
// channel or a group, whatever the Markdown said.
func mrkdwn(md string) string {
	md = strings.ReplaceAll(md, "\r\n", "\n")
	doc := markdown.Parse(md)
	lines := strings.Split(md, "\n")
	at := 0 // where line i starts in md
	for i, l := range lines {
		code := doc.CodeAt(at)
		at += len(l) + 1
		switch {
		case code != nil && code.OnFence(at-len(l)-1):
			l = "```" // Slack knows only this fence, and shows a language tag as text
		case code != nil:
			l = escape(l)
		case headingRe.MatchString(l):
			h := headingRe.FindStringSubmatch(l)[1]
			h = strings.ReplaceAll(strings.ReplaceAll(h, "**", ""), "__", "")
			l = "*" + inline(h) + "*"
		default:
			if m := bulletRe.FindStringSubmatch(l); m != nil {
				l = m[1] + "• " + inline(l[len(m[0]):])
			} else {
				l = inline(l)
			}
		}
		lines[i] = massRe.ReplaceAllString(l, "${1}\u200b${2}")
	}
	return strings.Join(lines, "\n")
}

// onlyPings applies chat.MayPing to the member mentions mrkdwn keeps (it
// has escaped every other markup that notifies): a mention of anyone but
// the member answered (asker; "" for an announcement) is shown as it was
// written, escaped, so that it notifies nobody.
func onlyPings(text, asker string) string {
	return memberRe.ReplaceAllStringFunc(text, func(m string) string {
		if chat.MayPing(asker, chat.Mention{Kind: chat.MentionMember, ID: memberRe.FindStringSubmatch(m)[1]}) {
			return m
		}
		return escape(m)
	})
}

// inline converts one line outside code blocks.
func inline(s string) string {
	var b strings.Builder
	for i, seg := range strings.Split(s, "`") {
		if i > 0 {
			b.WriteByte('`')
		}
		if i%2 == 1 && i < strings.Count(s, "`") { // inside `code`
			b.WriteString(escape(seg))
			continue
		}
		b.WriteString(inlineText(seg))
	}
	return b.String()
}

// inlineText converts text outside code: the kept markup is set aside
// behind placeholders, the rest escaped and restyled, then put back.
func inlineText(s string) string {
	var kept []string
	s = keepRe.ReplaceAllStringFunc(s, func(m string) string {
		sm := keepRe.FindStringSubmatch(m)
		var k string
		switch {
		case sm[2] != "":
			text := strings.ReplaceAll(sm[1], "|", "¦") // "|" ends the URL part
			if strings.TrimSpace(text) == "" {
				text = sm[2]
			}
			k = "<" + escape(sm[2]) + "|" + escape(text) + ">"
		case sm[3] != "":
			k = "<" + escape(sm[3]) + ">"
		default:
			k = "<" + sm[4] + ">"
		}
		kept = append(kept, k)
		return "\x00" + strconv.Itoa(len(kept)-1) + "\x01"
	})
	s = escape(s)
	s = boldRe.ReplaceAllString(s, "\x02$1$2\x02")
	s = italicRe.ReplaceAllString(s, "${1}_${2}_")
	s = strikeRe.ReplaceAllString(s, "~$1~")
	s = strings.ReplaceAll(s, "\x02", "*")
	for i, k := range kept {
		s = strings.Replace(s, "\x00"+strconv.Itoa(i)+"\x01", k, 1)
	}
	return s
}

// split cuts text into parts of at most max bytes at line ends, never
// inside a code block: a block that must be cut is closed at the end of
// one part and opened again at the start of the next. A line longer than a
// part is cut at a space where it can be, never inside inline code.
func split(text string, max int) []string {
	return markdown.Split(text, max, markdown.Bytes)
}
