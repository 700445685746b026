package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/docent-bot/docent/adapters/console"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// historyCommands prints what the database holds of a conversation.
func historyCommands() []Command {
	return []Command{
		{Name: "history", Group: "History and analytics", Args: "[--config FILE] [--db FILE] [--list] [--platform P --channel C --thread T] [--limit N] [--json]", Summary: "print a stored conversation (the console's by default)", Run: (*Env).history},
	}
}

func (c *Env) history(args []string) int {
	fs := c.Flags()
	data := newDataFlags(fs, "configuration `FILE` (for the database path)", true)
	list := fs.Bool("list", false, "list the stored conversations instead")
	platform := fs.String("platform", console.Conversation.Platform, "the conversation's `platform`")
	channel := fs.String("channel", console.Conversation.Channel, "the conversation's `channel`")
	thread := fs.String("thread", "", "the conversation's `thread` (empty for the channel itself)")
	limit := fs.Int("limit", 50, "show the newest `N` records (0 for all)")
	jsonOut := fs.Bool("json", false, "one JSON record a line")
	cfg, code, done := c.setupData(fs, args, data)
	if done {
		return code
	}
	st, ok := c.openExisting("history", cfg)
	if !ok {
		return exitError
	}
	defer st.Close()
	ctx := context.Background()
	enc := json.NewEncoder(c.Stdout)

	if *list {
		convs, err := st.Conversations(ctx)
		if err != nil {
			fmt.Fprintln(c.Stderr, err)
			return exitError
		}
		for _, cv := range convs {
			if *jsonOut {
				enc.Encode(cv)
				continue
			}
			fmt.Fprintf(c.Stdout, "%-40s %6d records, last %s\n", cv.Conversation, cv.Records, cv.Last.Local().Format(time.DateTime))
		}
		return exitOK
	}
	conv := chat.Conversation{Platform: *platform, Channel: *channel, Thread: *thread}
	recs, err := st.Conversation(ctx, conv, *limit)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return exitError
	}
	if len(recs) == 0 {
		fmt.Fprintf(c.Stderr, "docent history: nothing stored for %s (docent history --list shows what there is)\n", conv)
		return exitError
	}
	for _, r := range chatOrder(recs) {
		if *jsonOut {
			enc.Encode(r)
			continue
		}
		printRecord(c.Stdout, r)
	}
	return exitOK
}

// chatOrder puts records oldest first, each answer right after the message
// it answers (messages can arrive faster than answers are written).
func chatOrder(recs []store.Record) []store.Record {
	out := slices.Clone(recs)
	key := func(r store.Record) uint64 {
		if r.Kind == store.KindAnswer && r.ReplyTo != 0 {
			return r.ReplyTo
		}
		return r.ID
	}
	slices.SortStableFunc(out, func(a, b store.Record) int {
		return cmp.Or(cmp.Compare(key(a), key(b)), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func printRecord(w io.Writer, r store.Record) {
	who := r.Author.Name
	if who == "" {
		who = r.Author.ID
	}
	meta := ""
	if r.Kind == store.KindAnswer {
		meta = fmt.Sprintf(" [%s", r.Source)
		if r.Intent != "" {
			meta += " " + r.Intent
		}
		if r.Source == chat.SourceIntent || r.Source == chat.SourceFallback {
			meta += fmt.Sprintf(" %.2f", r.Confidence)
		}
		meta += "]"
	}
	text := strings.ReplaceAll(r.Text, "\n", "\n    ")
	fmt.Fprintf(w, "%s  #%d %s%s: %s\n", r.Time.Local().Format(time.DateTime), r.ID, who, meta, text)
}
