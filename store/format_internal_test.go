package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
)

// oldValues are record values exactly as the code before replies and
// reactions wrote them (format 1), with the records they hold.
var oldValues = []struct {
	key []byte
	val string
	rec Record
}{
	{
		key: recordKey(appendConversation(nil, chat.Conversation{Platform: "discord", Channel: "help", Thread: "t1"}), 6),
		val: `{"v":1,"kind":"message","space":"g1","time":"2026-11-01T09:01:12.345Z","author":{"id":"201","name":"Ada"},"text":"how do I reset the intent model?","platform_id":"1002"}`,
		rec: Record{ID: 6, Kind: KindMessage, Conversation: chat.Conversation{Platform: "discord", Channel: "help", Thread: "t1"}, Space: "g1",
			Time: time.Date(2026, 11, 1, 9, 1, 12, 345000000, time.UTC), Author: chat.Member{ID: "201", Name: "Ada"},
			Text: "how do I reset the intent model?", PlatformID: "1002"},
	},
	{
		key: recordKey(appendConversation(nil, chat.Conversation{Platform: "discord", Channel: "help"}), 7),
		val: `{"v":1,"kind":"answer","time":"2026-11-01T09:01:13Z","author":{"id":"docent","name":"Docent","bot":true},"text":"Run ` + "`docent train`" + `.","platform_id":"1003","reply_to":7,"source":"intent","intent":"train","confidence":0.93}`,
		rec: Record{ID: 7, Kind: KindAnswer, Conversation: chat.Conversation{Platform: "discord", Channel: "help"},
			Time: time.Date(2026, 11, 1, 9, 1, 13, 0, time.UTC), Author: chat.Member{ID: "docent", Name: "Docent", Bot: true},
			Text: "Run `docent train`.", PlatformID: "1003", ReplyTo: 7, Source: chat.SourceIntent, Intent: "train", Confidence: 0.93},
	},
}

// TestRecordFormatUnchanged: a record the old code wrote reads as it did,
// with no reply and no reactions, and format 1's encoder (kept for tests
// and benchmarks) writes a record without them byte for byte as before.
func TestRecordFormatUnchanged(t *testing.T) {
	boltOnly(t, "record encoding, no database")
	for _, o := range oldValues {
		got, err := decodeRecord(o.key, []byte(o.val))
		if err != nil {
			t.Fatalf("decode %s: %v", o.val, err)
		}
		if !reflect.DeepEqual(got, o.rec) {
			t.Errorf("decoded\n %+v\nwant\n %+v", got, o.rec)
		}
		b, err := encodeRecordJSON(o.rec)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != o.val {
			t.Errorf("encoded\n %s\nthe old code wrote\n %s", b, o.val)
		}
	}
}
