package store_test

import (
	"bytes"
	"testing"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// FuzzConversationKey checks that record keys round-trip for any strings,
// that distinct conversations never share a key prefix (so a listing never
// mixes them), and that parsing arbitrary bytes never panics.
func FuzzConversationKey(f *testing.F) {
	f.Add("discord", "123", "456", "discord", "1234", "56", uint64(1))
	f.Add("p", "a", "", "p", "ab", "", uint64(7))
	f.Add("p", "x", "", "p", "x", "y", uint64(1<<63))
	f.Add("pa", "bc", "", "pab", "c", "", uint64(0))
	f.Add("", "", "", "\x00", "\xff", "\x01\x00", ^uint64(0))
	f.Fuzz(func(t *testing.T, p1, c1, t1, p2, c2, t2 string, id uint64) {
		a, b := chat.Conversation{Platform: p1, Channel: c1, Thread: t1}, chat.Conversation{Platform: p2, Channel: c2, Thread: t2}

		prefix := store.AppendConversation(nil, a)
		key := store.RecordKey(prefix, id)
		gotConv, gotID, err := store.ParseRecordKey(key)
		if err != nil || gotConv != a || gotID != id {
			t.Fatalf("ParseRecordKey(RecordKey(%q, %d)) = %q, %d, %v", a, id, gotConv, gotID, err)
		}
		gotConv, rest, err := store.ParseConversation(prefix)
		if err != nil || gotConv != a || len(rest) != 0 {
			t.Fatalf("ParseConversation(%q) = %q, %q, %v", a, gotConv, rest, err)
		}

		if a != b {
			other := store.AppendConversation(nil, b)
			if bytes.HasPrefix(store.RecordKey(other, id), prefix) || bytes.HasPrefix(key, other) {
				t.Fatalf("conversations %q and %q share a key prefix", a, b)
			}
		}

		// Arbitrary bytes: any answer but a panic will do, and a success
		// must re-encode to the same bytes.
		for _, raw := range [][]byte{[]byte(p1 + c1 + t1 + p2), key[:len(key)/2]} {
			if c, id, err := store.ParseRecordKey(raw); err == nil {
				if again := store.RecordKey(store.AppendConversation(nil, c), id); !bytes.Equal(again, raw) {
					t.Fatalf("ParseRecordKey(%x) = %q, %d, which encodes as %x", raw, c, id, again)
				}
			}
		}
	})
}
