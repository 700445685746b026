package bot

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/docent-bot/docent/bot/config"
	"github.com/docent-bot/docent/bot/module"
)

// Command is a chat command (module.Command): the built-in ones and the
// modules' share one set.
type Command = module.Command

// Commands is a set of commands with their prefix.
type Commands struct {
	prefix string
	byName map[string]*Command
	order  []string
}

// NewCommands returns an empty set for prefix.
func NewCommands(prefix string) *Commands {
	return &Commands{prefix: prefix, byName: map[string]*Command{}}
}

// Add registers c; adding a name twice is a programming error.
func (cs *Commands) Add(c Command) {
	if _, dup := cs.byName[c.Name]; dup {
		panic("bot: command " + c.Name + " added twice")
	}
	cs.byName[c.Name] = &c
	cs.order = append(cs.order, c.Name)
}

// Parse recognises a command in text: the prefix, then the command's name,
// then its arguments. ok is false when text is not a command at all;
// cmd is nil when it is written like one but no command has that name.
func (cs *Commands) Parse(text string) (cmd *Command, name, args string, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(text), cs.prefix)
	if first, _ := utf8.DecodeRuneInString(rest); !found || !unicode.IsLetter(first) {
		return nil, "", "", false
	}
	end := strings.IndexFunc(rest, unicode.IsSpace)
	if end < 0 {
		end = len(rest)
	}
	name = strings.ToLower(rest[:end])
	return cs.byName[name], name, strings.TrimSpace(rest[end:]), true
}

// Help lists the commands that work here, sorted by name; admin commands
// only for admins, marked as theirs.
func (cs *Commands) Help(admin bool) string {
	names := slices.Clone(cs.order)
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("Ask me anything in plain words, or use a command:\n")
	for _, n := range names {
		c := cs.byName[n]
		if c.Admin && !admin || c.Unavailable != "" {
			continue
		}
		usage := cs.prefix + c.Name
		if c.Args != "" {
			usage += " " + c.Args
		}
		admin := ""
		if c.Admin {
			admin = " (admins)"
		}
		fmt.Fprintf(&b, "• `%s` — %s%s\n", usage, c.Summary, admin)
	}
	if admin {
		// The console's user is an admin: say so, or they take the admin
		// commands for what every member sees.
		b.WriteString("Commands marked (admins) are for the admins alone; you see them because you are one here.")
	}
	return strings.TrimRight(b.String(), "\n")
}

// Unknown is the reply to a command nobody defined, with the closest real
// one when there is a near miss.
func (cs *Commands) Unknown(name string) string {
	if best := config.Closest(name, cs.order); best != "" {
		return fmt.Sprintf("I don't know the command `%s%s`. Did you mean `%s%s`? `%shelp` lists them all.", cs.prefix, name, cs.prefix, best, cs.prefix)
	}
	return fmt.Sprintf("I don't know the command `%s%s`. `%shelp` lists the commands I know.", cs.prefix, name, cs.prefix)
}
