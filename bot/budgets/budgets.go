// Package budgets is the feature module that keeps the LLM within daily
// budgets: per member, per channel and for the whole community, in
// requests and tokens. It decides whether a question may use the LLM
// (module.Gate), lends the same budget to the other modules' LLM use
// (module.Budget), counts what was used in the store, and shows it: the
// admins' `!usage` and the dashboard's usage page.
package budgets

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/docent-bot/docent/bot/module"
	"github.com/docent-bot/docent/brain"
	"github.com/docent-bot/docent/brain/llm"
	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// Name is the module's name, in the logs.
const Name = "budgets"

// Section is where admins write the module's config: inside the llm
// section, where it was before it became a module.
const Section = "llm.budget"

// Module is the LLM budgets as a feature of the bot.
type Module struct {
	cfg Config

	// Set by Provision.
	records *Records
	log     *slog.Logger
	now     func() time.Time
	prefix  string
	llmOn   bool
}

var (
	_ module.Configured  = (*Module)(nil)
	_ module.Placed      = (*Module)(nil)
	_ module.Provisioner = (*Module)(nil)
	_ module.Gate        = (*Module)(nil)
	_ module.Commander   = (*Module)(nil)
	_ module.Pager       = (*Module)(nil)
	_ module.Schemaed    = (*Module)(nil)
)

// New returns the budgets module with no limits.
func New() *Module { return &Module{} }

// Name is the module's name.
func (mod *Module) Name() string { return Name }

// Section is the path of the module's config section (module.Placed).
func (mod *Module) Section() string { return Section }

// Config is the section, decoded in place.
func (mod *Module) Config() any { return &mod.cfg }

// Limits are the configured limits.
func (mod *Module) Limits() Config { return mod.cfg }

// Validate checks the limits.
func (mod *Module) Validate(c *module.Check) { mod.cfg.validate(c) }

// Provision takes the store, the logger and the clock.
func (mod *Module) Provision(_ context.Context, h *module.Host) error {
	mod.records, mod.log, mod.now, mod.prefix, mod.llmOn = NewRecords(h.Store), h.Log, h.Now, h.Prefix, h.LLM != nil
	return nil
}

// Records are the usage counts; nil before Provision.
func (mod *Module) Records() *Records { return mod.records }

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
// written with the answer, in its transaction (see module.Held); anywhere
// else it is written at once.
func (mod *Module) Allow(ctx context.Context, q brain.Question) (bool, string) {
	over, err := mod.take(ctx, q.Conversation, q.Member)
	switch {
	case err != nil:
		// Without the counts, stay within budget by not spending.
		mod.log.Warn("could not check the llm budget; not using the llm", "err", err)
		return false, "I can't check today's AI budget right now, so here is what the docs say."
	case over == 0 && mod.cfg.MemberRequests > 0:
		return false, fmt.Sprintf("You've reached today's limit of AI answers (%d), so here is what the docs say.", mod.cfg.MemberRequests)
	case over == 0:
		return false, "You've used your AI budget for today, so here is what the docs say."
	case over == 1:
		return false, "This channel's AI budget for today is used up, so here is what the docs say."
	case over == 2:
		return false, "The community's AI budget for today is used up, so here is what the docs say."
	}
	return true, ""
}

// take takes one LLM request for member in conversation c, or returns
// which limit is used up (as Records.Reserve: -1 when none is).
func (mod *Module) take(ctx context.Context, c chat.Conversation, member chat.Member) (int, error) {
	day, limits := Day(mod.now()), []Limit{
		{Scope: memberScope(c, member), Requests: mod.cfg.MemberRequests, Tokens: mod.cfg.MemberTokens},
		{Scope: channelScope(c), Requests: mod.cfg.ChannelRequests, Tokens: mod.cfg.ChannelTokens},
		{Scope: scopeAll, Tokens: mod.cfg.DailyTokens},
	}
	if h := module.HeldFrom(ctx); h != nil {
		res, over, err := mod.records.Hold(ctx, day, limits)
		if res != nil {
			h.Add(res)
		}
		return over, err
	}
	return mod.records.Reserve(ctx, day, limits)
}

// Spend adds an answer's tokens; its request was counted by Allow. A
// request still held takes them along to the answer's transaction.
func (mod *Module) Spend(ctx context.Context, q brain.Question, u llm.Usage) {
	mod.spend(ctx, q.Conversation, q.Member, u)
}

func (mod *Module) spend(ctx context.Context, c chat.Conversation, member chat.Member, u llm.Usage) {
	tokens := u.PromptTokens + u.CompletionTokens
	// The newest request still held is this one's (an answer stored
	// meanwhile, an apology, took any earlier one).
	if h := module.HeldFrom(ctx); h != nil && h.Amend(func(r store.Rider) bool {
		res, ok := r.(*Reservation)
		if !ok || res.r != mod.records {
			return false
		}
		res.Tokens += tokens
		return true
	}) {
		return
	}
	err := mod.records.Add(context.WithoutCancel(ctx), Day(mod.now()), Usage{Tokens: tokens},
		memberScope(c, member), channelScope(c), scopeAll)
	if err != nil {
		mod.log.Warn("could not record llm usage", "err", err)
	}
}

// Budget lends the budget to the other modules (module.Host.Budget): the
// same limits and counts as questions, held with the answer of the
// message being handled.
func (mod *Module) Budget() module.Budget { return moduleBudget{mod} }

type moduleBudget struct{ mod *Module }

// Reserve takes one LLM request for m's author, or says why not.
func (mb moduleBudget) Reserve(ctx context.Context, m *module.Message, what string) string {
	over, err := mb.mod.take(ctx, m.Conversation, m.Author)
	switch {
	case err != nil:
		mb.mod.log.Warn("could not check the llm budget; not using the llm", "err", err)
		return fmt.Sprintf("I can't check today's AI budget right now, so I can't %s; please try again later.", what)
	case over == 0:
		return fmt.Sprintf("You've used your AI budget for today, so I can't %s until tomorrow (UTC).", what)
	case over == 1:
		return "This channel's AI budget for today is used up; try a direct message to me, or tomorrow (UTC)."
	case over == 2:
		return "The community's AI budget for today is used up; please try again tomorrow (UTC)."
	}
	return ""
}

// Spend records the tokens an LLM request used.
func (mb moduleBudget) Spend(ctx context.Context, m *module.Message, u llm.Usage) {
	if u.PromptTokens+u.CompletionTokens == 0 {
		return
	}
	mb.mod.spend(ctx, m.Conversation, m.Author, u)
}
