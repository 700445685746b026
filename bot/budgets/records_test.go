package budgets_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/budgets"
	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

func TestUsage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docent.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := budgets.NewRecords(s)
	ctx := context.Background()
	day := budgets.Day(time.Date(2026, 11, 28, 23, 30, 0, 0, time.FixedZone("x", -3600)))
	if day != "2026-11-29" {
		t.Fatalf("Day in UTC = %s", day)
	}
	if got, _ := r.On(ctx, day, "all"); got[0] != (budgets.Usage{}) {
		t.Errorf("usage before any: %+v", got)
	}
	for range 3 {
		if err := r.Add(ctx, day, budgets.Usage{Requests: 1, Tokens: 100}, "all", "member:test:alice"); err != nil {
			t.Fatal(err)
		}
	}
	r.Add(ctx, "2026-11-30", budgets.Usage{Requests: 1, Tokens: 7}, "all")
	s.Close()

	s, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r = budgets.NewRecords(s)
	got, err := r.On(ctx, day, "all", "member:test:alice", "member:test:bo")
	if err != nil {
		t.Fatal(err)
	}
	want := []budgets.Usage{{3, 300}, {3, 300}, {}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("scope %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	all, _ := r.Day(ctx, day)
	if len(all) != 2 || all["member:test:alice"].Tokens != 300 {
		t.Errorf("UsageDay = %+v", all)
	}
	if err := r.Add(ctx, "yesterday", budgets.Usage{}, "all"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a bad day: %v", err)
	}
}

func TestReserveIsAtomic(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := budgets.NewRecords(s)
	ctx := context.Background()
	limits := []budgets.Limit{{Scope: "member:a", Requests: 3}, {Scope: "all", Tokens: 1000}}
	var wg sync.WaitGroup
	var got atomic.Int32
	for range 20 {
		wg.Go(func() {
			over, err := r.Reserve(ctx, "2026-11-28", limits)
			if err != nil {
				t.Error(err)
			}
			if over < 0 {
				got.Add(1)
			} else if over != 0 {
				t.Errorf("over scope %d, want 0 (member:a)", over)
			}
		})
	}
	wg.Wait()
	if got.Load() != 3 {
		t.Errorf("%d of 20 concurrent reservations went through, want exactly 3", got.Load())
	}
	r.Add(ctx, "2026-11-28", budgets.Usage{Tokens: 1000}, "all")
	if over, _ := r.Reserve(ctx, "2026-11-28", []budgets.Limit{{Scope: "member:b", Requests: 5}, {Scope: "all", Tokens: 1000}}); over != 1 {
		t.Errorf("over the daily tokens: got %d, want 1", over)
	}
}

// Hold takes requests in memory: concurrent holds (and Reserve) still
// cannot slip under a limit, and a held request reaches the disk in the
// transaction of the answer it paid for, with its tokens, at no fsync of
// its own.
func TestHoldSettlesWithTheAnswer(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "docent.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := budgets.NewRecords(s)
	ctx := context.Background()
	const day = "2026-11-28"
	limits := []budgets.Limit{{Scope: "member:a", Requests: 3}, {Scope: "all", Tokens: 1000}}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		held []*budgets.Reservation
	)
	for range 20 {
		wg.Go(func() {
			res, over, err := r.Hold(ctx, day, limits)
			if err != nil {
				t.Error(err)
			}
			if over >= 0 {
				if over != 0 {
					t.Errorf("over scope %d, want 0 (member:a)", over)
				}
				return
			}
			mu.Lock()
			held = append(held, res)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(held) != 3 {
		t.Fatalf("%d of 20 concurrent holds went through, want exactly 3", len(held))
	}
	if over, _ := r.Reserve(ctx, day, limits); over != 0 {
		t.Errorf("Reserve with 3 requests held of 3: over %d, want 0", over)
	}
	if got := s.WriteStats().Commits; got != 1 {
		t.Errorf("%d commits, want 1 (the refused Reserve); holds write nothing", got)
	}

	c := chat.Conversation{Platform: "test", Channel: "c"}
	held[0].Tokens = 120
	before := s.WriteStats().Commits
	if _, err := s.AppendAnswer(ctx, store.AnswerRecord{Conversation: c, Author: chat.Member{ID: "docent"},
		Answer: chat.Answer{Text: "from the docs", Source: chat.SourceLLM}, Along: []store.Rider{held[0]}}); err != nil {
		t.Fatal(err)
	}
	if got := s.WriteStats().Commits - before; got != 1 {
		t.Errorf("the answer and its usage took %d commits, want 1", got)
	}
	used, err := r.On(ctx, day, "member:a", "all")
	if err != nil {
		t.Fatal(err)
	}
	if want := (budgets.Usage{Requests: 1, Tokens: 120}); used[0] != want || used[1] != want {
		t.Errorf("usage after one answer settled: %+v, want %+v in both scopes", used, want)
	}
	// Settled: counted once, on disk. Two more are held, so still full.
	if _, over, _ := r.Hold(ctx, day, limits); over != 0 {
		t.Errorf("Hold with 1 settled and 2 held of 3: over %d, want 0", over)
	}
	if err := module.Settle(ctx, s, held[1], held[2]); err != nil {
		t.Fatal(err)
	}
	if used, _ := r.On(ctx, day, "member:a"); used[0].Requests != 3 {
		t.Errorf("requests after all settled: %d, want 3", used[0].Requests)
	}
	if _, over, _ := r.Hold(ctx, day, limits); over != 0 {
		t.Errorf("Hold with 3 settled of 3: over %d, want 0", over)
	}
	if res, over, _ := r.Hold(ctx, day, []budgets.Limit{{Scope: "member:b", Requests: 3}, {Scope: "all", Tokens: 1000}}); over >= 0 || res == nil {
		t.Errorf("another member's hold: over %d, want -1 (held)", over)
	}
}

// TestRecordsReadTheStoresFormer counts from a database the store wrote
// before the usage records moved to this module (testdata: AddUsage,
// Reserve, and a held request settled with an answer, by the store's own
// code at the time), and writes new counts in the same layout: bucket
// "usage", key day "/" scope, value requests ‖ tokens big-endian.
func TestRecordsReadTheStoresFormer(t *testing.T) {
	old, err := os.ReadFile(filepath.Join("testdata", "usage-before-module.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "docent.db")
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := budgets.NewRecords(s)
	ctx := context.Background()
	got, err := r.Day(ctx, "2026-11-28")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]budgets.Usage{"member:discord:42": {2, 420}, "channel:discord:general": {2, 420}, "all": {2, 420}}
	if !maps.Equal(got, want) {
		t.Errorf("2026-11-28 = %+v, want %+v", got, want)
	}
	if got, _ := r.On(ctx, "2026-11-29", "member:slack:U1", "all"); got[0] != (budgets.Usage{1, 7}) || got[1] != (budgets.Usage{1, 7}) {
		t.Errorf("2026-11-29 = %+v", got)
	}
	// The limits count what the store counted.
	if over, err := r.Reserve(ctx, "2026-11-28", []budgets.Limit{{Scope: "member:discord:42", Requests: 2}}); err != nil || over != 0 {
		t.Errorf("Reserve at 2 of 2 = %d, %v; want 0 (over)", over, err)
	}

	if err := r.Add(ctx, "2026-11-28", budgets.Usage{Requests: 1, Tokens: 0x0102}, "all"); err != nil {
		t.Fatal(err)
	}
	res, over, err := r.Hold(ctx, "2026-11-30", []budgets.Limit{{Scope: "channel:web:x"}})
	if err != nil || over >= 0 {
		t.Fatal(over, err)
	}
	res.Tokens = 5
	if err := module.Settle(ctx, s, res); err != nil {
		t.Fatal(err)
	}
	usage := store.NewBucket("usage")
	for key, v := range map[string]string{
		"2026-11-28/all":           "0000000000000003" + "00000000000002a6", // 2+1 requests, 420+258 tokens
		"2026-11-30/channel:web:x": "0000000000000001" + "0000000000000005",
	} {
		err := s.View(ctx, func(tx *store.Tx) error {
			if got := hex.EncodeToString(tx.Get(usage, []byte(key))); got != v {
				t.Errorf("%s = %s, want %s", key, got, v)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestUsageMemberPart: a member's usage is in their export as "llm_usage",
// by day; forget deletes it with their own conversation's (a web visitor's
// chat is named by their ID) and says how many under "usage_days", leaving
// another member's and the totals; retention deletes the whole days before
// its cutoff's day, every scope's.
func TestUsageMemberPart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "docent.db")
	s, err := store.Open(path, store.Options{Parts: budgets.New().MemberParts()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := budgets.NewRecords(s)
	const me, other = "5eb1d0c0ffee", "0e7a0e7a0e7a"
	for _, who := range []string{me, other} {
		for day, tokens := range map[string]int{"2026-03-01": 5, "2026-03-02": 9} {
			if err := r.Add(ctx, day, budgets.Usage{Requests: 1, Tokens: tokens}, "member:web:"+who, "channel:web:"+who, "all"); err != nil {
				t.Fatal(err)
			}
		}
	}
	ref := store.MemberRef{Platform: "web", ID: me}
	d, err := s.ExportMember(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]budgets.Usage{"2026-03-01": {1, 5}, "2026-03-02": {1, 9}}
	if got, _ := d.Parts["llm_usage"].(map[string]budgets.Usage); !maps.Equal(got, want) {
		t.Errorf("export: llm_usage = %#v, want %v", d.Parts["llm_usage"], want)
	}
	js, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"llm_usage":{"2026-03-01":{"requests":1,"tokens":5},"2026-03-02":{"requests":1,"tokens":9}}`) {
		t.Errorf("export JSON: %s", js)
	}

	f, err := s.ForgetMember(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if f.Parts["usage_days"] != 4 { // two days, their scope and their conversation's
		t.Errorf("forget: usage_days = %d, want 4 (%+v)", f.Parts["usage_days"], f)
	}
	if js, _ := json.Marshal(f); !strings.Contains(string(js), `"usage_days":4`) {
		t.Errorf("forget JSON: %s", js)
	}
	for _, day := range []string{"2026-03-01", "2026-03-02"} {
		got, err := r.On(ctx, day, "member:web:"+me, "channel:web:"+me, "member:web:"+other, "channel:web:"+other, "all")
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != (budgets.Usage{}) || got[1] != (budgets.Usage{}) {
			t.Errorf("%s: the member's usage is still there: %+v", day, got[:2])
		}
		if got[2].Requests != 1 || got[3].Requests != 1 || got[4].Requests != 2 {
			t.Errorf("%s: another member's usage or the totals went: %+v", day, got[2:])
		}
	}

	ret, err := s.DeleteBefore(ctx, time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if ret.Parts["usage_days"] != 3 { // 2026-03-01: the other member's, their conversation's, all
		t.Errorf("retention: usage_days = %d, want 3 (%+v)", ret.Parts["usage_days"], ret)
	}
	day, err := r.Day(ctx, "2026-03-01")
	if err != nil || len(day) != 0 {
		t.Errorf("2026-03-01 after retention: %v, %v; want nothing", day, err)
	}
	if got, _ := r.On(ctx, "2026-03-02", "all"); got[0] != (budgets.Usage{Requests: 2, Tokens: 18}) {
		t.Errorf("2026-03-02 after retention: %+v, want kept", got)
	}
}
