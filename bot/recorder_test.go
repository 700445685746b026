package bot

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// tallies is a module with a recorder: it counts the members' messages
// that are not commands, as they are stored, and !tally reads the count.
type tallies struct{ st store.Buckets }

var talliesBucket = store.NewBucket("tallies")

func (*tallies) Name() string { return "tallies" }

func (t *tallies) Provision(_ context.Context, h *module.Host) error {
	t.st = h.Store
	return nil
}

func (*tallies) Recorders(env module.RecordEnv) []store.Recorder {
	return []store.Recorder{tally{env.Prefix}}
}

func (t *tallies) Commands() []module.Command {
	return []module.Command{{Name: "tally", Summary: "how many messages",
		Run: func(ctx context.Context, m *module.Message, _ string) (chat.Answer, error) {
			var n uint64
			err := t.st.View(ctx, func(tx *store.Tx) error {
				if v := tx.Get(talliesBucket, []byte("all")); len(v) == 8 {
					n = binary.BigEndian.Uint64(v)
				}
				return nil
			})
			return chat.Answer{Text: fmt.Sprintf("%d messages", n)}, err
		}}}
}

type tally struct{ prefix string }

func (tally) Key() string { return "tallies" }

func (r tally) Record(tx *store.Tx, recs []store.Record) error {
	var n uint64
	if v := tx.Get(talliesBucket, []byte("all")); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	for _, rec := range recs {
		if rec.Kind == store.KindMessage && !strings.HasPrefix(rec.Text, r.prefix) {
			n++
		}
	}
	return tx.Put(talliesBucket, []byte("all"), binary.BigEndian.AppendUint64(nil, n))
}

// TestModuleRecorder: a module's recorder, wired by the bot with the
// command prefix, sees every message as it is stored.
func TestModuleRecorder(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, "bot:\n  command_prefix: \"?\"\n"), WithModules(func() module.Module { return &tallies{} }))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bot.RateLimit = RateLimitConfig{}
	b, err := Open(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeBot(t, b)
	conv := chat.Conversation{Platform: "discord", Channel: "c1"}
	for _, text := range []string{"hello", "how do I install it", "?ping"} {
		bottest.Ask(t, b.Inbox(), conv, alice, text)
	}
	if got := bottest.Ask(t, b.Inbox(), conv, alice, "?tally"); len(got) != 1 || got[0].Text != "2 messages" {
		t.Errorf("?tally: %+v, want 2 messages (commands are not counted)", got)
	}
}
