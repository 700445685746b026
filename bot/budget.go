package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// BudgetConfig limits LLM use per UTC day; 0 means no limit.
type BudgetConfig struct {
	MemberRequests  int `yaml:"member_requests"`  // LLM answers per member
	MemberTokens    int `yaml:"member_tokens"`    // tokens per member
	ChannelRequests int `yaml:"channel_requests"` // LLM answers per channel
	ChannelTokens   int `yaml:"channel_tokens"`   // tokens per channel
	DailyTokens     int `yaml:"daily_tokens"`     // tokens for everyone together
}

// budget keeps the LLM within BudgetConfig, counting in the store.
type budget struct {
	cfg   BudgetConfig
	store *store.Store
	log   interface {
		Warn(msg string, args ...any)
	}
	now func() time.Time
}

const scopeAll = "all"

func memberScope(c chat.Conversation, m chat.Member) string {
	return "member:" + c.Platform + ":" + m.ID
}
func channelScope(c chat.Conversation) string { return "channel:" + c.Platform + ":" + c.Channel }

// Allow takes one LLM request from the member's, the channel's and the
// day's budget, or says which is used up. The request counts whether or
// not the LLM then answers: a failed call may still have cost tokens.
//
// For a message the router is handling, the request is held in memory and
// written with the answer, in its transaction (see heldRequests); anywhere
// else it is written at once.
func (b *budget) Allow(ctx context.Context, q brain.Question) (bool, string) {
	day, limits := store.Day(b.now()), []store.Limit{
		{Scope: memberScope(q.Conversation, q.Member), Requests: b.cfg.MemberRequests, Tokens: b.cfg.MemberTokens},
		{Scope: channelScope(q.Conversation), Requests: b.cfg.ChannelRequests, Tokens: b.cfg.ChannelTokens},
		{Scope: scopeAll, Tokens: b.cfg.DailyTokens},
	}
	var (
		over int
		err  error
	)
	if h := heldFrom(ctx); h != nil {
		var res *store.Reservation
		if res, over, err = b.store.Hold(ctx, day, limits); res != nil {
			h.add(res)
		}
	} else {
		over, err = b.store.Reserve(ctx, day, limits)
	}
	switch {
	case err != nil:
		// Without the counts, stay within budget by not spending.
		b.log.Warn("could not check the llm budget; not using the llm", "err", err)
		return false, "I can't check today's AI budget right now, so here is what the docs say."
	case over == 0 && b.cfg.MemberRequests > 0:
		return false, fmt.Sprintf("You've reached today's limit of AI answers (%d), so here is what the docs say.", b.cfg.MemberRequests)
	case over == 0:
		return false, "You've used your AI budget for today, so here is what the docs say."
	case over == 1:
		return false, "This channel's AI budget for today is used up, so here is what the docs say."
	case over == 2:
		return false, "The community's AI budget for today is used up, so here is what the docs say."
	}
	return true, ""
}

// Spend adds an answer's tokens; its request was counted by Allow. A
// request still held takes them along to the answer's transaction.
func (b *budget) Spend(ctx context.Context, q brain.Question, u llm.Usage) {
	tokens := u.PromptTokens + u.CompletionTokens
	if h := heldFrom(ctx); h != nil && h.spend(tokens) {
		return
	}
	err := b.store.AddUsage(context.WithoutCancel(ctx), store.Day(b.now()), store.Usage{Tokens: tokens},
		memberScope(q.Conversation, q.Member), channelScope(q.Conversation), scopeAll)
	if err != nil {
		b.log.Warn("could not record llm usage", "err", err)
	}
}

// heldRequests are the LLM requests held for one message being handled:
// the router settles them in the transaction of the answer it stores (one
// commit for the answer, its request and its tokens, where there were
// three), or alone when no answer is stored.
type heldRequests struct {
	mu      sync.Mutex // guards pending
	pending []*store.Reservation
}

type heldKey struct{}

func withHeld(ctx context.Context, h *heldRequests) context.Context {
	return context.WithValue(ctx, heldKey{}, h)
}

func heldFrom(ctx context.Context) *heldRequests {
	h, _ := ctx.Value(heldKey{}).(*heldRequests)
	return h
}

func (h *heldRequests) add(r *store.Reservation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pending = append(h.pending, r)
}

// spend adds tokens to the newest request still held, and reports whether
// there was one (an answer stored meanwhile, an apology, took it).
func (h *heldRequests) spend(tokens int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.pending) == 0 {
		return false
	}
	h.pending[len(h.pending)-1].Tokens += tokens
	return true
}

// take hands over the requests held so far, to be settled.
func (h *heldRequests) take() []*store.Reservation {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.pending
	h.pending = nil
	return p
}

// usageReport is the admin command's text: today's totals against the
// budget, and who and where used the most.
func (b *Bot) usageReport(ctx context.Context) (string, error) {
	day := store.Day(time.Now())
	all, err := b.store.UsageDay(ctx, day)
	if err != nil {
		return "", err
	}
	total := all[scopeAll]
	var sb strings.Builder
	fmt.Fprintf(&sb, "LLM usage today (%s, UTC): %d answers, %d tokens", day, total.Requests, total.Tokens)
	if lim := b.cfg.LLM.Budget.DailyTokens; lim > 0 {
		fmt.Fprintf(&sb, " of %d (%.0f%%)", lim, 100*float64(total.Tokens)/float64(lim))
	}
	sb.WriteString(".")
	for _, kind := range []string{"member", "channel"} {
		type row struct {
			name string
			u    store.Usage
		}
		var rows []row
		for scope, u := range all {
			if name, ok := strings.CutPrefix(scope, kind+":"); ok {
				rows = append(rows, row{name, u})
			}
		}
		slices.SortFunc(rows, func(a, b row) int {
			return cmp.Or(cmp.Compare(b.u.Tokens, a.u.Tokens), strings.Compare(a.name, b.name))
		})
		if len(rows) > 5 {
			rows = rows[:5]
		}
		for i, r := range rows {
			if i == 0 {
				fmt.Fprintf(&sb, "\nTop %ss:", kind)
			}
			fmt.Fprintf(&sb, " %s %d answers (%d tokens);", r.name, r.u.Requests, r.u.Tokens)
		}
	}
	return strings.TrimSuffix(sb.String(), ";"), nil
}
