package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/docent-bot/docent/chat"
)

// benchMessages are realistic messages (about 300 bytes of JSON each) spread
// over 20 conversations, as in the bbolt measurements of
// notes/testing-integrations.md §4.
func benchMessages(n int) []chat.Message {
	text := strings.Repeat("how do I configure the deploy step? ", 6)
	ms := make([]chat.Message, n)
	for i := range ms {
		ms[i] = chat.Message{
			ID:           fmt.Sprintf("1700000000.%06d", i),
			Conversation: chat.Conversation{Platform: "discord", Channel: fmt.Sprintf("C%07d", i%20)},
			Author:       chat.Member{ID: "U123456", Name: "alice"},
			Text:         text,
			Time:         base,
		}
	}
	return ms
}

// runConcurrently has workers goroutines share b.N calls of do between them,
// exactly workers whatever GOMAXPROCS is (the VM has 2 cores).
func runConcurrently(b *testing.B, workers int, do func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := do(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkAppend compares group commit through the writer goroutine with
// one fsynced transaction per message, for the same messages, encoding and
// keys. Run: go test ./store -run '^$' -bench Append -benchtime 2000x -count 3
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	b.Run("group-commit-64", func(b *testing.B) {
		s := openStore(b, dbPath(b))
		ms := benchMessages(b.N)
		runConcurrently(b, 64, func(i int) error {
			_, err := s.AppendMessage(ctx, ms[i])
			return err
		})
	})
	b.Run("update-per-message-64", func(b *testing.B) {
		s := openStore(b, dbPath(b))
		ms := benchMessages(b.N)
		runConcurrently(b, 64, func(i int) error {
			_, err := s.AppendMessagePerUpdate(ms[i])
			return err
		})
	})
	// For reference: one caller, so every batch holds one message and each
	// append costs one fsync.
	b.Run("sequential", func(b *testing.B) {
		s := openStore(b, dbPath(b))
		ms := benchMessages(b.N)
		runConcurrently(b, 1, func(i int) error {
			_, err := s.AppendMessage(ctx, ms[i])
			return err
		})
	})
}

// BenchmarkConversation reads the newest 50 records of one conversation out
// of 10,000 in 20 conversations, as the bot does to build an LLM prompt.
func BenchmarkConversation(b *testing.B) {
	ctx := context.Background()
	s := openStore(b, dbPath(b))
	ms := benchMessages(10_000)
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 64 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(ms); i = int(next.Add(1)) - 1 {
				if _, err := s.AppendMessage(ctx, ms[i]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	c := ms[7].Conversation
	for b.Loop() {
		recs, err := s.Conversation(ctx, c, 50)
		if err != nil || len(recs) != 50 {
			b.Fatalf("Conversation = %d records, %v", len(recs), err)
		}
	}
}
