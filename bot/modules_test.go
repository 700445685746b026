package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/module"
)

// sectionModule is a module whose name and Config are whatever a test
// needs.
type sectionModule struct {
	name   string
	config func() any
}

func (s *sectionModule) Name() string           { return s.name }
func (s *sectionModule) Config() any            { return s.config() }
func (s *sectionModule) Validate(*module.Check) {}

type sectionConfig struct {
	Max int `yaml:"max"`
}

// A module whose name or Config cannot hold a section is refused with an
// error that names it, never a panic, and never a section decoded into
// nothing.
func TestModuleSectionMistakes(t *testing.T) {
	shared := sectionConfig{}
	n := 3
	for _, tt := range []struct {
		what, name string
		config     func() any
		want       string
	}{
		{"a struct, not a pointer", "p", func() any { return shared }, "pointer"},
		{"nil", "p", func() any { return nil }, "pointer"},
		{"a pointer to an int", "p", func() any { return &n }, "pointer"},
		{"a new pointer each call", "p", func() any { return &sectionConfig{} }, "the same each time"},
		{"a name with a tag option", "a,inline", func() any { return &shared }, "not a section name"},
		{"the name -", "-", func() any { return &shared }, "not a section name"},
		{"an upper-case name", "Notes", func() any { return &shared }, "not a section name"},
	} {
		t.Run(tt.what, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v", r)
				}
			}()
			_, err := LoadConfig(writeConfig(t, "max: 5\n"), WithModules(&sectionModule{name: tt.name, config: tt.config}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// provisioned records what a module went through.
type provisioned struct {
	name   string
	fail   bool
	events *[]string
}

func (p *provisioned) Name() string { return p.name }

func (p *provisioned) Provision(context.Context, *module.Host) error {
	*p.events = append(*p.events, "provision "+p.name)
	if p.fail {
		return errors.New("no licence key")
	}
	return nil
}

func (p *provisioned) Cleanup() error {
	*p.events = append(*p.events, "cleanup "+p.name)
	return nil
}

// When a module fails to provision, Open fails naming it, and the modules
// provisioned before it are cleaned up: nobody calls Close on a bot that
// did not open.
func TestProvisionFailureCleansUp(t *testing.T) {
	var events []string
	cfg, err := LoadConfig(writeConfig(t, ""), WithModules(&provisioned{name: "first", events: &events},
		&provisioned{name: "second", fail: true, events: &events}, &provisioned{name: "third", events: &events}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), cfg, Options{}); err == nil || !strings.Contains(err.Error(), "module second: no licence key") {
		t.Errorf("Open: %v, want the module's error with its name", err)
	}
	if want := []string{"provision first", "provision second", "cleanup first"}; !slices.Equal(events, want) {
		t.Errorf("modules saw %v, want %v", events, want)
	}
}
