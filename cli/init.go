package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/brain/knowledge"
)

// initCommands is docent init.
func initCommands() []Command {
	return []Command{
		{Name: "init", Group: "Set up", Args: "--docs DIR --site URL [--docs DIR --site URL...] --name NAME [--repo URL] [--link NAME=URL...] [--generator G] [--out FILE] [--force]", Summary: "write a config for your community that answers from its docs: on a terminal without --docs it asks, else it takes flags; it detects the docs' site generator for the links", Run: (*Env).init},
	}
}

// generator is how a site generator publishes a docs folder: the
// knowledge folder settings whose links match the published site.
type generator struct {
	name, label   string
	links         string
	trailingSlash bool
	lowercase     bool
	anchors       string
}

// generators are the site generators `docent init` knows, by name.
func generators() []generator {
	return []generator{
		{name: "vitepress", label: "VitePress", links: knowledge.LinksPretty, anchors: knowledge.AnchorsVitePress},
		{name: "docusaurus", label: "Docusaurus", links: knowledge.LinksPretty, anchors: knowledge.AnchorsGitHub},
		{name: "mkdocs", label: "MkDocs", links: knowledge.LinksPretty, trailingSlash: true, anchors: knowledge.AnchorsMkDocs},
		// As the dirhtml builder (and so Read the Docs, often) publishes.
		{name: "sphinx", label: "Sphinx", links: knowledge.LinksPretty, trailingSlash: true, anchors: knowledge.AnchorsSphinx},
		// Hugo lowercases paths unless disablePathToLower is set.
		{name: "hugo", label: "Hugo", links: knowledge.LinksPretty, trailingSlash: true, lowercase: true, anchors: knowledge.AnchorsGitHub},
		{name: "github", label: "files as they are (GitHub, GitLab, a file server)", links: knowledge.LinksFile, anchors: knowledge.AnchorsGitHub},
	}
}

func generatorNames() string {
	var names []string
	for _, g := range generators() {
		names = append(names, g.name)
	}
	return strings.Join(names, ", ")
}

func findGenerator(name string) (generator, bool) {
	for _, g := range generators() {
		if g.name == strings.ToLower(strings.TrimSpace(name)) {
			return g, true
		}
	}
	return generator{}, false
}

// detectGenerator guesses the site generator of the docs folder dir from
// the generator's config in the folder or up to three folders above it
// (stopping at a repository's root), else from the files it holds.
// evidence says what it saw, for the admin; name is "" when nothing
// tells.
func detectGenerator(dir string, files docFiles) (name, evidence string) {
	markers := []struct{ file, gen string }{
		{".vitepress", "vitepress"},
		{"docusaurus.config.js", "docusaurus"}, {"docusaurus.config.ts", "docusaurus"},
		{"docusaurus.config.mjs", "docusaurus"}, {"docusaurus.config.cjs", "docusaurus"},
		{"mkdocs.yml", "mkdocs"}, {"mkdocs.yaml", "mkdocs"},
		{"conf.py", "sphinx"},
		{"hugo.toml", "hugo"}, {"hugo.yaml", "hugo"}, {"hugo.yml", "hugo"}, {"hugo.json", "hugo"},
	}
	at := dir
	for range 4 {
		for _, m := range markers {
			if _, err := os.Stat(filepath.Join(at, m.file)); err == nil {
				return m.gen, filepath.Join(at, m.file)
			}
		}
		if _, err := os.Stat(filepath.Join(at, ".git")); err == nil {
			break // the repository's root: what is above is not its site
		}
		up := filepath.Dir(at)
		if up == at {
			break
		}
		at = up
	}
	switch {
	case files.rst > 0 && files.rst >= files.markdown:
		return "sphinx", fmt.Sprintf("%d reStructuredText files", files.rst)
	case files.sectionIndex > 0:
		return "hugo", fmt.Sprintf("%d _index.md section pages", files.sectionIndex)
	}
	// A folder copied without its site's config still carries its
	// generator's Markdown extensions: a guess, said as one.
	switch {
	case files.mdx > 0:
		return "docusaurus", "guessed from " + plural(files.mdx, ".mdx file")
	case files.admonitions > files.containers+files.headingIDs:
		return "mkdocs", "guessed from " + plural(files.admonitions, "!!! admonition")
	case files.containers+files.headingIDs > 0:
		var seen []string
		if files.containers > 0 {
			seen = append(seen, plural(files.containers, "::: container"))
		}
		if files.headingIDs > 0 {
			seen = append(seen, plural(files.headingIDs, "{#id} heading id"))
		}
		return "vitepress", "guessed from " + strings.Join(seen, " and ")
	}
	return "", ""
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// docFiles counts the files of a docs folder that Docent reads, and the
// Markdown extensions in them that tell a site generator.
type docFiles struct {
	markdown, rst, text, sectionIndex int
	mdx                               int // Docusaurus's MDX files
	containers                        int // ::: containers (VitePress, Docusaurus)
	headingIDs                        int // headings with {#id}
	admonitions                       int // MkDocs's !!! admonitions
}

// countMarkers counts in the Markdown text the extensions that tell its
// generator: a ::: container's opening line, a heading ending in {#id},
// a !!! admonition.
func (d *docFiles) countMarkers(text string) {
	fence := ""
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		switch {
		case strings.HasPrefix(trimmed, "```"), strings.HasPrefix(trimmed, "~~~"):
			fence = trimmed[:3]
		case strings.HasPrefix(trimmed, ":::"):
			if strings.TrimSpace(strings.TrimLeft(trimmed, ":")) != "" { // not a closing line
				d.containers++
			}
		case strings.HasPrefix(trimmed, "!!! "):
			d.admonitions++
		case strings.HasPrefix(trimmed, "#"):
			if strings.Contains(trimmed, " {#") && strings.HasSuffix(strings.TrimSpace(trimmed), "}") {
				d.headingIDs++
			}
		}
	}
}

