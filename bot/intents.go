package bot

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/chat"
)

// intentsFile is the shape of one intents YAML file.
type intentsFile struct {
	Intents []intentSpec `yaml:"intents"`
}

type intentSpec struct {
	Name                string              `yaml:"name"`
	Description         string              `yaml:"description"`
	Patterns            []string            `yaml:"patterns"`
	Responses           []string            `yaml:"responses"`
	ResponsesByLanguage map[string][]string `yaml:"responses_by_language"`
	Threshold           *float64            `yaml:"threshold"`
	Margin              *float64            `yaml:"margin"`
}

var intentName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// languages are those tokenize.Script can tell from the text alone.
var languages = []string{"zh", "ja", "ko"}

// LoadIntents reads every intents file the config names. Every problem in
// every file is reported at once, each with its file, line and field.
func (c *Config) LoadIntents() ([]brain.Intent, error) {
	var (
		out  []brain.Intent
		errs config.Errors
		seen = map[string]string{} // intent name → where it was first defined
	)
	space, paths := c.intentSources()
	for i, p := range paths {
		files, err := space.walk(p)
		if err != nil {
			errs = append(errs, &config.Error{Pos: config.Pos{File: c.File}, Path: fmt.Sprintf("brain.intents[%d]", i), Msg: err.Error()})
			continue
		}
		if len(files) == 0 {
			errs = append(errs, &config.Error{Pos: config.Pos{File: c.File}, Path: fmt.Sprintf("brain.intents[%d]", i),
				Msg: fmt.Sprintf("%s holds no .yaml or .yml files", space.show(p))})
		}
		for _, f := range files {
			data, err := space.readFile(f)
			if err != nil {
				errs = append(errs, &config.Error{Pos: config.Pos{File: f}, Msg: err.Error()})
				continue
			}
			var file intentsFile
			// Intent responses are shown to members: never expand
			// environment variables (secrets) into them.
			pos, err := config.Decode(f, data, &file, config.Options{NoEnv: true})
			if err != nil {
				var ce config.Errors
				if !errors.As(err, &ce) {
					return nil, err
				}
				errs = append(errs, ce...)
			}
			if !pos.Has("intents") && err == nil {
				errs = append(errs, pos.Errorf("intents", "no intents: the file must have a top-level intents: list"))
			}
			for j, spec := range file.Intents {
				path := fmt.Sprintf("intents[%d]", j)
				bad := func(field, format string, args ...any) {
					p := path
					if field != "" {
						p += "." + field
					}
					errs = append(errs, pos.Errorf(p, format, args...))
				}
				at := pos.At(path)
				where := fmt.Sprintf("%s:%d", f, at.Line)
				switch {
				case spec.Name == "":
					bad("name", "is required")
				case !intentName.MatchString(spec.Name):
					bad("name", "%q: use lowercase letters, digits, _ . and -, like report_bug", spec.Name)
				case seen[spec.Name] != "":
					bad("name", "intent %q is already defined at %s", spec.Name, seen[spec.Name])
				default:
					seen[spec.Name] = where
				}
				if len(spec.Patterns) == 0 {
					bad("patterns", "needs at least one example of what members write")
				}
				if len(spec.Responses) == 0 {
					bad("responses", "needs at least one response")
				}
				for lang := range spec.ResponsesByLanguage {
					if !slices.Contains(languages, lang) {
						bad("responses_by_language."+lang, "unknown language %q: Docent recognises %v by their script", lang, languages)
					}
				}
				for field, v := range map[string]*float64{"threshold": spec.Threshold, "margin": spec.Margin} {
					if v != nil && !(*v >= 0 && *v <= 1) {
						bad(field, "must be between 0 and 1, got %g", *v)
					}
				}
				out = append(out, brain.Intent{
					Name: spec.Name, Description: spec.Description, Patterns: spec.Patterns,
					Responses: spec.Responses, ResponsesByLanguage: spec.ResponsesByLanguage,
					Threshold: spec.Threshold, Margin: spec.Margin, Where: where,
				})
			}
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Intents are the intents files as loaded, and those of them in use.
type Intents struct {
	// All are the intents as the files define them; the docs index
	// weighs words by their patterns, whichever are in use.
	All []brain.Intent
	// Use are those with a response whose links are all set in the
	// config, with only such responses.
	Use []brain.Intent
	// LeftOut names the others, the responses left out of those in use,
	// and the links they wait for.
	LeftOut LeftOut
}

// LeftOut names what is left out because it uses links that the config's
// links: section does not set: the intents none of whose responses can
// be rendered, and the responses of the others that cannot.
type LeftOut struct {
	File    string   // the config file, where the links go
	Intents []string // left out whole, in definition order
	// Trimmed are the intents in use that lost Responses responses
	// between them, in definition order.
	Trimmed   []string
	Responses int
	Links     []string // the links to add, sorted
}

// String is the one warning line for the admin; "" when nothing is left out.
func (l LeftOut) String() string {
	var parts []string
	if n := len(l.Intents); n > 0 {
		verb, their := "are", "their"
		if n == 1 {
			verb, their = "is", "its"
		}
		parts = append(parts, fmt.Sprintf("%s %s left out until %s links are set (%s)",
			chat.Plural(n, "intent"), verb, their, strings.Join(l.Intents, ", ")))
	}
	if n := len(l.Trimmed); n > 0 {
		responses, trimmed := chat.Plural(l.Responses, "response"), strings.Join(l.Trimmed, ", ")
		if len(parts) > 0 {
			parts = append(parts, fmt.Sprintf("%s of %s (%s)", responses, chat.Plural(n, "other intent"), trimmed))
		} else {
			verb := "are"
			if l.Responses == 1 {
				verb = "is"
			}
			parts = append(parts, fmt.Sprintf("%s of %s %s left out until their links are set (%s)",
				responses, chat.Plural(n, "intent"), verb, trimmed))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %s: add %s under links:", l.File, strings.Join(parts, ", and "), strings.Join(l.Links, ", "))
}

// Intents loads the intents files and leaves out the responses that use a
// link the config does not set, and the intents left with no response: a
// new community's config answers from its docs with the starter intents it
// has links for, instead of failing on the others.
func (c *Config) Intents() (Intents, error) {
	all, err := c.LoadIntents()
	if err != nil {
		return Intents{}, err
	}
	x := Intents{All: all, LeftOut: LeftOut{File: c.File}}
	missing := map[string]bool{}
	for _, in := range all {
		use, dropped := c.renderable(in, missing)
		switch {
		case len(use.Responses) == 0:
			x.LeftOut.Intents = append(x.LeftOut.Intents, in.Name)
			continue
		case dropped > 0:
			x.LeftOut.Trimmed = append(x.LeftOut.Trimmed, in.Name)
			x.LeftOut.Responses += dropped
		}
		x.Use = append(x.Use, use)
	}
	for name := range missing {
		x.LeftOut.Links = append(x.LeftOut.Links, name)
	}
	slices.Sort(x.LeftOut.Links)
	return x, nil
}

// renderable is in with only the responses whose links the config sets
// (a language left with none answers in the default responses); it adds
// the links the others use and the config lacks to missing, and returns
// how many responses it left out.
func (c *Config) renderable(in brain.Intent, missing map[string]bool) (brain.Intent, int) {
	dropped := 0
	keep := func(responses []string) []string {
		var out []string
		for _, r := range responses {
			used := map[string]bool{}
			brain.ResponseLinks(r, used)
			lacks := false
			for name := range used {
				if _, ok := c.Links[name]; !ok {
					missing[name], lacks = true, true
				}
			}
			if lacks {
				dropped++
				continue
			}
			out = append(out, r)
		}
		return out
	}
	in.Responses = keep(in.Responses)
	if in.ResponsesByLanguage != nil {
		byLang := map[string][]string{}
		for lang, rs := range in.ResponsesByLanguage {
			if kept := keep(rs); len(kept) > 0 {
				byLang[lang] = kept
			}
		}
		in.ResponsesByLanguage = byLang
	}
	return in, dropped
}
