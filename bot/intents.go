package bot

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/brain"
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
	for i, p := range c.Brain.Intents {
		files, err := c.files.walk(p)
		if err != nil {
			errs = append(errs, &config.Error{Pos: config.Pos{File: c.File}, Path: fmt.Sprintf("brain.intents[%d]", i), Msg: err.Error()})
			continue
		}
		if len(files) == 0 {
			errs = append(errs, &config.Error{Pos: config.Pos{File: c.File}, Path: fmt.Sprintf("brain.intents[%d]", i),
				Msg: fmt.Sprintf("%s holds no .yaml or .yml files", c.files.show(p))})
		}
		for _, f := range files {
			data, err := c.files.readFile(f)
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
