package web

import (
	"bytes"
	"html"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// Renderer turns an answer's Markdown into HTML that is safe to put in the
// page: HTML written in the Markdown (by a member, a doc or an LLM) is shown
// as text, never as markup, and the result is sanitised again with an
// allow-list, so that nothing from an answer can run in the page.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// NewRenderer returns a Markdown renderer for answers.
func NewRenderer() *Renderer {
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		// Not WithUnsafe: raw HTML never passes through as markup. The node
		// renderer below shows it as text instead of dropping it.
		goldmark.WithRendererOptions(
			gmhtml.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(rawAsText{}, 10)),
		),
	)
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("class").Matching(bluemonday.SpaceSeparatedTokens).OnElements("code")
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowURLSchemes("http", "https", "mailto")
	return &Renderer{md: md, policy: p}
}

// HTML renders markdown to sanitised HTML.
func (r *Renderer) HTML(markdown string) string {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(markdown), &buf); err != nil {
		// goldmark only fails on a failing writer; a bytes.Buffer does not.
		return "<p>" + html.EscapeString(markdown) + "</p>"
	}
	return r.policy.Sanitize(buf.String())
}

// rawAsText renders raw HTML (inline and blocks) as escaped text.
type rawAsText struct{}

func (rawAsText) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkSkipChildren, nil
		}
		segs := n.(*ast.RawHTML).Segments
		for i := range segs.Len() {
			s := segs.At(i)
			w.WriteString(html.EscapeString(string(s.Value(source))))
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		b := n.(*ast.HTMLBlock)
		w.WriteString("<p>")
		lines := b.Lines()
		for i := range lines.Len() {
			s := lines.At(i)
			w.WriteString(html.EscapeString(string(s.Value(source))))
		}
		if b.HasClosure() {
			w.WriteString(html.EscapeString(string(b.ClosureLine.Value(source))))
		}
		w.WriteString("</p>\n")
		return ast.WalkContinue, nil
	})
}
