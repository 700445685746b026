package knowledge

import (
	"math"
	"testing"
)

// similarPairs are questions a member might ask twice: rewordings of the
// same question (dup), and different questions that share words.
var similarPairs = []struct {
	a, b string
	dup  bool
}{
	{"how do I upgrade the helm chart on kubernetes", "How do I upgrade the Helm chart on Kubernetes?", true},
	{"how do I upgrade the helm chart on kubernetes", "how to upgrade helm chart kubernetes", true},
	{"how do I upgrade the helm chart on kubernetes", "upgrading the helm chart in kubernetes", true},
	{"how do I upgrade the helm chart on kubernetes", "upgrading the helm chart in k8s", true},
	{"can docent answer from our confluence wiki?", "can docent read our confluence wiki", true},
	{"can docent answer from our confluence wiki?", "is it possible for docent to answer from a confluence wiki", true},
	{"why does the bot ignore messages in #random", "the bot ignores my messages in #random", true},
	{"how do I rotate the discord token", "how can I rotate my discord token?", true},
	{"how do I rotate the discord token", "rotating the discord bot token", true},
	{"how do I change the discord token", "how do I rotate the discord token", true},
	{"what database does docent use", "which database does docent use?", true},
	{"how to deploy on kubernetes with helm", "deploy on kubernetes with helm", true},
	{"docent crashes on startup with a bbolt error", "docent crashes at startup: bbolt error", true},
	{"怎么在kubernetes上部署", "如何在kubernetes上部署", true},

	{"how do I upgrade the helm chart on kubernetes", "how do I install the helm chart on kubernetes", false},
	{"how do I upgrade the helm chart on kubernetes", "how do I uninstall docent from kubernetes", false},
	{"can docent answer from our confluence wiki?", "does docent support notion pages", false},
	{"why does the bot ignore messages in #random", "why does the bot ignore messages in #general", false},
	{"why does the bot ignore messages in #random", "why does the bot ignore me", false},
	{"how do I rotate the discord token", "how do I rotate the slack token", false},
	{"what database does docent use", "does docent use postgres", false},
	{"what database does docent use", "how big does the database get", false},
	{"how to deploy on kubernetes with helm", "how to deploy on docker", false},
	{"docent crashes on startup with a bbolt error", "docent crashes when the llm is down", false},
	{"怎么在kubernetes上部署", "怎么在docker上部署", false},
}

// TestSimilarity measures how well Similarity tells a question asked again
// from a different one at DefaultDuplicateSimilarity (the figures in its
// comment). Run with -v for each pair.
func TestSimilarity(t *testing.T) {
	ix := guideIndex(t, Options{}, starterPatterns(t))
	var dups, others, dupsAbove, othersAbove int
	for _, p := range similarPairs {
		s := ix.Similarity(p.a, p.b)
		if r := ix.Similarity(p.b, p.a); math.Abs(r-s) > 1e-12 {
			t.Errorf("not symmetric: %v and %v for %q, %q", s, r, p.a, p.b)
		}
		above := s >= DefaultDuplicateSimilarity
		if p.dup {
			dups++
			if above {
				dupsAbove++
			}
		} else {
			others++
			if above {
				othersAbove++
			}
		}
		t.Logf("%-5v %.3f  %q ~ %q", p.dup, s, p.a, p.b)
	}
	t.Logf("at %.2f: %d of %d rewordings at or above, %d of %d different questions", DefaultDuplicateSimilarity, dupsAbove, dups, othersAbove, others)
	if dupsAbove < dups*3/4 || othersAbove > others/3 {
		t.Errorf("at %.2f: %d of %d rewordings and %d of %d different questions at or above", DefaultDuplicateSimilarity, dupsAbove, dups, othersAbove, others)
	}
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"How do I rotate the Discord token?", "how do i rotate the discord token", 1},
		{"rotate discord token", "backup the database", 0},
		{"", "anything", 0},
		{"   ", "", 0},
		{"?!", "?!", 0}, // no words
	} {
		if got := ix.Similarity(tc.a, tc.b); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Similarity(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	// An empty index weighs every word alike.
	if got := New(Options{}).Similarity("rotate the token", "rotate the token"); math.Abs(got-1) > 1e-9 {
		t.Errorf("on an empty index: %v, want 1", got)
	}
}
