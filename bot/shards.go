package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/docent-bot/docent/adapters/discord"
	"github.com/docent-bot/docent/store"
)

// shardClaimer claims Discord shards for replicas (shard_id: auto): shard
// N is the store's lead "discord-shard-N", an exclusive advisory lock on
// a watched connection of its own, so that two replicas never serve one
// shard, and a replica that dies (or loses its connection) frees its
// shard for another.
type shardClaimer struct {
	st  *store.Store
	log *slog.Logger
	// every is how often a replica that found every shard taken tries
	// again: it waits as a standby for one to be freed.
	every time.Duration
}

// shardLead is the name of shard id's lead among the replicas.
func shardLead(id int) string { return fmt.Sprintf("discord-shard-%d", id) }

// ClaimShard tries each shard in turn without waiting and claims the
// first free one; with none free, it tries again every c.every.
func (c shardClaimer) ClaimShard(ctx context.Context, count int) (discord.ShardClaim, error) {
	told := false
	for {
		for id := range count {
			lead, err := c.st.TryLead(ctx, shardLead(id))
			if err == nil {
				c.log.Info("claimed a discord shard", "shard", id, "shards", count)
				return discord.ShardClaim{ID: id, Lost: lead.Lost(), Release: lead.Release}, nil
			}
			if ctx.Err() != nil {
				return discord.ShardClaim{}, ctx.Err()
			}
			if !errors.Is(err, store.ErrLeadHeld) {
				c.log.Warn("could not ask for a discord shard; trying the next", "shard", id, "err", err)
			}
		}
		if !told {
			c.log.Info("every discord shard is served by another replica; waiting for one to be free", "shards", count, "every", c.every)
			told = true
		}
		select {
		case <-ctx.Done():
			return discord.ShardClaim{}, ctx.Err()
		case <-time.After(c.every):
		}
	}
}

// shardClaimEvery is how often a standby replica tries for a shard.
var shardClaimEvery = 5 * time.Second
