package llm

import (
	"errors"
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	now := time.Unix(1000, 0)
	b := &breaker{failures: 2, cooldown: 30 * time.Second, now: func() time.Time { return now }}
	call := func(o outcome) (opened, closed bool) {
		t.Helper()
		trial, err := b.allow()
		if err != nil {
			t.Fatalf("allow: %v", err)
		}
		return b.done(trial, o)
	}
	call(failed)
	if opened, _ := call(failed); !opened {
		t.Fatal("second failure in a row must open the circuit")
	}
	if _, err := b.allow(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("open circuit allowed a call: %v", err)
	}
	now = now.Add(30 * time.Second)
	trial, err := b.allow()
	if err != nil || !trial {
		t.Fatalf("after the cooldown want a trial call, got %v %v", trial, err)
	}
	if _, err := b.allow(); !errors.Is(err, ErrUnavailable) {
		t.Fatal("a second call went through while the trial is under way")
	}
	if opened, _ := b.done(trial, failed); !opened {
		t.Fatal("failed trial must open the circuit again")
	}
	if _, err := b.allow(); !errors.Is(err, ErrUnavailable) {
		t.Fatal("circuit must stay open for another cooldown")
	}
	now = now.Add(30 * time.Second)
	trial, _ = b.allow()
	b.done(trial, neutral) // the caller gave up: the next caller tries
	trial, err = b.allow()
	if err != nil || !trial {
		t.Fatalf("after a neutral trial want another trial, got %v %v", trial, err)
	}
	if _, closed := b.done(trial, succeeded); !closed {
		t.Fatal("successful trial must close the circuit")
	}
	if _, err := b.allow(); err != nil {
		t.Fatal(err)
	}
}