func (d docFiles) total() int { return d.markdown + d.rst + d.text }

func countDocFiles(dir string) (docFiles, error) {
	var d docFiles
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if p != dir && strings.HasPrefix(e.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".md", ".markdown", ".mdx":
			d.markdown++
			if e.Name() == "_index.md" {
				d.sectionIndex++
			}
			if strings.EqualFold(filepath.Ext(p), ".mdx") {
				d.mdx++
			}
			text, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("read %s: %w", p, err)
			}
			d.countMarkers(string(text))
		case ".rst":
			d.rst++
		case ".txt":
			d.text++
		}
		return nil
	})
	return d, err
}

// initFolder is one docs folder as `docent init` writes it.
type initFolder struct {
	path      string // absolute
	site      string
	gen       generator
	evidence  string // why gen was chosen: detected from what, or "given"
	files     docFiles
	overrides []string // the link settings given by flags, for the summary
}

// initLink is one link of the starter intents.
type initLink struct {
	name, about string
	intents     int // starter intents that use it
}

// linkAbout says what each link of the starter intents is, in the order
// `docent init` asks for them; a link the intents use and this does not
// list is asked last.
func linkAbout() [][2]string {
	return [][2]string{
		{"docs", "the docs' home page"},
		{"help_channel", "where members ask a human: a forum, or a chat channel's link"},
		{"source", "the source code"},
		{"issues", "the issue tracker, for bug reports"},
		{"contributing", "the contributing guide"},
		{"code_of_conduct", "the code of conduct"},
		{"security", "how to report a vulnerability privately"},
		{"changelog", "the release notes"},
		{"discussions", "the discussions or forum"},
		{"roadmap", "the roadmap"},
		{"events", "community events and calls"},
	}
}

// starterLinks are the links the built-in starter intents use, with how
// many use each.
func starterLinks(defaults fs.FS) ([]initLink, error) {
	cfg, err := bot.LoadConfigFS(defaults, defaultConfig, "built-in "+defaultConfig)
	if err != nil {
		return nil, err
	}
	intents, err := cfg.LoadIntents()
	if err != nil {
		return nil, err
	}
	uses := map[string]int{}
	for _, in := range intents {
		for _, l := range in.LinksUsed() {
			uses[l]++
		}
	}
	var out []initLink
	for _, la := range linkAbout() {
		if n, ok := uses[la[0]]; ok {
			out = append(out, initLink{name: la[0], about: la[1], intents: n})
			delete(uses, la[0])
		}
	}
	var rest []string
	for name := range uses {
		rest = append(rest, name)
	}
	slices.Sort(rest)
	for _, name := range rest {
		out = append(out, initLink{name: name, intents: uses[name]})
	}
	return out, nil
}

