package brain

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// A response template has a few strings and the config's links to work
// with, so it needs no loops beyond the links, no recursion and no
// growing variables; those are what make a template run for minutes
// ({{range 3000000000}}{{end}} writes nothing while it loops) or fill
// memory. Such templates are refused when parsed, where config check and
// !teach new can say why; execution is bounded besides, in output and
// time, by a writer that fails past either bound and so stops it.
const (
	maxResponseBytes = 64 << 10
	maxRenderTime    = time.Second
	maxRangeDepth    = 2
)

var (
	errResponseTooLong = fmt.Errorf("it writes more than %d KB", maxResponseBytes>>10)
	errResponseTooSlow = fmt.Errorf("it runs longer than %s", maxRenderTime)
)

// templateFuncs are the template functions a response may call: the
// built-in ones whose cost is bounded by their arguments'.
var templateFuncs = map[string]bool{
	"and": true, "or": true, "not": true, "eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true,
	"len": true, "index": true, "slice": true, "print": true, "println": true, "printf": true,
	"html": true, "js": true, "urlquery": true,
}

// parseResponse parses a response template and refuses the constructs
// whose cost the template's data does not bound.
func parseResponse(name, text string) (*template.Template, error) {
	tpl, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	if len(tpl.Templates()) > 1 {
		return nil, errors.New("defines templates ({{define}} or {{block}}); a response is a single template")
	}
	if tpl.Tree == nil || tpl.Tree.Root == nil {
		return tpl, nil
	}
	c := checker{tree: tpl.Tree}
	c.node(tpl.Tree.Root, 0)
	if c.err != nil {
		return nil, c.err
	}
	return tpl, nil
}

type checker struct {
	tree *parse.Tree
	err  error // the first refusal
}

func (c *checker) refuse(n parse.Node, format string, args ...any) {
	if c.err != nil {
		return
	}
	loc, _ := c.tree.ErrorContext(n)
	loc = "line " + strings.TrimPrefix(loc, c.tree.ParseName+":") // "name:line:col"
	c.err = fmt.Errorf("%s: %s", loc, fmt.Sprintf(format, args...))
}

func (c *checker) node(n parse.Node, ranges int) {
	switch n := n.(type) {
	case nil, *parse.TextNode, *parse.CommentNode, *parse.BreakNode, *parse.ContinueNode:
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, child := range n.Nodes {
			c.node(child, ranges)
		}
	case *parse.ActionNode:
		c.pipe(n.Pipe)
	case *parse.IfNode:
		c.pipe(n.Pipe)
		c.node(n.List, ranges)
		c.node(n.ElseList, ranges)
	case *parse.WithNode:
		c.pipe(n.Pipe)
		c.node(n.List, ranges)
		c.node(n.ElseList, ranges)
	case *parse.RangeNode:
		switch {
		case ranges >= maxRangeDepth:
			c.refuse(n, "range inside range inside range: at most %d deep", maxRangeDepth)
		case !overField(n.Pipe):
			c.refuse(n, "{{range %s}}: a response may range only over a field of its data, such as .Links", n.Pipe)
		}
		c.pipe(n.Pipe)
		c.node(n.List, ranges+1)
		c.node(n.ElseList, ranges)
	case *parse.TemplateNode:
		c.refuse(n, "{{template %q}}: a response cannot call templates", n.Name)
	default:
		c.refuse(n, "%s is not allowed in a response", n)
	}
}

// overField reports whether a range's pipeline is a field of the data,
// such as .Links or $.Links: its length is then the data's, never a
// number or what a function made.
func overField(p *parse.PipeNode) bool {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode:
		return true
	case *parse.VariableNode:
		return len(a.Ident) > 1 // $.Links, $x.Links; a bare $n may hold a number
	}
	return false
}

func (c *checker) pipe(p *parse.PipeNode) {
	if p == nil {
		return
	}
	if p.IsAssign {
		c.refuse(p, "{{%s}}: a response cannot assign to a variable with =", p)
	}
	for _, cmd := range p.Cmds {
		for i, arg := range cmd.Args {
			c.arg(arg)
			if id, ok := arg.(*parse.IdentifierNode); ok && i == 0 && id.Ident == "printf" {
				c.format(cmd)
			}
		}
	}
}

