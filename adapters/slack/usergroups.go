package slack

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Bounds of the user-group lookup.
const (
	// firstGroupsWait is how long a delivery waits for the very first
	// usergroups.list answer, so that an admin's command right after start
	// is not refused; later deliveries never wait.
	firstGroupsWait = 2 * time.Second
	groupsTimeout   = 10 * time.Second
)

// userGroups caches which Slack user groups each member belongs to
// (usergroups.list with include_users), for admin permissions by group.
// The cache is refreshed in the background once it is older than every, so
// a delivery never waits on the Web API after the first answer.
type userGroups struct {
	every time.Duration // 0: no lookup
	fetch func(context.Context) ([]slack.UserGroup, error)
	log   *slog.Logger
	run   func(func())  // starts a refresh and tracks it (the adapter's WaitGroup)
	first chan struct{} // closed once the first fetch finished, either way

	mu        sync.Mutex          // guards byUser, fetchedAt, fetching, warned, firstDone
	byUser    map[string][]string // member ID → group IDs
	fetchedAt time.Time
	fetching  bool
	warned    bool // a failure was logged since the last success
	firstDone bool
}

func newUserGroups(every time.Duration, fetch func(context.Context) ([]slack.UserGroup, error), log *slog.Logger, run func(func())) *userGroups {
	return &userGroups{every: every, fetch: fetch, log: log, run: run, first: make(chan struct{})}
}

// refreshIfStale starts a background refresh when the cache is older than
// g.every and none is running.
func (g *userGroups) refreshIfStale(ctx context.Context) {
	if g.every <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fetching || (!g.fetchedAt.IsZero() && time.Since(g.fetchedAt) < g.every) {
		return
	}
	g.fetching = true
	g.run(func() { g.refresh(ctx) })
}

func (g *userGroups) refresh(ctx context.Context) {
	fctx, cancel := context.WithTimeout(ctx, groupsTimeout)
	defer cancel()
	list, err := g.fetch(fctx)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fetching = false
	// A failure counts as a fetch too: a missing scope is retried once per
	// interval, not once per message.
	g.fetchedAt = time.Now()
	if !g.firstDone {
		g.firstDone = true
		close(g.first)
	}
	if err != nil {
		// Stale memberships could keep a removed admin's rights: forget them.
		g.byUser = nil
		if ctx.Err() != nil {
			return
		}
		if !g.warned {
			g.warned = true
			g.log.WarnContext(ctx, "slack: cannot list user groups; admin permissions by slack:role: are off until it works "+
				"(does the app have the usergroups:read scope?)", "err", err)
		} else {
			g.log.DebugContext(ctx, "slack: list user groups", "err", err)
		}
		return
	}
	g.warned = false
	byUser := make(map[string][]string)
	for _, ug := range list {
		for _, u := range ug.Users {
			byUser[u] = append(byUser[u], ug.ID)
		}
	}
	g.byUser = byUser
}

// of returns the IDs of the groups member belongs to, as far as the cache
// knows; nil when the lookup is off or failed.
func (g *userGroups) of(ctx context.Context, member string) []string {
	if g.every <= 0 {
		return nil
	}
	g.refreshIfStale(ctx)
	select {
	case <-g.first:
	default:
		t := time.NewTimer(firstGroupsWait)
		select {
		case <-g.first:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.byUser[member])
}
