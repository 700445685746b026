package chat

import "testing"

func TestIsQuestion(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		// Discord's and Slack's rules agreed on these.
		{"How do I install it", true},
		{"does this work?", true},
		{"it broke?", true},
		{"WHAT, again", true},
		{"anyone around to help", true},
		{"thanks all", false},
		{"I think so.", false},
		{"", false},
		{"   ", false},
		{"  why  ", true},
		{"Is it down", true},
		{"why: it broke", true},
		{"however it works", false}, // a word, not a prefix
		// Slack's words, now everywhere.
		{"Whom should I ask", true},
		{"has the release shipped", true},
		{"Have you tried restarting", true},
		{"any idea why it hangs", true},
		{"someone help me with the build", true},
		{"Somebody knows the port", true},
		// Slack's full-width question mark, now everywhere.
		{"デプロイの方法は？", true},
		// The first word ends at any white space, not only a space.
		{"how\ndo I deploy", true},
		{"what\tnow", true},
		{"thanks\nhow nice", false},
	}
	for _, tt := range tests {
		if got := IsQuestion(tt.text); got != tt.want {
			t.Errorf("IsQuestion(%q) = %t, want %t", tt.text, got, tt.want)
		}
	}
}
