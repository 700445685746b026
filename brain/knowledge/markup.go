package knowledge

import (
	"strings"

	"github.com/docent-bot/docent/chat/markdown"
)

// The markup of the common site generators, recognised outside code
// blocks so that what is left is the text a reader sees.

// admonition recognises the first line of an MkDocs admonition
// ('!!! note "Title"', '??? tip', '???+ warning "Title"'); title is its
// quoted title, "" when it has none.
func admonition(line string) (title string, ok bool) {
	s, ok := markdown.CutIndent(line)
	if !ok {
		return "", false
	}
	var rest string
	switch {
	case strings.HasPrefix(s, "!!! "):
		rest = s[4:]
	case strings.HasPrefix(s, "??? "):
		rest = s[4:]
	case strings.HasPrefix(s, "???+ "):
		rest = s[5:]
	default:
		return "", false
	}
	kind, title, _ := strings.Cut(strings.TrimSpace(rest), " ")
	if !isWord(kind) {
		return "", false
	}
	title = strings.TrimSpace(title)
	if len(title) >= 2 && title[0] == '"' && title[len(title)-1] == '"' {
		title = title[1 : len(title)-1]
	}
	return title, true
}

// container recognises the fence of a VitePress or Docusaurus container
// ("::: tip Title", ":::note[Title]", ":::"); title is the container's
// title, "" when it has none or the line closes one.
func container(line string) (title string, ok bool) {
	s, ok := markdown.CutIndent(line)
	if !ok || !strings.HasPrefix(s, ":::") {
		return "", false
	}
	s = strings.TrimSpace(strings.TrimLeft(s, ":"))
	if s == "" {
		return "", true
	}
	kind, title, _ := strings.Cut(s, " ")
	if k, t, ok := strings.Cut(kind, "["); ok && strings.HasSuffix(s, "]") && !strings.Contains(kind, " ") {
		return strings.TrimSuffix(t, "]"), isWord(k)
	}
	if i := strings.IndexByte(s, '['); i > 0 && strings.HasSuffix(s, "]") {
		kind, title = s[:i], s[i+1:len(s)-1]
	}
	if !isWord(kind) {
		return "", false
	}
	return strings.TrimSpace(title), true
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// dropHTML removes HTML comments, <script> and <style> blocks and the tags
// of a line that starts with one (an HTML or JSX block: its text stays).
// until is what ends a comment or block that goes on past the line.
func dropHTML(line string) (out, until string) {
	for {
		i := strings.Index(line, "<!--")
		if i < 0 {
			break
		}
		end := strings.Index(line[i+4:], "-->")
		if end < 0 {
			line, until = line[:i], "-->"
			break
		}
		line = line[:i] + line[i+4+end+3:]
	}
	t := strings.TrimLeft(line, " \t")
	if until == "" {
		for _, tag := range []string{"script", "style"} {
			if len(t) > len(tag)+1 && t[0] == '<' && strings.EqualFold(t[1:1+len(tag)], tag) && (t[1+len(tag)] == '>' || t[1+len(tag)] == ' ') {
				end := indexFold(t, "</"+tag+">")
				if end < 0 {
					return "", "</" + tag + ">"
				}
				line = t[end+len(tag)+3:]
				t = strings.TrimLeft(line, " \t")
			}
		}
	}
	if len(t) > 1 && t[0] == '<' && (t[1] == '/' || isLetter(t[1])) {
		if _, n := tagAt(t); n > 0 {
			line = stripTags(line)
		}
	}
	return line, until
}

// stripTags removes the HTML and JSX tags of a line.
func stripTags(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '<' {
			if _, n := tagAt(s[i:]); n > 0 {
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// tagAt measures the HTML or JSX tag at the start of s: "<name ...>",
// "</name>", "<name/>"; n is 0 when there is none (an autolink
// "<https://…>", a comparison "a < b").
func tagAt(s string) (name string, n int) {
	i := 1
	if i < len(s) && s[i] == '/' {
		i++
	}
	start := i
	for i < len(s) && (isLetter(s[i]) || i > start && (s[i] >= '0' && s[i] <= '9' || s[i] == '-' || s[i] == '.')) {
		i++
	}
	if i == start || i >= len(s) || !(s[i] == '>' || s[i] == ' ' || s[i] == '/' || s[i] == '\t') {
		return "", 0
	}
	name = s[start:i]
	var quote byte
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '<':
			return "", 0
		case c == '>':
			return name, i + 1
		}
	}
	return "", 0
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// indexFold is strings.Index ignoring ASCII case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// mdxImport recognises an MDX import line: "import X from 'y'",
// "import 'y'".
func mdxImport(line string) bool {
	s := strings.TrimRight(line, " \t;")
	if !strings.HasPrefix(s, "import ") || len(s) < 10 {
		return false
	}
	q := s[len(s)-1]
	if q != '\'' && q != '"' {
		return false
	}
	from := strings.LastIndexByte(s[:len(s)-1], q)
	if from < 0 {
		return false
	}
	head := strings.TrimSpace(s[:from])
	return head == "import" || strings.HasSuffix(head, " from")
}

// codeShortcode is a Hugo shortcode that holds a code block.
type codeShortcode struct {
	name, lang string
}

// cutShortcodes replaces the Hugo shortcodes of a line ("{{< name args
// >}}", "{{% name %}}", "{{< /name >}}") with the words worth keeping of
// their arguments: a title, alt text, caption or summary, and the version
// of new-in and deprecated-in. An escaped one ("{{</* name */>}}", as docs
// about shortcodes show them) becomes the shortcode as written. open is
// true when a shortcode goes on past the line. A line that is only the
// opening of a shortcode holding code (highlight, code-toggle, code) is
// returned as code.
func cutShortcodes(line string) (out string, code *codeShortcode, open bool) {
	if !strings.Contains(line, "{{") {
		return line, nil, false
	}
	var b strings.Builder
	rest := line
	for {
		i := strings.Index(rest, "{{")
		if i < 0 || i+2 >= len(rest) || (rest[i+2] != '<' && rest[i+2] != '%') {
			if i < 0 {
				b.WriteString(rest)
				break
			}
			b.WriteString(rest[:i+2])
			rest = rest[i+2:]
			continue
		}
		b.WriteString(rest[:i])
		delim := rest[i+2]
		inner, n := shortcodeEnd(rest[i+3:], delim)
		if n < 0 {
			return line, nil, true
		}
		whole := strings.TrimSpace(line) == strings.TrimSpace(rest[i:i+3+n])
		rest = rest[i+3+n:]
		inner = strings.TrimSpace(inner)
		if strings.HasPrefix(inner, "/*") && strings.HasSuffix(inner, "*/") {
			closing := map[byte]string{'<': ">}}", '%': "%}}"}[delim]
			b.WriteString("{{" + string(delim) + " " + strings.TrimSpace(inner[2:len(inner)-2]) + " " + closing)
			continue
		}
		selfClosing := strings.HasSuffix(inner, "/")
		inner = strings.TrimSuffix(inner, "/")
		if strings.HasPrefix(inner, "/") {
			continue // a closing shortcode
		}
		args := shortcodeArgs(inner)
		if len(args) == 0 {
			continue
		}
		name := args[0]
		switch name {
		case "highlight", "code-toggle", "code":
			if whole && !selfClosing {
				c := &codeShortcode{name: name}
				if name == "highlight" && len(args) > 1 && !strings.Contains(args[1], "=") {
					c.lang = args[1]
				}
				return "", c, false
			}
		case "new-in", "deprecated-in":
			if len(args) > 1 {
				b.WriteString(map[string]string{"new-in": "New in ", "deprecated-in": "Deprecated in "}[name] + args[1])
			}
			continue
		}
		// What the page shows of it: its title, caption or summary; an
		// image's alt text only when it shows none of these (a figure's
		// alt is not shown beside its caption).
		var words []string
		alt := ""
		for _, a := range args[1:] {
			k, v, ok := strings.Cut(a, "=")
			switch {
			case !ok || v == "":
			case k == "title" || k == "caption" || k == "summary":
				words = append(words, v)
			case k == "alt":
				alt = v
			}
		}
		if len(words) == 0 && alt != "" {
			words = append(words, alt)
		}
		b.WriteString(strings.Join(words, " "))
	}
	return b.String(), nil, false
}

// shortcodeEnd finds the end of a shortcode whose text s follows its
// "{{<" or "{{%": inner is its text and n the bytes up to and including
// its closing ">}}" or "%}}", -1 when it does not close. Quoted arguments
// may hold the closing marks.
func shortcodeEnd(s string, delim byte) (inner string, n int) {
	if delim == '<' {
		delim = '>'
	}
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '`':
			quote = c
		case c == delim && strings.HasPrefix(s[i+1:], "}}"):
			return s[:i], i + 3
		}
	}
	return "", -1
}

// shortcodeArgs splits a shortcode's text into its name and arguments,
// quotes taken off: `img src="a b.png" alt="A b"` is img, src=a b.png,
// alt=A b.
func shortcodeArgs(s string) []string {
	var (
		out   []string
		cur   strings.Builder
		quote byte
		any   bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '`':
			quote, any = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if cur.Len() > 0 || any {
				out = append(out, cur.String())
			}
			cur.Reset()
			any = false
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 || any {
		out = append(out, cur.String())
	}
	return out
}

// closesShortcode reports whether a line is the closing shortcode of name:
// "{{< /name >}}".
func closesShortcode(line, name string) bool {
	s := strings.TrimSpace(line)
	if len(s) < 6 || !strings.HasPrefix(s, "{{") || !strings.HasSuffix(s, "}}") {
		return false
	}
	d := s[2]
	if !(d == '<' && s[len(s)-3] == '>' || d == '%' && s[len(s)-3] == '%') {
		return false
	}
	inner := strings.TrimSpace(s[3 : len(s)-3])
	return strings.HasPrefix(inner, "/") && strings.TrimSpace(inner[1:]) == name
}

var shortcodeUnescaper = strings.NewReplacer("{{</*", "{{<", "*/>}}", ">}}", "{{%/*", "{{%", "*/%}}", "%}}")

// unescapeShortcodes shows escaped shortcodes in code as Hugo does, line
// by line: one that goes over several lines opens on one ("{{</* figure")
// and closes on another ("*/>}}").
func unescapeShortcodes(line string) string {
	if !strings.Contains(line, "/*") && !strings.Contains(line, "*/") {
		return line
	}
	return shortcodeUnescaper.Replace(line)
}
