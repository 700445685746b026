package challenges

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/internal/poll"
)

// Announcements: when a challenge opens and when it closes (with its top
// three), Docent posts in the channel challenges.announce names on each
// platform. They are claimed in the store before they are posted, so a
// restart never posts one twice (and a crash between the claim and the
// post loses it: at most once). News goes stale: an opening is not
// announced once the challenge has closed, nor a closing a day after.
const (
	closingNews = 24 * time.Hour
	// announceTimeout bounds one post; announceRetry is the first wait
	// after a failed one, doubling up to announceRetryMax.
	announceTimeout  = 30 * time.Second
	announceRetry    = time.Second
	announceRetryMax = 5 * time.Minute
	// announceIdle is the longest the announcer sleeps with nothing due,
	// so that a clock that jumps is noticed.
	announceIdle = time.Hour
)

// announceTarget is one platform's announcement channel and the adapter
// that posts there.
type announceTarget struct {
	platform, channel string
	poster            chat.Announcer
}

// announcement is one post to make: an event of a challenge on a platform.
type announcement struct {
	challenge, event, platform string
}

// announcer is the state of Run between passes.
type announcer struct {
	done    map[announcement]bool      // posted, or found claimed
	retryAt map[announcement]time.Time // failed: when to try again
	fails   map[announcement]int
}

// Run announces openings and closings while the bot runs, and reloads
// the challenge files when they change. It returns when ctx is done.
func (mod *Module) Run(ctx context.Context, env module.RunEnv) error {
	if !mod.On() {
		return nil
	}
	var targets []announceTarget
	for _, platform := range sortedKeys(mod.cfg.Announce) {
		channel := mod.cfg.Announce[platform]
		if platform == "discord" && env.Shard != 0 {
			mod.log.Info("challenges: discord announcements are left to shard 0", "shard", env.Shard)
			continue
		}
		poster := env.Announcers[platform]
		if poster == nil {
			mod.log.Warn("challenges: announcements configured, but the platform's adapter is not running", "platform", platform)
			continue
		}
		targets = append(targets, announceTarget{platform, channel, poster})
	}
	var watch <-chan time.Time
	var files *poll.Settled
	if every := mod.watch; every > 0 && mod.files.OnDisk() {
		t := time.NewTicker(every)
		defer t.Stop()
		watch, files = t.C, poll.NewSettled(mod.state())
	}
	if len(targets) == 0 && watch == nil {
		return nil
	}
	an := &announcer{done: map[announcement]bool{}, retryAt: map[announcement]time.Time{}, fails: map[announcement]int{}}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-watch:
			if !files.Changed(mod.state()) {
				continue
			}
			mod.log.Info("challenges: files changed")
			mod.reload()
		case <-timer.C:
		}
		wake := mod.announceDue(ctx, an, targets)
		if mod.afterPass != nil {
			mod.afterPass()
		}
		if !timer.Stop() {
			select { // drained already when it fired
			case <-timer.C:
			default:
			}
		}
		timer.Reset(max(wake.Sub(mod.now()), 0))
	}
}

// announceDue posts every announcement that is due and not made yet, and
// returns when the next one falls due (or a failed one is to be retried).
func (mod *Module) announceDue(ctx context.Context, an *announcer, targets []announceTarget) time.Time {
	now := mod.now()
	wake := now.Add(announceIdle)
	if len(targets) == 0 {
		return wake
	}
	for _, c := range mod.set.Load().All() {
		if !c.Announce {
			continue
		}
		for _, ev := range []struct {
			name     string
			at, till time.Time
		}{{"open", c.Start, c.End}, {"close", c.End, c.End.Add(closingNews)}} {
			if now.Before(ev.at) {
				wake = minTime(wake, ev.at)
				continue
			}
			if !now.Before(ev.till) {
				continue // stale news
			}
			for _, t := range targets {
				if ctx.Err() != nil {
					return wake
				}
				key := announcement{c.ID, ev.name, t.platform}
				if an.done[key] {
					continue
				}
				if at, ok := an.retryAt[key]; ok && now.Before(at) {
					wake = minTime(wake, at)
					continue
				}
				if err := mod.announce(ctx, c, ev.name, t, now); err != nil {
					an.fails[key]++
					wait := min(announceRetry<<min(an.fails[key]-1, 20), announceRetryMax)
					an.retryAt[key] = now.Add(wait)
					wake = minTime(wake, an.retryAt[key])
					level := mod.log.Warn
					if errors.Is(err, chat.ErrNotConnected) {
						level = mod.log.Debug
					}
					level("challenges: announcement not posted; trying again", "challenge", c.ID, "event", ev.name, "platform", t.platform, "retry_in", wait, "err", err)
					continue
				}
				an.done[key] = true
				delete(an.retryAt, key)
			}
		}
	}
	return wake
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// announce claims one announcement and posts it; a claim found taken
// (posted before, maybe before a restart) is success.
func (mod *Module) announce(ctx context.Context, c *Challenge, event string, t announceTarget, now time.Time) error {
	a := Announcement{Challenge: c.ID, Event: event, Platform: t.platform, Channel: t.channel, Time: now}
	claimed, err := mod.records.ClaimAnnouncement(context.WithoutCancel(ctx), a) // a claim cut short could land unseen: never posted
	if err != nil || !claimed {
		return err
	}
	text := mod.openingText(c)
	if event == "close" {
		if text, err = mod.closingText(ctx, c); err != nil {
			return errors.Join(err, mod.records.ReleaseAnnouncement(context.WithoutCancel(ctx), a))
		}
	}
	pctx, cancel := context.WithTimeout(ctx, announceTimeout)
	defer cancel()
	if err := t.poster.Announce(pctx, t.channel, text); err != nil {
		return errors.Join(err, mod.records.ReleaseAnnouncement(context.WithoutCancel(ctx), a))
	}
	mod.log.Info("challenges: announced", "challenge", c.ID, "event", event, "platform", t.platform, "channel", t.channel)
	return nil
}

func (mod *Module) openingText(c *Challenge) string {
	p := mod.prefix
	return fmt.Sprintf("🧩 New coding challenge: **%s** (`%s`), %s, %d points, open until %s (%s).\n"+
		"Read it with `%schallenge %s`, and answer with `%ssubmit %s <answer>`, best in a direct message to me.",
		c.Title, c.ID, c.Difficulty, c.Points(), When(c.End), Human(c.End.Sub(c.Start)), p, c.ID, p, c.ID)
}

func (mod *Module) closingText(ctx context.Context, c *Challenge) (string, error) {
	subs, err := mod.records.Submissions(ctx, c.ID)
	if err != nil {
		return "", err
	}
	board := Board(subs, nil)
	members := map[string]bool{}
	for _, s := range subs {
		members[s.Platform+"\x00"+s.Member.ID] = true
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "🏁 The coding challenge **%s** (`%s`) has closed. ", c.Title, c.ID)
	switch {
	case len(members) == 0:
		sb.WriteString("Nobody answered it this time.")
	case len(board) == 0:
		fmt.Fprintf(&sb, "%s tried; nobody solved it.", chat.Plural(len(members), "member"))
	default:
		fmt.Fprintf(&sb, "%s tried, %d scored. Top three:", chat.Plural(len(members), "member"), len(board))
		platforms := map[string]bool{}
		for _, e := range board {
			platforms[e.Platform] = true
		}
		for _, e := range board[:min(3, len(board))] {
			sb.WriteString("\n" + entryLine(e, len(platforms) > 1))
		}
		fmt.Fprintf(&sb, "\n`%sleaderboard %s` has the whole board.", mod.prefix, c.ID)
	}
	return sb.String(), nil
}
