package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/classifier"
	"github.com/docent-bot/docent/store"
)

// Replicas (store.postgres.replicas): several Docents on one PostgreSQL
// database. What each keeps in memory is kept right across them so:
//
//   - the recorders' Detectors (threads, attention, routing) read, in a
//     batch's transaction, what another replica stored in its
//     conversations since they last saw them, and catch up on it
//     (exchange.Batches);
//   - each module's background loop runs on the replica that leads for it
//     (leadModule), and moves when that one stops or loses its connection;
//   - the model is trained by the replica that leads for it (prepareLed)
//     and the others load it when they see it saved (followModels);
//   - a replica whose lock on the database is lost stops (Run), for its
//     supervisor to start it again.
//
// What stays per replica, and so unsafe across them, left for later:
// the past threads indexed for answers (historyReplies, addThread: a
// thread answered on another replica is found after a restart), the
// passages' vote penalties (penalised: a vote counts on the replica that
// took it until a restart), the docs index (each replica watches its own
// files: they must be the same everywhere), the challenge files (the
// challenges module watches them in its loop, so only the replica that
// runs it reloads them; the others read them at their next start), who
// was told lately that their secret was redacted (warned). (The rate
// limits, budgets and the web chat's answers are shared: ratelimit.go,
// bot/budgets, webrelay.go.) A loop's lead is not its shard: Discord
// announcements are left to shard 0; replicas with shard_id auto all pass
// as shard 0, so the loop's leader posts (over REST, which is not
// sharded), but with fixed shard IDs only a leader that is shard 0 does.
// A Detector also keeps a forgotten member's recent records until its
// window passes, as a lone Docent's does.

// leadModule runs a module's loop on one replica of the database at a
// time: the one that leads for it (store.Lead, "module NAME"; one lead per
// loop, so that the loops spread over the replicas). It waits for the
// lead, runs the loop until ctx is done or the lead is lost with its
// connection, when another replica takes it over, and waits for it
// again. A loop that fails, or has nothing to do, gives the lead up.
//
// What stays unsafe: the loop's state in memory starts afresh on the
// replica that takes over (the challenges announcer's claims are in the
// store, so nothing is posted twice, but a post in flight when the lead
// moves may be lost: at most once); the lead is tied to PostgreSQL's
// connection, not to the work, so between a connection's drop and the
// loop seeing Lost, both replicas may run it for a moment.
func (b *Bot) leadModule(ctx context.Context, name string, r module.Runner, env module.RunEnv) {
	for {
		lead, err := b.store.Lead(ctx, "module "+name)
		if err != nil {
			return // ctx is done
		}
		b.log.Info("this replica runs a module's background work", "module", name)
		b.loops.Store(name, loopRunning)
		runCtx, stop := context.WithCancel(ctx)
		lost := make(chan bool, 1)
		go func() {
			select {
			case <-lead.Lost():
				lost <- true
				stop()
			case <-runCtx.Done():
				lost <- false
			}
		}()
		err = runModule(runCtx, r, env)
		stop()
		lead.Release()
		if <-lost && ctx.Err() == nil {
			b.log.Warn("lost the lead of a module's background work (its connection dropped); another replica takes it over", "module", name)
			b.loops.Store(name, loopStandby)
			continue
		}
		b.loopEnded(ctx, name, err)
		return
	}
}

// prepareLed prepares br's model (loading the saved one when it matches
// br's intents, training and saving one when not) as the replica that
// leads for the model (store.Lead "model"): of several replicas that
// retrain on the same change (each saw the intents files change), one
// trains and saves, and the others, led after it, find its model saved
// and load it. A lone Docent leads at once.
func prepareLed(ctx context.Context, st *store.Store, br *brain.Brain) (brain.Prepared, error) {
	lead, err := st.Lead(ctx, "model")
	if err != nil {
		return brain.Prepared{}, fmt.Errorf("bot: wait to lead the model's training among the replicas: %w", err)
	}
	defer lead.Release()
	return br.Prepare(ctx, modelStore{st})
}

