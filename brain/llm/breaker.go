package llm

import (
	"fmt"
	"sync"
	"time"
)

// outcome is what one question tells the breaker about the server.
type outcome int

const (
	succeeded outcome = iota // the server answered, or refused this request alone (400)
	failed                   // the server failed, was unreachable, too slow, or refused the configuration
	neutral                  // the caller gave up: says nothing about the server
)

// breaker is a consecutive-failures circuit breaker. Closed, every call
// goes through. After `failures` failures in a row it opens: calls fail
// fast until `cooldown` has passed; then one trial call goes through
// (half-open) and its outcome closes the circuit or opens it again.
// It never holds its lock across a call.
type breaker struct {
	failures int
	cooldown time.Duration
	now      func() time.Time

	mu          sync.Mutex // guards the fields below
	consecutive int        // failed calls in a row
	openUntil   time.Time  // when open: fail fast until then
	trial       bool       // a half-open trial call is in flight
}

// allow reports whether a call may go to the server, and whether it is the
// trial call; refused calls get an error wrapping ErrUnavailable.
func (b *breaker) allow() (trial bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.consecutive < b.failures {
		return false, nil
	}
	if wait := b.openUntil.Sub(b.now()); wait > 0 {
		return false, fmt.Errorf("%w: %d failed requests in a row; next try in %s",
			ErrUnavailable, b.consecutive, wait.Round(time.Second))
	}
	if b.trial {
		return false, fmt.Errorf("%w: %d failed requests in a row; a trial request is under way",
			ErrUnavailable, b.consecutive)
	}
	b.trial = true
	return true, nil
}

// done records a call's outcome and reports whether this opened the
// circuit (from closed or from a failed trial) or closed it again.
func (b *breaker) done(trial bool, o outcome) (opened, closed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if trial {
		b.trial = false
	}
	switch o {
	case succeeded:
		closed = b.consecutive >= b.failures
		b.consecutive = 0
	case failed:
		b.consecutive++
		if b.consecutive >= b.failures {
			opened = b.consecutive == b.failures || trial
			b.openUntil = b.now().Add(b.cooldown)
		}
	}
	return opened, closed
}