// repoLinks are the links a repository's address gives: its source, and
// on GitHub its issues and releases, and the files found in the local
// checkout beside the docs.
func repoLinks(repo string, checkout string) map[string]string {
	out := map[string]string{}
	if repo == "" {
		return out
	}
	repo = strings.TrimSuffix(strings.TrimSuffix(repo, "/"), ".git")
	out["source"] = repo
	u, err := url.Parse(repo)
	if err != nil {
		return out
	}
	var blob string
	switch u.Host {
	case "github.com":
		out["issues"] = repo + "/issues"
		out["changelog"] = repo + "/releases"
		blob = repo + "/blob/HEAD/"
	case "gitlab.com":
		out["issues"] = repo + "/-/issues"
		out["changelog"] = repo + "/-/releases"
		blob = repo + "/-/blob/HEAD/"
	default:
		return out
	}
	if checkout == "" {
		return out
	}
	for link, files := range map[string][]string{
		"contributing":    {"CONTRIBUTING.md", ".github/CONTRIBUTING.md", "docs/CONTRIBUTING.md"},
		"code_of_conduct": {"CODE_OF_CONDUCT.md", ".github/CODE_OF_CONDUCT.md", "docs/CODE_OF_CONDUCT.md"},
		"security":        {"SECURITY.md", ".github/SECURITY.md", "docs/SECURITY.md"},
	} {
		for _, f := range files {
			if _, err := os.Stat(filepath.Join(checkout, filepath.FromSlash(f))); err == nil {
				out[link] = blob + f
				break
			}
		}
	}
	return out
}

// checkoutOf is the root of the git checkout holding dir, or "".
func checkoutOf(dir string) string {
	for at := dir; ; {
		if _, err := os.Stat(filepath.Join(at, ".git")); err == nil {
			return at
		}
		up := filepath.Dir(at)
		if up == at {
			return ""
		}
		at = up
	}
}

// multiFlag is a flag that may be given more than once.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// initFlags are `docent init`'s options.
type initFlags struct {
	docs, sites, gens, links multiFlag
	name, repo, out          string
	linkStyle, anchors       string
	trailingSlash, lowercase bool
	force                    bool
	set                      map[string]bool // the flags given
}

func (c *Env) init(args []string) int {
	return c.initConfig(args, isTerminal(c.Stdin))
}

// initConfig is `docent init`: on a terminal (interactive) and without
// --docs it asks for what the flags do not give; otherwise the flags must
// give it all, so that a command line written out asks nothing.
func (c *Env) initConfig(args []string, interactive bool) int {
	fs := c.Flags()
	var f initFlags
	fs.Var(&f.docs, "docs", "a docs `FOLDER` (Markdown, reStructuredText); repeat for more")
	fs.Var(&f.sites, "site", "the `URL` where members read the docs folder: one for each --docs, in order")
	fs.Var(&f.gens, "generator", "the site `GENERATOR` that publishes a folder ("+generatorNames()+"): once for all folders or one for each --docs; default: detected")
	fs.StringVar(&f.name, "name", "", "the community's `NAME`")
	fs.StringVar(&f.repo, "repo", "", "the project's repository `URL`: the source, issues and releases links come from it (GitHub, GitLab)")
	fs.Var(&f.links, "link", "a link of the starter intents as `NAME=URL` (help_channel, issues, contributing, code_of_conduct…); NAME= drops one the repository gave; repeat for more")
	fs.StringVar(&f.out, "out", "docent.yaml", "the config `FILE` to write")
	fs.BoolVar(&f.force, "force", false, "replace FILE if it exists")
	fs.StringVar(&f.linkStyle, "links", "", "override the generator's link style for every folder: file or pretty")
	fs.BoolVar(&f.trailingSlash, "trailing-slash", false, "override: pretty links end with /")
	fs.BoolVar(&f.lowercase, "lowercase", false, "override: pretty links are lowercased")
	fs.StringVar(&f.anchors, "anchors", "", "override the generator's heading anchors: github, vitepress, mkdocs or sphinx")
	if code, done := c.Parse(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.Stderr, "docent init: unexpected argument %q (the docs folder is --docs DIR)\n", fs.Arg(0))
		return exitUsage
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })

	in := initInput{flags: f, w: c.Stdout, defaults: c.Defaults}
	if interactive && !f.set["docs"] {
		in.ask = &prompter{in: bufio.NewReader(c.Stdin), out: c.Stdout}
		fmt.Fprintf(c.Stdout, "docent init writes a config for your community. Press Enter to take the [default].\n\n")
	}
	data, cfgPath, err := in.build()
	if err != nil {
		fmt.Fprintf(c.Stderr, "docent init: %v\n", err)
		if errors.Is(err, errInitUsage) {
			return exitUsage
		}
		return exitError
	}
	return c.writeInit(data, cfgPath, f.force)
}

