package knowledge

import (
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"
)

// frontMatter is what a page's front matter says about it.
type frontMatter struct {
	title       string
	description string
	draft       bool
}

// cutFrontMatter splits a leading front matter block from the text: YAML
// between "---" lines (closed by "---" or "..."), or TOML between "+++"
// lines, as Hugo, Jekyll, VitePress and Docusaurus write them. Without a
// closing line there is no front matter and the text is kept whole. A
// block that does not parse is still cut (it is not text for members);
// err says why it was not read.
func cutFrontMatter(s string) (fm frontMatter, body string, err error) {
	first, rest, ok := strings.Cut(s, "\n")
	if !ok {
		return fm, s, nil
	}
	open := strings.TrimRight(first, " \t")
	if open != "---" && open != "+++" {
		return fm, s, nil
	}
	for off := 0; off < len(rest); {
		line, _, _ := strings.Cut(rest[off:], "\n")
		next := off + len(line) + 1
		if l := strings.TrimRight(line, " \t"); l == open || (open == "---" && l == "...") {
			block := rest[:off]
			body = ""
			if next <= len(rest) {
				body = rest[next:]
			}
			fm, err = parseFrontMatter(open, block)
			return fm, body, err
		}
		off = next
	}
	return fm, s, nil
}

func parseFrontMatter(open, block string) (frontMatter, error) {
	var (
		m   map[string]any
		err error
	)
	if open == "+++" {
		err = toml.Unmarshal([]byte(block), &m)
	} else {
		err = yaml.Unmarshal([]byte(block), &m)
	}
	if err != nil {
		kind := map[string]string{"---": "YAML", "+++": "TOML"}[open]
		return frontMatter{}, fmt.Errorf("read %s front matter: %w", kind, err)
	}
	fm := frontMatter{title: scalar(m["title"]), description: scalar(m["description"])}
	switch d := m["draft"].(type) {
	case bool:
		fm.draft = d
	case string:
		fm.draft = strings.EqualFold(strings.TrimSpace(d), "true")
	}
	return fm, nil
}

// scalar is a front matter value as one line of text; "" for lists and
// maps.
func scalar(v any) string {
	switch v := v.(type) {
	case nil, []any, map[string]any:
		return ""
	case string:
		return strings.Join(strings.Fields(v), " ")
	default:
		return strings.Join(strings.Fields(fmt.Sprint(v)), " ")
	}
}
