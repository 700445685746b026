package bot

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/docent-bot/docent/bot/lessons"
	"github.com/docent-bot/docent/brain"
)

// IntentsExport is the intents as Docent uses them, the intents files plus
// what admins taught in chat, grouped by the file each came from, for
// `docent intents export`: admins commit what was taught into their files.
type IntentsExport struct {
	Files []ExportFile
	// LeftOut says which lessons Docent does not use, and why (an intent
	// created in chat with no pattern yet, say): they are not exported.
	LeftOut []string
}

// ExportFile is the intents of one intents file, or those created in chat.
type ExportFile struct {
	// Source is the intents file as read; "" for the intents created in chat.
	Source string
	// Name is the file name to write it under, unique in the export: the
	// source's base name, or taught-in-chat.yaml.
	Name    string
	Intents []ExportIntent
}

// ExportIntent is an intent as Docent uses it.
type ExportIntent struct {
	brain.Intent
	Source string // as in ExportFile
	// Lessons are the IDs of the lessons that created the intent or added
	// patterns to it; none when it is as its file has it.
	Lessons []uint64
}

// Changed reports whether lessons created the intent or added patterns.
func (in ExportIntent) Changed() bool { return len(in.Lessons) > 0 }

// chatFileName is the export's file for intents created in chat.
const chatFileName = "taught-in-chat.yaml"

// ExportIntents loads the intents files and the lessons as Docent does at
// start and returns them for export.
func ExportIntents(ctx context.Context, cfg *Config, log *slog.Logger) (IntentsExport, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	intents, err := cfg.LoadIntents()
	if err != nil {
		return IntentsExport{}, err
	}
	st, err := OpenStore(cfg, log)
	if err != nil {
		return IntentsExport{}, err
	}
	defer st.Close()
	taught, err := lessons.Read(ctx, st)
	if err != nil {
		return IntentsExport{}, err
	}
	return exportIntents(cfg.brainConfig(), log, intents, taught), nil
}

// exportIntents applies the lessons to the intents as Open does, and notes
// which lessons changed which intent.
func exportIntents(bc brain.Config, log *slog.Logger, intents []brain.Intent, taught []lessons.Taught) IntentsExport {
	fromFiles := map[string]int{} // intent → its number of patterns in its file
	for _, in := range intents {
		fromFiles[in.Name] = len(in.Patterns)
	}
	applied := lessons.Apply(slices.Clone(intents), taught)
	added := map[string]string{}
	for _, in := range applied {
		if in.Where == lessons.Where {
			added[in.Name] = "taught"
		}
	}
	used := usableIntents(bc, log, slices.Clone(applied), added)

	var x IntentsExport
	inUse := map[string]bool{}
	for _, in := range used {
		inUse[in.Name] = true
	}
	for _, l := range taught {
		if _, ok := inUse[l.Intent]; ok {
			continue
		}
		switch {
		case l.Response != "":
			why := "no pattern was taught to it yet"
			if slices.ContainsFunc(applied, func(a brain.Intent) bool { return a.Name == l.Intent }) {
				why = "its response no longer works (see the log)"
			}
			x.LeftOut = append(x.LeftOut, fmt.Sprintf("lesson #%d: the intent %s created in chat: %s", l.ID, l.Intent, why))
		case !slices.ContainsFunc(taught, func(c lessons.Taught) bool { return c.Intent == l.Intent && c.Response != "" }):
			x.LeftOut = append(x.LeftOut, fmt.Sprintf("lesson #%d: a pattern of %s, which no intents file defines any more", l.ID, l.Intent))
		}
	}

	byFile := map[string]int{} // source → index in x.Files
	names := map[string]bool{}
	for _, in := range used {
		src := ""
		if in.Where != lessons.Where {
			src = in.Where
			if i := strings.LastIndexByte(src, ':'); i > 0 {
				src = src[:i]
			}
		}
		ei := ExportIntent{Intent: in, Source: src, Lessons: lessonsOf(in, fromFiles, taught)}
		i, ok := byFile[src]
		if !ok {
			name := chatFileName
			if src != "" {
				name = filepath.Base(src)
			}
			name = uniqueName(name, names)
			i = len(x.Files)
			byFile[src] = i
			x.Files = append(x.Files, ExportFile{Source: src, Name: name})
		}
		x.Files[i].Intents = append(x.Files[i].Intents, ei)
	}
	// The intents created in chat come last, as in Docent's own order.
	if i, ok := byFile[""]; ok && i != len(x.Files)-1 {
		f := x.Files[i]
		x.Files = append(slices.Delete(x.Files, i, i+1), f)
	}
	return x
}

