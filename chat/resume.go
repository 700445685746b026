package chat

import "context"

// Resumer is implemented by adapters that can answer a message they
// delivered earlier, or another replica's adapter did: a replica that
// stored a message and went before answering it leaves it to another,
// which asks its adapter for a Responder that posts where the answer to m
// belongs (on Slack, in m's thread). m is the message as stored: its ID is
// the platform's, its Mentioned and Direct flags are the bot's best guess.
//
// Posted finds an answer to m that the platform shows already: one posted
// by a replica killed before it could note so in the store. The replica
// taking over then answers nothing.
type Resumer interface {
	Resume(ctx context.Context, m Message) (Responder, error)
	Posted(ctx context.Context, m Message) (Sent, bool, error)
}

// ThreadHistory tells an adapter what other replicas did in a thread:
// whether Docent answered in conv, on any replica (a follow-up there is
// then for Docent too). The bot hands it the store's.
type ThreadHistory interface {
	AnsweredIn(ctx context.Context, conv Conversation) (bool, error)
}