// errInitUsage marks a missing or bad option.
var errInitUsage = errors.New("run `docent init --help` for the options, or run it on a terminal to be asked")

// initInput gathers the answers, from the flags and, when ask is set,
// from questions.
type initInput struct {
	flags initFlags
	ask   *prompter // nil: flags only
	w     io.Writer // where detection and the summary are told
	// defaults holds the example config whose links are offered.
	defaults fs.FS
}

// initUsage is a missing or bad option.
func initUsage(format string, args ...any) error {
	return fmt.Errorf("%s; %w", fmt.Sprintf(format, args...), errInitUsage)
}

// build returns the config's text and the path it is to be written to.
func (in *initInput) build() ([]byte, string, error) {
	f := in.flags
	folders, err := in.folders()
	if err != nil {
		return nil, "", err
	}
	links, err := in.links(folders)
	if err != nil {
		return nil, "", err
	}
	name := f.name
	if name == "" {
		def := ""
		if u, err := url.Parse(links["source"]); err == nil && links["source"] != "" {
			def = path.Base(u.Path)
		}
		if in.ask == nil {
			if def == "" {
				return nil, "", initUsage("give --name, the community's name")
			}
			name = def
		} else if name, err = in.ask.line("Community name", def, nonEmpty("the community's name")); err != nil {
			return nil, "", err
		}
	}
	out := f.out
	if in.ask != nil && !f.set["out"] {
		check := newFile(f.force)
		if out, err = in.ask.line("Write the config to", out, func(s string) (string, error) { return check(expandHome(s)) }); err != nil {
			return nil, "", err
		}
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil, "", fmt.Errorf("init: the config's path %s: %w", out, err)
	}
	return renderInit(abs, name, folders, links), abs, nil
}

// folders gathers the docs folders, their sites and their generators.
func (in *initInput) folders() ([]initFolder, error) {
	f := in.flags
	if in.ask == nil {
		switch {
		case len(f.docs) == 0:
			return nil, initUsage("give --docs DIR, the docs folder, and --site URL, where members read it")
		case len(f.sites) != len(f.docs):
			return nil, initUsage("give one --site URL for each --docs folder, in the same order (%d --docs, %d --site)", len(f.docs), len(f.sites))
		}
	}
	if len(f.gens) > 1 && len(f.gens) != len(f.docs) {
		return nil, initUsage("give --generator once for all folders or once for each --docs (%d --docs, %d --generator)", len(f.docs), len(f.gens))
	}
	var out []initFolder
	for i := 0; ; i++ {
		var dir string
		switch {
		case i < len(f.docs):
			dir = f.docs[i]
			if err := checkDocsFolder(dir); err != nil {
				return nil, initUsage("--docs %s: %v", dir, err)
			}
		case in.ask == nil || len(f.docs) > 0:
			return out, nil
		default:
			q, def, check := "Docs folder", "", func(s string) (string, error) { s = expandHome(s); return s, checkDocsFolder(s) }
			if len(out) > 0 {
				q = "Another docs folder (Enter when done)"
				check = func(s string) (string, error) {
					if s == "" {
						return "", nil
					}
					s = expandHome(s)
					return s, checkDocsFolder(s)
				}
			} else if checkDocsFolder("docs") == nil {
				def = "docs"
			}
			var err error
			if dir, err = in.ask.line(q, def, check); err != nil {
				return nil, err
			}
			if dir == "" {
				return out, nil
			}
		}
		folder, err := in.folder(i, dir)
		if err != nil {
			return nil, err
		}
		for _, o := range out {
			if o.path == folder.path {
				return nil, initUsage("%s is given twice", dir)
			}
		}
		out = append(out, folder)
	}
}

