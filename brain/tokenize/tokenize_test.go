package tokenize

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Hello, World!", []string{"hello", "world"}},
		{"How do I report bugs?", []string{"how", "do", "i", "report", "bug"}},
		{"Running connections deployments", []string{"run", "connect", "deploy"}},
		{"don't can’t", []string{"do", "not", "can", "not"}},
		// Negative contractions are the verb and "not", as docs write them.
		{"it shouldn't, won't, isn't; cannot", []string{"it", "should", "not", "will", "not", "is", "not", "can", "not"}},
		{"it's o'clock ain't nt n't", []string{"its", "oclock", "aint", "nt", "nt"}}, // only "n't" splits
		{"ＨＥＬＬＯ　ｗｏｒｌｄ", []string{"hello", "world"}},                                  // fullwidth → NFKC
		{"Python 3.12 install", []string{"python", "3", "12", "instal"}},
		{"你好", []string{"你", "好", "你好"}},
		{"怎么报告bug", []string{"怎", "么", "怎么", "报", "么报", "告", "报告", "bug"}},
		{"安装 docker 失败", []string{"安", "装", "安装", "docker", "失", "败", "失败"}},
		{"he\u200bllo", []string{"hello"}},        // zero-width space joins
		{"café Naïve", []string{"café", "naïve"}}, // non-ASCII words kept, not stemmed
		{"\xff\xfeabc", []string{"abc"}},          // invalid UTF-8 separates
		{"", []string{}},
		{"!!! ??? 🙂🙂", []string{}},
		{"こんにちは", []string{"こ", "ん", "こん", "に", "んに", "ち", "にち", "は", "ちは"}},
	}
	for _, tc := range tests {
		got := Words(tc.in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Words(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestKinds(t *testing.T) {
	toks := Tokens(nil, "bug 报告")
	want := []Token{{"bug", Word}, {"报", Char}, {"告", Char}, {"报告", CharBigram}}
	if !reflect.DeepEqual(toks, want) {
		t.Fatalf("Tokens = %+v, want %+v", toks, want)
	}
}

func TestLongWordIsBounded(t *testing.T) {
	toks := Tokens(nil, strings.Repeat("a", 1<<20))
	if len(toks) != 1 || len(toks[0].Text) > maxWordBytes {
		t.Fatalf("got %d tokens, first %d bytes; want 1 token of at most %d bytes", len(toks), len(toks[0].Text), maxWordBytes)
	}
}

func TestScript(t *testing.T) {
	for in, want := range map[string]string{
		"hello": "", "你好": "zh", "こんにちは": "ja", "漢字とかな": "ja", "안녕하세요": "ko", "hi 你好": "zh",
	} {
		if got := Script(in); got != want {
			t.Errorf("Script(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzTokens(f *testing.F) {
	for _, s := range []string{"hello world", "你好世界", "don't", "\xff", "a\u200db", "مرحبا بالعالم", "🙂‍↔️", strings.Repeat("é", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokens(nil, s)
		for _, tok := range toks {
			if tok.Text == "" {
				t.Fatalf("empty token from %q", s)
			}
			if !utf8.ValidString(tok.Text) {
				t.Fatalf("invalid UTF-8 token %q from %q", tok.Text, s)
			}
			if tok.Kind == Word && len(tok.Text) > maxWordBytes+utf8.UTFMax {
				t.Fatalf("word of %d bytes from input of %d bytes", len(tok.Text), len(s))
			}
		}
	})
}

func BenchmarkTokens(b *testing.B) {
	var dst []Token
	for _, in := range []string{"how do I report a bug in the installer?", "怎么报告一个安装程序的bug"} {
		b.Run(in[:6], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dst = Tokens(dst[:0], in)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	fp := Fingerprint()
	// The Unicode tables are the toolchain's (Go 1.27 has Unicode 17): a
	// new Go that changes them retrains the models.
	for _, want := range []string{"tokenize 2", "unicode " + unicode.Version, "norm ", "snowball " + stemmerVersion} {
		if !strings.Contains(fp, want) {
			t.Errorf("Fingerprint() = %q, want it to name %q", fp, want)
		}
	}
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if want := "github.com/kljensen/snowball " + stemmerVersion; !strings.Contains(string(gomod), want) {
		t.Errorf("go.mod does not require %s: update stemmerVersion with the stemmer", want)
	}
}

func TestSplit(t *testing.T) {
	var s Splitter
	s.Split("How's IT going? 安装docent，报告")
	var lower, text []string
	var joined []bool
	for i, p := range s.Pieces {
		lower = append(lower, string(s.Lower(i)))
		text = append(text, s.Text(i))
		joined = append(joined, p.Joined)
	}
	wantLower := []string{"hows", "it", "going", "安", "装", "docent", "报", "告"}
	wantText := []string{"How's", "IT", "going", "安", "装", "docent", "报", "告"}
	wantJoined := []bool{false, true, true, false, true, false, false, true}
	if !reflect.DeepEqual(lower, wantLower) || !reflect.DeepEqual(text, wantText) || !reflect.DeepEqual(joined, wantJoined) {
		t.Errorf("Split: lower %q text %q joined %v\nwant lower %q text %q joined %v", lower, text, joined, wantLower, wantText, wantJoined)
	}
	for _, in := range []string{"hello world", "怎么安装 docent", "Ünïcödé wörds"} {
		s.Split(in)
		if n := testing.AllocsPerRun(50, func() { s.Split(in) }); n != 0 {
			t.Errorf("Split(%q) allocates %.0f times, want 0", in, n)
		}
	}
}