// modelPoll is how often a replica asks the store which model is saved,
// to load one another replica trained (followModels). Polling, not
// PostgreSQL's LISTEN/NOTIFY: a poll needs no connection held open, misses
// nothing when a connection drops (a NOTIFY sent meanwhile is gone), and
// works on the PostgreSQL-compatible databases that have no NOTIFY
// (CockroachDB); it costs one read of a few bytes per replica every few
// seconds (store.ModelVersion), and a retrain reaches the others within
// modelPoll, which is short beside the training itself.
const modelPoll = 3 * time.Second

// followModels loads, every interval, the model another replica saved,
// until ctx is done. A model this replica cannot follow (its intents
// files differ from the other replica's) is logged once and left.
func (b *Bot) followModels(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var left string // the hash of a saved model this replica could not follow
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, err := b.store.ModelVersion(ctx, brain.ModelName)
		if err != nil {
			if !failing && ctx.Err() == nil && !errors.Is(err, store.ErrNotFound) {
				b.log.Warn("model: cannot read which model the replicas saved; trying again", "err", err)
				failing = true
			}
			continue
		}
		failing = false
		if v.Hash == left || v.Hash == b.brain.Load().Fingerprint() {
			continue
		}
		if err := b.followModel(ctx, v); err != nil {
			if ctx.Err() == nil {
				b.log.Warn("model: another replica saved a model this one cannot use; keeping the current one", "saved", v.Saved, "err", err)
			}
			left = v.Hash
			continue
		}
		left = ""
	}
}

// followModel swaps in the model saved as v, which another replica
// trained: this replica reads its intents again (the files, and what the
// modules add, such as the lessons taught on the other replica) and loads
// the model when they are what it was trained on. It never trains.
func (b *Bot) followModel(ctx context.Context, v store.ModelVersion) error {
	b.reloading.Lock()
	defer b.reloading.Unlock()
	if b.brain.Load().Fingerprint() == v.Hash {
		return nil // reloaded meanwhile
	}
	loaded, err := b.loadIntents(ctx)
	if err != nil {
		return fmt.Errorf("read the intents: %w", err)
	}
	nb, err := brain.New(b.brainConfig(), loaded.Use, b.log)
	if err != nil {
		return fmt.Errorf("read the intents: %w", err)
	}
	if nb.Fingerprint() != v.Hash {
		return errors.New("it was trained on other intents or classifier settings than this replica's (are its intents files and brain settings the same?)")
	}
	p, err := nb.Prepare(ctx, savedOnly{st: b.store, hash: v.Hash})
	if err != nil {
		return err
	}
	b.swap(nb, p, loaded)
	b.log.Info("model: loaded the model another replica trained", "intents", p.Intents, "examples", p.Examples, "saved", v.Saved, "took", p.Took.Round(time.Millisecond))
	return nil
}

// savedOnly is the store's models for a brain that must load the model
// saved with hash and never train one: anything else is an error before
// Prepare would train (a model saved meanwhile for other intents, one
// that does not decode), and it saves nothing.
type savedOnly struct {
	st   *store.Store
	hash string
}

func (s savedOnly) LoadModel(ctx context.Context, name string) (brain.Saved, error) {
	saved, err := modelStore{s.st}.LoadModel(ctx, name)
	if err != nil {
		return brain.Saved{}, err
	}
	if saved.Hash != s.hash {
		return brain.Saved{}, errors.New("another model was saved meanwhile")
	}
	if _, err := classifier.Decode(saved.Data); err != nil {
		return brain.Saved{}, fmt.Errorf("the saved model is unreadable: %w", err)
	}
	return saved, nil
}

func (savedOnly) SaveModel(context.Context, string, brain.Saved) error {
	return errors.New("a replica that follows the saved model saves none")
}