// folder completes the docs folder dir, the i-th.
func (in *initInput) folder(i int, dir string) (initFolder, error) {
	f := in.flags
	abs, err := filepath.Abs(dir)
	if err != nil {
		return initFolder{}, fmt.Errorf("init: the docs folder %s: %w", dir, err)
	}
	files, err := countDocFiles(abs)
	if err != nil {
		return initFolder{}, fmt.Errorf("init: read the docs folder %s: %w", dir, err)
	}
	folder := initFolder{path: abs, files: files}
	fmt.Fprintf(in.w, "%s: %d docs files", dir, files.total())

	var genName string
	switch {
	case len(f.gens) == 1:
		genName, folder.evidence = f.gens[0], "given"
	case len(f.gens) > 1:
		genName, folder.evidence = f.gens[i], "given"
	default:
		var evidence string
		genName, evidence = detectGenerator(abs, files)
		switch {
		case strings.HasPrefix(evidence, "guessed"):
			folder.evidence = evidence
		case genName != "":
			folder.evidence = "detected: " + evidence
		}
	}
	switch {
	case folder.evidence == "given":
		g, ok := findGenerator(genName)
		if !ok {
			fmt.Fprintln(in.w)
			return initFolder{}, initUsage("--generator %q: use one of %s", genName, generatorNames())
		}
		folder.gen = g
		fmt.Fprintf(in.w, "; site generator %s (given)\n", g.label)
	case genName != "":
		folder.gen, _ = findGenerator(genName)
		fmt.Fprintf(in.w, "; site generator %s (%s)\n", folder.gen.label, folder.evidence)
	default:
		fmt.Fprintf(in.w, "; no site generator detected (give --generator %s if a site publishes it)\n", strings.ReplaceAll(generatorNames(), ", ", "|"))
		folder.gen, _ = findGenerator("github")
		folder.evidence = "none detected: links to the files as they are; give --generator if a site publishes them"
	}
	// The site before the generator: its address is what the admin
	// knows first, and the generator shapes the links to it.
	if i < len(f.sites) {
		site, err := checkURL(f.sites[i])
		if err != nil {
			return initFolder{}, initUsage("--site %s: %v", f.sites[i], err)
		}
		folder.site = site
	} else if folder.site, err = in.ask.address("Where members read "+dir+" (the site's address for it)", docsExample, false); err != nil {
		return initFolder{}, err
	}
	if in.ask != nil && folder.evidence != "given" {
		// Detection can be wrong, and finds nothing in a folder copied
		// without its site's config: the admin has the last word.
		name, err := in.ask.line("Site generator that publishes it ("+generatorNames()+")", folder.gen.name, func(s string) (string, error) {
			if _, ok := findGenerator(s); !ok {
				return "", fmt.Errorf("%q is none of %s", s, generatorNames())
			}
			return strings.ToLower(s), nil
		})
		if err != nil {
			return initFolder{}, err
		}
		if name != folder.gen.name {
			folder.gen, _ = findGenerator(name)
			folder.evidence = "chosen"
		}
	}
	if err := in.overrideLinks(&folder); err != nil {
		return initFolder{}, err
	}

	return folder, nil
}

// overrideLinks applies the link settings given by flags over the
// generator's.
func (in *initInput) overrideLinks(folder *initFolder) error {
	f := in.flags
	if f.set["links"] {
		if f.linkStyle != knowledge.LinksFile && f.linkStyle != knowledge.LinksPretty {
			return initUsage("--links %q: use file or pretty", f.linkStyle)
		}
		folder.gen.links = f.linkStyle
		folder.overrides = append(folder.overrides, "links")
	}
	if f.set["trailing-slash"] {
		folder.gen.trailingSlash = f.trailingSlash
		folder.overrides = append(folder.overrides, "trailing_slash")
	}
	if f.set["lowercase"] {
		folder.gen.lowercase = f.lowercase
		folder.overrides = append(folder.overrides, "lowercase")
	}
	if f.set["anchors"] {
		if !knowledge.ValidAnchors(f.anchors) {
			return initUsage("--anchors %q: use github, vitepress, mkdocs or sphinx", f.anchors)
		}
		folder.gen.anchors = f.anchors
		folder.overrides = append(folder.overrides, "anchors")
	}
	if folder.gen.links != knowledge.LinksPretty && (folder.gen.trailingSlash || folder.gen.lowercase) {
		return initUsage("--trailing-slash and --lowercase shape pretty links: add --links pretty")
	}
	return nil
}