// lessonsOf lists the lessons that changed in: the one that created it,
// and those whose pattern its file did not have.
func lessonsOf(in brain.Intent, fromFiles map[string]int, taught []lessons.Taught) []uint64 {
	n, inFile := fromFiles[in.Name]
	filePatterns := []string(nil)
	if inFile {
		filePatterns = in.Patterns[:n]
	}
	var ids []uint64
	for _, l := range taught {
		if l.Intent != in.Name {
			continue
		}
		switch {
		case l.Response != "" && !inFile:
			ids = append(ids, l.ID)
		case l.Pattern != "" && !slices.Contains(filePatterns, l.Pattern):
			ids = append(ids, l.ID)
		}
	}
	return ids
}

// uniqueName returns name, or name with -2, -3, … before its extension,
// whichever is not taken yet, and takes it.
func uniqueName(name string, taken map[string]bool) string {
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	out := name
	for i := 2; taken[out]; i++ {
		out = fmt.Sprintf("%s-%d%s", base, i, ext)
	}
	taken[out] = true
	return out
}

// Changed returns the intents that lessons created or added patterns to,
// each complete (all its patterns and responses), in Docent's order.
func (x IntentsExport) Changed() []ExportIntent {
	var out []ExportIntent
	for _, f := range x.Files {
		for _, in := range f.Intents {
			if in.Changed() {
				out = append(out, in)
			}
		}
	}
	return out
}

// ChangedYAML renders Changed as one intents file, with comments that say
// where each intent belongs, for an admin to merge into their files. It
// is nil when nothing was taught in chat.
func (x IntentsExport) ChangedYAML() ([]byte, error) {
	changed := x.Changed()
	if len(changed) == 0 {
		return nil, nil
	}
	var lessons []uint64
	for _, in := range changed {
		lessons = append(lessons, in.Lessons...)
	}
	slices.Sort(lessons)
	ids := make([]string, len(lessons))
	for i, id := range lessons {
		ids[i] = fmt.Sprint(id)
	}
	header := "The intents that lessons taught in chat changed, exported by `docent intents export`.\n" +
		"Each is complete: replace the intent of the same name in the file named above it with it,\n" +
		"and put those created in chat in any intents file. Then remove the lessons, which your\n" +
		"files now hold: docent lessons rm " + strings.Join(ids, " ")
	return intentsYAML(header, changed, true)
}

// YAML renders the file's intents as an intents file.
func (f ExportFile) YAML() ([]byte, error) {
	header := "Intents created in chat, exported by `docent intents export`."
	if f.Source != "" {
		header = fmt.Sprintf("The intents of %s with the patterns taught in chat, exported by\n"+
			"`docent intents export`. Comments of the original file are not kept.", f.Source)
	}
	return intentsYAML(header, f.Intents, false)
}

// exportSpec is intentSpec as written: fields not set are left out.
type exportSpec struct {
	Name                string              `yaml:"name"`
	Description         string              `yaml:"description,omitempty"`
	Patterns            []string            `yaml:"patterns"`
	Responses           []string            `yaml:"responses"`
	ResponsesByLanguage map[string][]string `yaml:"responses_by_language,omitempty"`
	Threshold           *float64            `yaml:"threshold,omitempty"`
	Margin              *float64            `yaml:"margin,omitempty"`
}

// intentsYAML writes intents in the shape LoadIntents reads, each changed
// one under a comment naming its lessons (and, with sources, its file).
func intentsYAML(header string, intents []ExportIntent, sources bool) ([]byte, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, in := range intents {
		var n yaml.Node
		spec := exportSpec{Name: in.Name, Description: in.Description, Patterns: in.Patterns, Responses: in.Responses,
			ResponsesByLanguage: in.ResponsesByLanguage, Threshold: in.Threshold, Margin: in.Margin}
		if err := n.Encode(spec); err != nil {
			return nil, fmt.Errorf("export intent %s: %w", in.Name, err)
		}
		var notes []string
		if sources && in.Source != "" {
			notes = append(notes, "in "+in.Source)
		}
		if in.Changed() {
			ids := make([]string, len(in.Lessons))
			for i, id := range in.Lessons {
				ids[i] = fmt.Sprintf("#%d", id)
			}
			what := "patterns taught in chat"
			if in.Source == "" {
				what = "created in chat"
			}
			notes = append(notes, fmt.Sprintf("%s: lessons %s", what, strings.Join(ids, ", ")))
		}
		n.HeadComment = strings.Join(notes, "; ")
		seq.Content = append(seq.Content, &n)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: header, Content: []*yaml.Node{{
		Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "intents"}, seq},
	}}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("export intents: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("export intents: %w", err)
	}
	return buf.Bytes(), nil
}