func (c *checker) arg(n parse.Node) {
	switch n := n.(type) {
	case *parse.IdentifierNode:
		if !templateFuncs[n.Ident] {
			c.refuse(n, "the function %s is not allowed in a response", n.Ident)
		}
	case *parse.PipeNode:
		c.pipe(n)
	case *parse.ChainNode:
		c.arg(n.Node)
	}
}

// format refuses a printf whose format is not a literal, or has a width
// or precision: "%0999999999d" makes a gigabyte before anything is written.
func (c *checker) format(cmd *parse.CommandNode) {
	if len(cmd.Args) < 2 {
		return
	}
	f, ok := cmd.Args[1].(*parse.StringNode)
	if !ok {
		c.refuse(cmd, "{{%s}}: printf's format must be written out as a string", cmd)
		return
	}
	s := f.Text
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(s) && strings.IndexByte("+-# 0", s[j]) >= 0 {
			j++
		}
		if j < len(s) && (s[j] >= '1' && s[j] <= '9' || s[j] == '.' || s[j] == '*' || s[j] == '[') {
			c.refuse(cmd, "{{%s}}: printf with a width or precision is not allowed in a response", cmd)
			return
		}
		if j < len(s) && s[j] == '%' {
			i = j
		}
	}
}

// render executes a response template within maxResponseBytes and
// maxRenderTime.
func render(tpl *template.Template, data templateData) (string, error) {
	w := &boundedWriter{left: maxResponseBytes, deadline: time.Now().Add(maxRenderTime)}
	err := tpl.Execute(w, data)
	if w.err != nil {
		return "", w.err // text/template wraps the writer's error in its own words
	}
	return w.b.String(), err
}

// boundedWriter keeps what a template writes up to left bytes and until
// deadline; past either, every write fails, which stops the template.
type boundedWriter struct {
	b        strings.Builder
	left     int
	deadline time.Time
	err      error
}

var _ io.Writer = (*boundedWriter)(nil)

func (w *boundedWriter) Write(p []byte) (int, error) {
	switch {
	case w.err != nil:
	case len(p) > w.left:
		w.err = errResponseTooLong
	case time.Now().After(w.deadline):
		w.err = errResponseTooSlow
	}
	if w.err != nil {
		return 0, w.err
	}
	w.left -= len(p)
	return w.b.Write(p)
}

// LinksUsed returns the names of the config's links that the intent's
// responses refer to as {{.Links.NAME}} (or $.Links.NAME), sorted, each
// once. A response that does not parse is skipped: New says why.
func (in Intent) LinksUsed() []string {
	seen := map[string]bool{}
	for _, r := range in.Responses {
		ResponseLinks(r, seen)
	}
	for _, rs := range in.ResponsesByLanguage {
		for _, r := range rs {
			ResponseLinks(r, seen)
		}
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// ResponseLinks adds to seen the names of the config's links that the
// response refers to as {{.Links.NAME}} (or $.Links.NAME), so that a
// response whose links are not set can be left out before New would
// refuse it. A response that does not parse adds none: New says why.
func ResponseLinks(response string, seen map[string]bool) {
	tpl, err := template.New("").Parse(response)
	if err != nil || tpl.Tree == nil {
		return
	}
	linksIn(tpl.Tree.Root, seen)
}

// linksIn adds to seen the link names that the nodes below n use.
func linksIn(n parse.Node, seen map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			linksIn(c, seen)
		}
	case *parse.ActionNode:
		linksIn(n.Pipe, seen)
	case *parse.IfNode:
		linksIn(n.Pipe, seen)
		linksIn(n.List, seen)
		linksIn(n.ElseList, seen)
	case *parse.WithNode:
		linksIn(n.Pipe, seen)
		linksIn(n.List, seen)
		linksIn(n.ElseList, seen)
	case *parse.RangeNode:
		linksIn(n.Pipe, seen)
		linksIn(n.List, seen)
		linksIn(n.ElseList, seen)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, cmd := range n.Cmds {
			for _, arg := range cmd.Args {
				linksIn(arg, seen)
			}
		}
	case *parse.ChainNode:
		linksIn(n.Node, seen)
	case *parse.FieldNode: // .Links.issues
		if len(n.Ident) >= 2 && n.Ident[0] == "Links" {
			seen[n.Ident[1]] = true
		}
	case *parse.VariableNode: // $.Links.issues
		if len(n.Ident) >= 3 && n.Ident[0] == "$" && n.Ident[1] == "Links" {
			seen[n.Ident[2]] = true
		}
	}
}