// links gathers the starter intents' links: from the flags, the
// repository and, when asking, the admin.
func (in *initInput) links(folders []initFolder) (map[string]string, error) {
	f := in.flags
	starter, err := starterLinks(in.defaults)
	if err != nil {
		return nil, fmt.Errorf("init: read the starter intents: %w", err)
	}
	repo := f.repo
	if repo == "" && in.ask != nil {
		if repo, err = in.ask.address("The project's repository (GitHub, GitLab; Enter to skip)", repoExample, true); err != nil {
			return nil, err
		}
	} else if repo != "" {
		if repo, err = checkURLLike(repo, repoExample); err != nil {
			return nil, initUsage("--repo %s: %v", f.repo, err)
		}
	}
	checkout := ""
	if len(folders) > 0 {
		checkout = checkoutOf(folders[0].path)
	}
	links := repoLinks(repo, checkout)
	links["docs"] = folders[0].site
	given := map[string]bool{}
	for _, l := range f.links {
		name, link, ok := strings.Cut(l, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, initUsage("--link %q: write NAME=URL, like help_channel=https://example.org/forum", l)
		}
		given[name] = true
		if link == "" {
			delete(links, name)
			continue
		}
		if links[name], err = checkLink(link); err != nil {
			return nil, initUsage("--link %s: %v", l, err)
		}
	}
	if in.ask == nil {
		return links, nil
	}
	fmt.Fprintf(in.w, "\nThe starter intents answer greetings, bug reports, contributing and more with these links; a response whose links are not set is left out, and an intent left with none. Enter - to skip one.\n")
	for _, l := range starter {
		if given[l.name] {
			continue
		}
		q := fmt.Sprintf("%s: %s (%d intents)", l.name, l.about, l.intents)
		if l.about == "" {
			q = fmt.Sprintf("%s (%d intents)", l.name, l.intents)
		}
		v, err := in.ask.line(q, links[l.name], func(s string) (string, error) {
			if s == "-" || s == "" {
				return "", nil
			}
			return checkLink(s)
		})
		if err != nil {
			return nil, err
		}
		if v == "" {
			delete(links, l.name)
		} else {
			links[l.name] = v
		}
	}
	return links, nil
}

func checkDocsFolder(dir string) error {
	if dir == "" {
		return errors.New("give the folder of the docs")
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("no such folder")
	}
	if !fi.IsDir() {
		return fmt.Errorf("not a folder")
	}
	files, err := countDocFiles(dir)
	if err != nil {
		return err
	}
	if files.total() == 0 {
		return fmt.Errorf("holds no Markdown (.md), reStructuredText (.rst) or text files")
	}
	return nil
}

// Examples of the addresses init asks for, for its error messages.
const (
	docsExample = "https://example.org/docs/"
	repoExample = "https://github.com/owner/project"
)

// checkURL accepts an absolute http(s) address.
func checkURL(s string) (string, error) { return checkURLLike(s, docsExample) }

// checkURLLike accepts an absolute http(s) address; its error shows
// example, and the address meant when the scheme was left out.
func checkURLLike(s, example string) (string, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if guess := guessURL(s); guess != "" {
			return "", fmt.Errorf("%q is not an address like %s (did you mean %s?)", s, example, guess)
		}
		return "", fmt.Errorf("%q is not an address like %s", s, example)
	}
	return s, nil
}

