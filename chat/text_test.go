package chat

import "testing"

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 votes", 1: "1 vote", 2: "2 votes", -1: "-1 votes"} {
		if got := Plural(n, "vote"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
}
