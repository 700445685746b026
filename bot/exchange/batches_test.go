package exchange_test

import (
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/exchange"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// TestBatchesOnce: the same batch given again (its transaction rolled
// back) gives the events found the first time; a batch after it finds
// its own; a record given before is not fed again; a conversation is
// primed once, before its first record.
func TestBatchesOnce(t *testing.T) {
	say := func(id uint64, min int, who, text string) store.Record {
		return store.Record{ID: id, Kind: store.KindMessage, Conversation: irc, Time: t0.Add(time.Duration(min) * time.Minute),
			Author: chat.Member{ID: who, Name: who}, Text: text}
	}
	b := exchange.Batches{Detector: &exchange.Detector{}}
	primed := 0
	prime := func(store.Record) error { primed++; return nil }
	count := func(events [][]exchange.Event, kind exchange.Kind) int {
		n := 0
		for _, es := range events {
			for _, e := range es {
				if e.Kind == kind {
					n++
				}
			}
		}
		return n
	}

	q := []store.Record{say(1, 0, "bob", "how do I configure LDAP for the login?")}
	first, err := b.Events(nil, q, nil, prime)
	if err != nil || count(first, exchange.Asked) != 1 {
		t.Fatalf("the question: %v, %v", first, err)
	}
	reply := []store.Record{say(2, 2, "ann", "bob: set the ldap url in authentication-ldap.cfg")}
	once, _ := b.Events(nil, reply, nil, prime)
	again, _ := b.Events(nil, reply, nil, prime)
	if count(once, exchange.Replied) != 1 || count(again, exchange.Replied) != 1 {
		t.Errorf("the reply answered %d times, given again %d; want once each", count(once, exchange.Replied), count(again, exchange.Replied))
	}
	if got, _ := b.Events(nil, []store.Record{reply[0], say(3, 3, "bob", "ann: thanks!")}, nil, prime); len(got[0]) != 0 || count(got, exchange.Thanked) != 1 {
		t.Errorf("a batch with the reply given before and a thanks: %v; want only the thanks", got)
	}
	if primed != 1 {
		t.Errorf("primed %d times, want once (the conversation was new once)", primed)
	}
}