// guessURL is the https address s means when it lacks only its scheme,
// like gohugo.io or github.com/owner/project, or "".
func guessURL(s string) string {
	if s == "" || strings.Contains(s, "://") || strings.ContainsAny(s, " \t") {
		return ""
	}
	u, err := url.Parse("https://" + s)
	if err != nil || !strings.Contains(u.Hostname(), ".") || strings.HasPrefix(u.Hostname(), ".") || strings.HasSuffix(u.Hostname(), ".") {
		return ""
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

// expandHome expands a leading ~/ of an answer to the home folder, as a
// shell does for a flag's value but not for what is typed at a question.
func expandHome(s string) string {
	if s != "~" && !strings.HasPrefix(s, "~/") {
		return s
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return s // and the folder is not found, with the ~ shown
	}
	return filepath.Join(home, s[1:])
}

// checkLink accepts what the config's links: accepts: http(s) or mailto.
func checkLink(s string) (string, error) {
	s = strings.TrimSpace(s)
	if u, err := url.Parse(s); err == nil && u.Scheme == "mailto" && u.Opaque != "" {
		return s, nil
	}
	if _, err := checkURL(s); err != nil {
		return "", fmt.Errorf("%q is not an http(s) or mailto: link", s)
	}
	return s, nil
}

func nonEmpty(what string) func(string) (string, error) {
	return func(s string) (string, error) {
		if strings.TrimSpace(s) == "" {
			return "", fmt.Errorf("give %s", what)
		}
		return strings.TrimSpace(s), nil
	}
}

// newFile accepts a path where no file is, unless force.
func newFile(force bool) func(string) (string, error) {
	return func(s string) (string, error) {
		if s == "" {
			return "", errors.New("give the config file's name, like docent.yaml")
		}
		if _, err := os.Stat(s); err == nil && !force {
			return "", fmt.Errorf("%s exists: give another name (or run docent init --force to replace it)", s)
		}
		return s, nil
	}
}

// address asks q for an http(s) address like example, until one is
// given ("" too when optional); an address without its scheme, like
// gohugo.io, is offered back with https:// and taken on yes or Enter.
func (p *prompter) address(q, example string, optional bool) (string, error) {
	for {
		v, err := p.line(q, "", func(s string) (string, error) {
			if s == "" && optional {
				return "", nil
			}
			if v, err := checkURLLike(s, example); err == nil || guessURL(s) == "" {
				return v, err
			}
			return s, nil // a guess, offered next
		})
		if err != nil || v == "" {
			return v, err
		}
		guess := guessURL(v)
		if guess == "" { // an address as given
			return v, nil
		}
		yes, err := p.line("  Did you mean "+guess+"? (yes/no)", "yes", yesNo)
		if err != nil {
			return "", err
		}
		if yes == "yes" {
			return guess, nil
		}
	}
}

func yesNo(s string) (string, error) {
	switch strings.ToLower(s) {
	case "y", "yes":
		return "yes", nil
	case "n", "no":
		return "no", nil
	}
	return "", fmt.Errorf("answer yes or no")
}

// prompter asks questions on a terminal, or on any reader in tests.
type prompter struct {
	in  *bufio.Reader
	out io.Writer
}

// errInputEnded is returned when the answers end before the questions.
var errInputEnded = errors.New("the input ended before every question was answered")

// line asks q until check accepts the answer (the default for an empty
// one), and returns what check made of it.
func (p *prompter) line(q, def string, check func(string) (string, error)) (string, error) {
	for {
		if def != "" {
			fmt.Fprintf(p.out, "%s [%s]: ", q, def)
		} else {
			fmt.Fprintf(p.out, "%s: ", q)
		}
		s, err := p.in.ReadString('\n')
		if err != nil && (err != io.EOF || s == "") {
			fmt.Fprintln(p.out)
			if err == io.EOF {
				return "", errInputEnded
			}
			return "", fmt.Errorf("init: read the answer: %w", err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			s = def
		}
		v, err := check(s)
		if err == nil {
			return v, nil
		}
		fmt.Fprintf(p.out, "  %v\n", err)
	}
}

// renderInit writes the config: short, with comments that say where the
// rest is.
func renderInit(cfgPath, name string, folders []initFolder, links map[string]string) []byte {
	var b strings.Builder
	dir := filepath.Dir(cfgPath)
	base := strings.TrimSuffix(filepath.Base(cfgPath), filepath.Ext(cfgPath))
	fmt.Fprintf(&b, "# Docent for the %s community, written by `docent init`.\n", oneLineComment(name))
	fmt.Fprintf(&b, "# Run it: docent --config %s   Check it: docent config check %s\n", filepath.Base(cfgPath), filepath.Base(cfgPath))
	fmt.Fprintf(&b, "# Every option, with its default: config.example.yaml and docs/guide/configuration.md.\n\n")
	fmt.Fprintf(&b, "bot:\n  community: %s\n\n", yamlString(name))

	fmt.Fprintf(&b, "# The starter intents built into Docent (greetings, bug reports, contributing…)\n")
	fmt.Fprintf(&b, "# answer with these links; a response whose links are not all here is left\n")
	fmt.Fprintf(&b, "# out (an intent when none is left), and one warning at start names the\n")
	fmt.Fprintf(&b, "# links to add. To change the intents:\n")
	fmt.Fprintf(&b, "#   docent intents export --config %s --out intents\n", filepath.Base(cfgPath))
	fmt.Fprintf(&b, "# then add `brain: {intents: [intents]}` here.\n")
	fmt.Fprintf(&b, "links:\n")
	var names []string
	for n := range links {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %s: %s\n", n, yamlString(links[n]))
	}

	fmt.Fprintf(&b, "\nstore:\n  path: %s\n\n", yamlString("data/"+base+".db"))

	fmt.Fprintf(&b, "# The docs Docent answers from, linked as their site publishes them.\n")
	fmt.Fprintf(&b, "knowledge:\n  folders:\n")
	for _, f := range folders {
		p := f.path
		if rel, err := filepath.Rel(dir, f.path); err == nil && !strings.HasPrefix(rel, "..") {
			p = filepath.ToSlash(rel)
		}
		fmt.Fprintf(&b, "    # %s (%s)", f.gen.label, oneLineComment(f.evidence))
		if len(f.overrides) > 0 {
			fmt.Fprintf(&b, "; given: %s", strings.Join(f.overrides, ", "))
		}
		fmt.Fprintf(&b, "\n    - path: %s\n      base_url: %s\n      links: %s\n", yamlString(p), yamlString(f.site), f.gen.links)
		if f.gen.trailingSlash {
			fmt.Fprintf(&b, "      trailing_slash: true\n")
		}
		if f.gen.lowercase {
			fmt.Fprintf(&b, "      lowercase: true\n")
		}
		fmt.Fprintf(&b, "      anchors: %s\n", f.gen.anchors)
	}
	fmt.Fprintf(&b, "\n# The console is on: questions typed (or piped) in the terminal. Discord,\n")
	fmt.Fprintf(&b, "# Slack and the web chat: see docs/guide/configuration.md.\n")
	return []byte(b.String())
}

func oneLineComment(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// yamlString is s as a YAML scalar, quoted where YAML needs it.
func yamlString(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// writeInit checks the config as `docent config check` would and writes it.
func (c *Env) writeInit(data []byte, cfgPath string, force bool) int {
	dataDir := filepath.Join(filepath.Dir(cfgPath), "data")
	made := false
	if _, err := os.Stat(dataDir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(dataDir, 0o700); err != nil {
			fmt.Fprintf(c.Stderr, "docent init: create the database's folder: %v\n", err)
			return exitError
		}
		made = true
	}
	shown := cfgPath
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, cfgPath); err == nil && !strings.HasPrefix(rel, "..") {
			shown = rel
		}
	}
	cfg, err := bot.ParseConfig(shown, data, c.starterIntents())
	var warning string
	if err == nil {
		warning, err = checkConfig(cfg)
	}
	if err == nil {
		err = writeNew(cfgPath, data, force)
	}
	if err != nil {
		if made {
			os.Remove(dataDir)
		}
		fmt.Fprintf(c.Stderr, "docent init: %v\n", err)
		return exitError
	}
	fmt.Fprintf(c.Stdout, "Wrote %s, checked as `docent config check` checks it.\n", shown)
	if warning != "" {
		fmt.Fprintf(c.Stdout, "warning: %s\n", warning)
	}
	fmt.Fprintf(c.Stdout, "Next: docent --config %s   (then ask a question; Ctrl-D ends)\n", shown)
	return exitOK
}

// writeNew writes data to name: never over a file that exists unless
// force, and never half: a replaced file is renamed into place.
func writeNew(name string, data []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists: give another --out, or --force to replace it", name)
		}
		if err != nil {
			return fmt.Errorf("write the config: %w", err)
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(name)
			return fmt.Errorf("write the config %s: %w", name, err)
		}
		return nil
	}
	if err := writeFileAtomic(name, data); err != nil {
		return fmt.Errorf("write the config: %w", err)
	}
	return nil
}
