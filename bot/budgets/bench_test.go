package budgets_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot/budgets"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// BenchmarkLLMAnswerWrites is what one answer from the LLM writes besides
// its question, for one member alone (nothing to share commits with):
// the request reserved, the tokens added and the answer appended each in
// a transaction of their own (as before), or the request held in memory
// and settled with its tokens in the answer's transaction. Run:
// go test ./bot/budgets -run '^$' -bench LLMAnswerWrites -benchtime 300x -count 3
func BenchmarkLLMAnswerWrites(b *testing.B) {
	const day = "2026-11-28"
	limits := []budgets.Limit{{Scope: "member:discord:7", Requests: 1 << 30}, {Scope: "channel:discord:1", Requests: 1 << 30}, {Scope: "all", Tokens: 1 << 40}}
	answer := store.AnswerRecord{Conversation: chat.Conversation{Platform: "discord", Channel: "1"}, Author: chat.Member{ID: "docent"},
		Answer: chat.Answer{Text: strings.Repeat("Install the helm chart [1]. ", 10), Source: chat.SourceLLM}}
	scopes := []string{"member:discord:7", "channel:discord:1", "all"}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		do   func(s *store.Store, r *budgets.Records) error
	}{
		{"separate", func(s *store.Store, r *budgets.Records) error {
			if _, err := r.Reserve(ctx, day, limits); err != nil {
				return err
			}
			if err := r.Add(ctx, day, budgets.Usage{Tokens: 120}, scopes...); err != nil {
				return err
			}
			_, err := s.AppendAnswer(ctx, answer)
			return err
		}},
		{"settled-with-answer", func(s *store.Store, r *budgets.Records) error {
			res, _, err := r.Hold(ctx, day, limits)
			if err != nil {
				return err
			}
			res.Tokens = 120
			a := answer
			a.Along = []store.Rider{res}
			_, err = s.AppendAnswer(ctx, a)
			return err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := store.Open(filepath.Join(b.TempDir(), "docent.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			r := budgets.NewRecords(s)
			b.ResetTimer()
			for range b.N {
				if err := tc.do(s, r); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(s.WriteStats().Commits)/float64(b.N), "commits/op")
		})
	}
}
