package chat

import "testing"

func TestMayPing(t *testing.T) {
	tests := []struct {
		name  string
		asker string
		m     Mention
		want  bool
	}{
		{"the asker", "U1", Mention{Kind: MentionMember, ID: "U1"}, true},
		{"another member", "U1", Mention{Kind: MentionMember, ID: "U2"}, false},
		{"everyone", "U1", Mention{Kind: MentionEveryone}, false},
		{"a role", "U1", Mention{Kind: MentionGroup, ID: "555"}, false},
		{"a role with the asker's ID", "U1", Mention{Kind: MentionGroup, ID: "U1"}, false},
		{"an announcement: a member", "", Mention{Kind: MentionMember, ID: "U1"}, false},
		{"an announcement: no ID", "", Mention{Kind: MentionMember}, false},
		{"an announcement: everyone", "", Mention{Kind: MentionEveryone}, false},
		{"an unknown kind", "U1", Mention{ID: "U1"}, false},
	}
	for _, tt := range tests {
		if got := MayPing(tt.asker, tt.m); got != tt.want {
			t.Errorf("%s: MayPing(%q, %v) = %t, want %t", tt.name, tt.asker, tt.m, got, tt.want)
		}
	}
}
