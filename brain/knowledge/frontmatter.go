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
	// unrendered: Hugo never renders the page (build: {render: never},
	// _build, headless: true); its text may be included elsewhere.
	unrendered bool
	// cascadeUnrendered: the page's cascade makes the pages below it
	// unrendered (a headless section such as Hugo's _common).
	cascadeUnrendered bool
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
	fm.draft = isTrue(m["draft"])
	fm.unrendered = unrendered(m)
	switch c := m["cascade"].(type) {
	case map[string]any:
		fm.cascadeUnrendered = unrendered(c) && !targeted(c)
	case []any: // TOML's [[cascade]], a YAML list
		for _, e := range c {
			if e, ok := e.(map[string]any); ok && unrendered(e) && !targeted(e) {
				fm.cascadeUnrendered = true
			}
		}
	}
	return fm, nil
}

// unrendered reports whether front matter (or a cascade's entry) says
// that Hugo does not render the page: build or _build with render
// "never" or "link" (or false, as older Hugo wrote it), or headless:
// true.
func unrendered(m map[string]any) bool {
	if isTrue(m["headless"]) {
		return true
	}
	for _, key := range []string{"build", "_build"} {
		b, ok := m[key].(map[string]any)
		if !ok {
			continue
		}
		switch r := b["render"].(type) {
		case bool:
			return !r
		case string:
			r = strings.ToLower(strings.TrimSpace(r))
			return r == "never" || r == "link" || r == "false"
		}
	}
	return false
}

// targeted reports whether a cascade's entry applies only to some pages
// (target or _target): it is not read as applying to all.
func targeted(m map[string]any) bool {
	return m["target"] != nil || m["_target"] != nil
}

func isTrue(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(strings.TrimSpace(v), "true")
	}
	return false
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
