package recommend

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// The weekly digest: at digest_day and digest_hour (UTC), each member who
// asked for it (and has not turned recommendations off) gets their three
// picks by direct message. The week's digest is claimed in the store
// before it is sent, so a restart never sends one twice (a crash between
// the claim and the message loses it: at most once); a message that fails
// gives the claim back, to be tried again in the next pass.
const (
	// digestIdle is the longest the loop sleeps, so that a clock that
	// jumps is noticed; digestTimeout bounds one message.
	digestIdle    = time.Hour
	digestTimeout = 30 * time.Second
)

// Run sends the weekly digests while the bot runs; it returns when ctx is
// done, or at once when the module is off or no adapter can write to
// members privately.
func (mod *Module) Run(ctx context.Context, env module.RunEnv) error {
	if !mod.cfg.Enabled || len(env.Messengers) == 0 {
		return nil
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		if _, err := mod.SendDigests(ctx, env.Messengers); err != nil && ctx.Err() == nil {
			mod.log.Error("recommend: the weekly digests failed; trying again in the next pass", "err", err)
		}
		if mod.afterPass != nil {
			mod.afterPass()
		}
		now := mod.now()
		timer.Reset(max(min(mod.nextSlot(now).Sub(now), digestIdle), time.Second))
	}
}

// slot is the newest digest time at or before now.
func (mod *Module) slot(now time.Time) time.Time {
	day, _ := weekday(mod.cfg.DigestDay)
	now = now.UTC()
	t := time.Date(now.Year(), now.Month(), now.Day(), mod.cfg.DigestHour, 0, 0, 0, time.UTC)
	t = t.AddDate(0, 0, -((int(t.Weekday()) - int(day) + 7) % 7))
	if t.After(now) {
		t = t.AddDate(0, 0, -7)
	}
	return t
}

// nextSlot is the first digest time after now.
func (mod *Module) nextSlot(now time.Time) time.Time { return mod.slot(now).AddDate(0, 0, 7) }

// SendDigests sends this week's digest to every member who asked for it
// and has not had it since the week's digest time, through the messenger
// of their platform, and returns how many were sent.
func (mod *Module) SendDigests(ctx context.Context, messengers map[string]chat.DirectMessenger) (int, error) {
	slot := mod.slot(mod.now())
	var due []store.MemberRef
	err := mod.host.Store.View(ctx, func(tx *store.Tx) error {
		return tx.Scan(bucketMembers, nil, func(k, v []byte) error {
			var s Settings
			if err := json.Unmarshal(v, &s); err != nil {
				mod.log.Error("recommend: a member's settings are damaged; no digest for them", "key", fmt.Sprintf("%x", k), "err", err)
				return nil
			}
			if !s.Digest || s.Off || !s.DigestSent.Before(slot) {
				return nil
			}
			f, _, err := store.SplitKey(k, 2)
			if err != nil {
				return err
			}
			due = append(due, store.MemberRef{Platform: f[0], ID: f[1]})
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("recommend: find the members due a digest: %w", err)
	}
	sent := 0
	for _, m := range due {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		dm := messengers[m.Platform]
		if dm == nil {
			continue
		}
		ok, err := mod.sendDigest(ctx, dm, m, slot)
		if err != nil {
			mod.log.Warn("recommend: a digest was not sent; trying again in the next pass", "member", m.String(), "err", err)
			continue
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// sendDigest claims m's digest of the week starting at slot, picks their
// three things and sends them; a failure gives the claim back. ok is
// false when there was nothing to send or someone else claimed it.
func (mod *Module) sendDigest(ctx context.Context, dm chat.DirectMessenger, m store.MemberRef, slot time.Time) (ok bool, err error) {
	var before time.Time
	claimed := false
	err = mod.host.Store.Update(ctx, func(tx *store.Tx) error {
		claimed = false
		s, err := settingsOf(tx, m)
		if err != nil {
			return err
		}
		// Read again in the writer: turned off, forgotten, or sent since.
		if !s.Digest || s.Off || !s.DigestSent.Before(slot) {
			return nil
		}
		before, s.DigestSent, claimed = s.DigestSent, mod.now().UTC(), true
		return writeJSON(tx, bucketMembers, memberKey(m), s)
	})
	if err != nil || !claimed {
		return false, err
	}
	items, err := mod.Recommend(ctx, m, chat.Place{Platform: m.Platform}, true)
	if err == nil && len(items) == 0 {
		return false, nil // nothing to say this week: the claim stands
	}
	if err == nil {
		sctx, cancel := context.WithTimeout(ctx, digestTimeout)
		err = dm.DirectMessage(sctx, m.ID, fmt.Sprintf("Your weekly picks from Docent:\n%s\n\n(`%srecommend digest off` stops these.)", render(items), mod.host.Prefix))
		cancel()
	}
	if err != nil {
		if rerr := mod.unclaim(context.WithoutCancel(ctx), m, before); rerr != nil {
			err = fmt.Errorf("%w (and giving back the claim: %v)", err, rerr)
		}
		return false, err
	}
	return true, nil
}

// unclaim gives back a claim on a digest: its send time goes back to
// before, unless the member was forgotten meanwhile.
func (mod *Module) unclaim(ctx context.Context, m store.MemberRef, before time.Time) error {
	return mod.host.Store.Update(ctx, func(tx *store.Tx) error {
		var s Settings
		if found, err := readJSON(tx, bucketMembers, memberKey(m), &s); err != nil || !found {
			return err
		}
		s.DigestSent = before
		return writeJSON(tx, bucketMembers, memberKey(m), s)
	})
}
