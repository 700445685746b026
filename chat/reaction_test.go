package chat_test

import (
	"testing"

	"github.com/docent-bot/docent/chat"
)

func TestReactions(t *testing.T) {
	for _, tt := range []struct {
		emoji       string
		vote        chat.Vote
		appreciates bool
	}{
		{"👍", chat.VoteUp, true},
		{"👍🏽", chat.VoteUp, true},
		{"+1::skin-tone-2", chat.VoteUp, true},
		{"thumbsup", chat.VoteUp, true},
		{"👎", chat.VoteDown, false},
		{"-1", chat.VoteDown, false},
		{"❤️", chat.VoteNone, true},
		{"heart", chat.VoteNone, true},
		{"white_check_mark", chat.VoteNone, true},
		{"🙏🏻", chat.VoteNone, true},
		{"tada", chat.VoteNone, true},
		{"eyes", chat.VoteNone, false},
		{"😕", chat.VoteNone, false},
		{"", chat.VoteNone, false},
	} {
		if got := chat.ReactionVote(tt.emoji); got != tt.vote {
			t.Errorf("ReactionVote(%q) = %d, want %d", tt.emoji, got, tt.vote)
		}
		if got := chat.Appreciates(tt.emoji); got != tt.appreciates {
			t.Errorf("Appreciates(%q) = %v, want %v", tt.emoji, got, tt.appreciates)
		}
	}
}
