package llm

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/docent-bot/docent/chat/markdown"
)

// Answer is the model's reply, checked: citations that name no passage are
// gone and mass mentions are harmless.
type Answer struct {
	// Text is the reply in Markdown. It may be empty when the model wrote
	// nothing; FinishReason then says why ("length", "content_filter").
	Text string
	// Cited lists the passages the text cites, 1-based, in order of first
	// use; only passages that were sent to the model.
	Cited []int
	Usage Usage
	// Model is the server's name for the model that answered.
	Model string
	// FinishReason is the server's: "stop", or "length" when the answer
	// was cut by max_tokens.
	FinishReason string
	// Cut is set when the server wrote more than max_tokens allows and
	// Docent kept only the beginning; Text then ends with a line saying so.
	Cut bool
}

// Usage counts the tokens one answer cost, for the bot's budgets.
type Usage struct {
	PromptTokens, CompletionTokens int
	// Estimated is set when the server reported no usage and the counts
	// are characters/4.
	Estimated bool
}

// Sources renders the cited passages as numbered links, one a line, for
// the caller to append to the answer:
//
//	Sources:
//	[1] Adding an intent <https://docs.example.org/intents#adding>
//
// Numbers outside passages are skipped; no citation gives "".
func Sources(passages []Passage, cited []int) string {
	var b strings.Builder
	for _, n := range cited {
		if n < 1 || n > len(passages) {
			continue
		}
		p := passages[n-1]
		line := oneLine(p.Title, 200)
		if link := oneLine(p.Link, 500); link != "" {
			line = strings.TrimSpace(line + " <" + link + ">")
		}
		if line == "" {
			line = "(untitled)"
		}
		if b.Len() == 0 {
			b.WriteString("Sources:")
		}
		fmt.Fprintf(&b, "\n[%d] %s", n, line)
	}
	return Neutralize(b.String())
}

// finish checks a reply against the n passages sent: citations of other
// numbers are removed, the cited numbers are listed, and mass mentions are
// neutralised.
func finish(text string, n int) (string, []int) {
	text, cited := checkCitations(text, n)
	return strings.TrimSpace(Neutralize(text)), cited
}

// citation matches [1], [1, 2] and [1,2,3]; [1][2] is two matches.
var citation = regexp.MustCompile(`\[\s*\d+(?:\s*,\s*\d+)*\s*\]`)

// checkCitations removes citations of numbers outside 1..n and returns the
// valid ones in order of first use. Code (fenced blocks and `spans`) is
// left alone, as are [1](links) and indexes such as args[0].
func checkCitations(text string, n int) (string, []int) {
	out := make([]byte, 0, len(text))
	var cited []int
	for _, seg := range proseSegments(text) {
		if seg.code {
			out = append(out, seg.text...)
			continue
		}
		s, last := seg.text, 0
		for _, m := range citation.FindAllStringIndex(s, -1) {
			start, end := m[0], m[1]
			if start > 0 && isWordByte(s[start-1]) || end < len(s) && s[end] == '(' {
				continue
			}
			var keep []string
			for f := range strings.SplitSeq(s[start+1:end-1], ",") {
				k, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || k < 1 || k > n {
					continue
				}
				keep = append(keep, strconv.Itoa(k))
				if !slices.Contains(cited, k) {
					cited = append(cited, k)
				}
			}
			out = append(out, s[last:start]...)
			last = end
			if len(keep) > 0 {
				out = append(out, "["+strings.Join(keep, ", ")+"]"...)
				continue
			}
			// Dropped: take the space before it too, so "it [7]." reads
			// "it."; at the start of a line, the space after it instead.
			out = bytes.TrimRight(out, " \t")
			if (len(out) == 0 || out[len(out)-1] == '\n') && last < len(s) && s[last] == ' ' {
				last++
			}
		}
		out = append(out, s[last:]...)
	}
	return string(out), cited
}

func isWordByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

type segment struct {
	text string
	code bool
}

// proseSegments splits Markdown into prose and code: fenced blocks (to
// the closing fence or the end of their container) and inline `code`
// spans, as chat/markdown reads them.
func proseSegments(text string) []segment {
	doc := markdown.Parse(text)
	var code [][2]int
	for _, c := range doc.Code {
		end := c.End
		if end < len(text) { // with its newline, as the block's lines
			end++
		}
		code = append(code, [2]int{c.Start, end})
	}
	for _, sp := range doc.CodeSpans {
		if doc.CodeAt(sp[0]) == nil {
			code = append(code, sp)
		}
	}
	slices.SortFunc(code, func(a, b [2]int) int { return a[0] - b[0] })
	var segs []segment
	last := 0
	for _, c := range code {
		if c[0] < last {
			continue
		}
		if c[0] > last {
			segs = append(segs, segment{text: text[last:c[0]]})
		}
		segs = append(segs, segment{text: text[c[0]:c[1]], code: true})
		last = c[1]
	}
	if last < len(text) {
		segs = append(segs, segment{text: text[last:]})
	}
	return segs
}

// Mass mentions, per platform. Discord pings on @everyone and @here and on
// <@&role>; Slack on <!channel>, <!here>, <!everyone> and <!subteam^…>,
// and on the bare words when a message is sent with link_names.
var (
	slackSpecial = regexp.MustCompile(`(?i)<!(channel|here|everyone)(\|[^>]*)?>`)
	slackGroup   = regexp.MustCompile(`<!subteam\^[^>]*>`)
	discordRole  = regexp.MustCompile(`<@&\d*>`)
	bareMass     = regexp.MustCompile(`(?i)@(everyone|here|channel)`)
)

// zwsp after "@" keeps the word readable and stops every platform from
// reading it as a mention.
const zwsp = "\u200b"

// Neutralize makes mass mentions in text harmless: @everyone, @here and
// @channel get a zero-width space after the "@", Slack's <!channel>,
// <!here>, <!everyone> and <!subteam^…> and Discord's <@&role> become such
// plain words. The adapters also restrict allowed mentions; this is
// defence in depth against what a model (or a member through it) writes.
func Neutralize(text string) string {
	if !strings.Contains(text, "@") && !strings.Contains(text, "<!") {
		return text // the common case, checked at every chunk of a stream
	}
	text = slackSpecial.ReplaceAllStringFunc(text, func(m string) string {
		return "@" + zwsp + strings.ToLower(slackSpecial.FindStringSubmatch(m)[1])
	})
	text = slackGroup.ReplaceAllString(text, "@"+zwsp+"group")
	text = discordRole.ReplaceAllString(text, "@"+zwsp+"role")
	return bareMass.ReplaceAllString(text, "@"+zwsp+"$1")
}
