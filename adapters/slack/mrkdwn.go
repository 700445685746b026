package slack

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/docent-bot/docent/chat"
)

// maxPart bounds one message's text in bytes. Slack truncates text over
// 40,000 characters and advises staying under 4,000; bytes are never fewer
// than characters, so this keeps every part comfortably inside.
const maxPart = 3500

var (
	fenceRe   = regexp.MustCompile("^\\s*(```|~~~)")
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
	lines := strings.Split(md, "\n")
	fence := "" // the fence of the code block we are in: ``` or ~~~
	for i, l := range lines {
		switch {
		case fence == "" && fenceRe.MatchString(l):
			fence = fenceRe.FindStringSubmatch(l)[1]
			l = "```" // Slack shows a language tag as text, and knows no ~~~
		case fence != "" && closesFence(l, fence):
			fence = ""
			l = "```"
		case fence != "":
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

// closesFence reports whether line l closes a code block opened with
// fence: any line starting with ``` closes a ``` block (as Slack reads
// them), only a line of tildes closes a ~~~ block.
func closesFence(l, fence string) bool {
	t := strings.TrimSpace(l)
	if fence == "~~~" {
		return strings.HasPrefix(t, fence) && strings.Trim(t, "~") == ""
	}
	return strings.HasPrefix(t, fence)
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
// part is cut at a space where it can be.
func split(text string, max int) []string {
	const fence = "```"
	var (
		parts   []string
		cur     strings.Builder
		inFence bool
	)
	flush := func() {
		p := cur.String()
		if inFence {
			p += "\n" + fence
		}
		if strings.TrimSpace(strings.Trim(p, "`")) != "" {
			parts = append(parts, strings.TrimRight(p, "\n"))
		}
		cur.Reset()
		if inFence {
			cur.WriteString(fence + "\n")
		}
	}
	room := func() int {
		r := max - cur.Len()
		if inFence {
			r -= len(fence) + 1
		}
		return r
	}
	for _, l := range strings.Split(text, "\n") {
		isFence := strings.HasPrefix(strings.TrimSpace(l), fence)
		for {
			need := len(l)
			if cur.Len() > 0 {
				need++
			}
			if need <= room() {
				break
			}
			if cur.Len() > len(fence)+1 || (cur.Len() > 0 && !inFence) {
				flush()
				continue
			}
			// The line alone is too long for a part: cut it.
			cut := cutAt(l, room())
			cur.WriteString(l[:cut])
			l = strings.TrimLeft(l[cut:], " ")
			flush()
		}
		if cur.Len() > 0 && !strings.HasSuffix(cur.String(), "\n") {
			cur.WriteByte('\n')
		}
		cur.WriteString(l)
		if isFence {
			inFence = !inFence
		}
	}
	if inFence { // an unclosed block: close it
		cur.WriteString("\n" + fence)
		inFence = false
	}
	flush()
	return parts
}

// cutAt finds where to cut s to at most n bytes: after the last space in
// the second half, else at a rune boundary.
func cutAt(s string, n int) int {
	if n < 1 {
		n = 1
	}
	if n >= len(s) {
		return len(s)
	}
	if i := strings.LastIndexByte(s[:n], ' '); i > n/2 {
		return i
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	if n == 0 {
		_, n = utf8.DecodeRuneInString(s)
	}
	return n
}
