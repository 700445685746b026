package dataset

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/docent-bot/docent/brain/classifier"
)

func TestParse(t *testing.T) {
	d, err := Parse([]byte(`{"train": [["hi there", "greet"], ["bye now", "leave"]],
 "test": [["hello", "greet"]], "oos_test": [["weather?", "oos"]], "extra": {"ignored": true}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Train) != 2 || d.Train[1] != (classifier.Example{Text: "bye now", Label: "leave"}) || len(d.Test) != 1 ||
		len(d.OOSTest) != 1 || d.Val != nil {
		t.Errorf("Parse = %+v", d)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"train": [["a", "x"]], "test": [["b", "x"]]`, "line 1 column 45 (offset 44): unexpected end"},
		{"{\"train\": [[\"a\", \"x\"],\n  [\"b\"]], \"test\": []}", `line 1 column 22 (offset 21): "train" item 1: want [text, intent]`},
		{"{\"train\": [[\"a\", \"x\"]],\n \"test\": [[\"b\", 3]]}", `line 2 column 11 (offset 34): "test" item 0`},
		{`{"train": [["a", "x"]]}`, `no "test" list`},
		{`{"train": [], "test": []}`, `"train" is empty`},
		{"{\"train\": [[\"a\", \"x\"]],\n\"test\": [[\"b\" \"x\"]]}", `line 2 column 10 (offset 33): "test" item 0: invalid character`},
		{`[1, 2]`, "want a JSON object"},
		{`{"train": [["a", ""]], "test": []}`, "non-empty intent"},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

// toy is a small data set: four intents, each with its own words, and
// out-of-scope texts about other things.
func toy() *Dataset {
	words := map[string][]string{
		"install": {"install", "setup", "download", "installer"},
		"bug":     {"bug", "crash", "error", "broken"},
		"thanks":  {"thanks", "thank", "appreciated", "cheers"},
		"docs":    {"docs", "documentation", "manual", "guide"},
	}
	frames := []string{"how do i %s", "%s please", "where is the %s", "i have a question about %s", "%s help", "the %s thing"}
	d := &Dataset{}
	for _, intent := range []string{"install", "bug", "thanks", "docs"} {
		for i, f := range frames {
			for j, w := range words[intent] {
				e := classifier.Example{Text: fmt.Sprintf(f, w), Label: intent}
				switch (i + j) % 4 {
				case 0:
					d.Test = append(d.Test, e)
				case 1:
					d.Val = append(d.Val, e)
				default:
					d.Train = append(d.Train, e)
				}
			}
		}
	}
	for i, s := range []string{"what is the weather", "play some music", "tell me a joke", "who won the game", "order a pizza", "book a flight"} {
		e := classifier.Example{Text: s, Label: OutOfScope}
		switch i % 3 {
		case 0:
			d.OOSTrain = append(d.OOSTrain, e)
		case 1:
			d.OOSVal = append(d.OOSVal, e)
		default:
			d.OOSTest = append(d.OOSTest, e)
		}
	}
	return d
}

func TestEvaluate(t *testing.T) {
	rep, err := Evaluate(context.Background(), toy(), classifier.DefaultSettings(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.InScopeAccuracy < 0.8 || rep.OOSRecall == nil || rep.MacroF1 <= 0 || rep.ModelBytes == 0 ||
		rep.PredictP99us < rep.PredictP50us || rep.TrainSeconds <= 0 || len(rep.Rules) != 2 || rep.Rule != RuleAccuracy {
		t.Errorf("Evaluate = %+v", rep)
	}
	d := toy()
	d.OOSTest = nil
	rep, err = Evaluate(context.Background(), d, classifier.DefaultSettings(), Options{Rule: RuleBalanced})
	if err != nil || rep.OOSRecall != nil || rep.Rule != RuleBalanced {
		t.Errorf("without oos_test: %+v, %v; want a nil recall", rep, err)
	}
}

func TestChooseThreshold(t *testing.T) {
	val := []scored{
		{"a", "a", 0.9}, {"a", "a", 0.8}, {"b", "b", 0.7}, {"b", "a", 0.3},
		{OutOfScope, "a", 0.5}, {OutOfScope, "b", 0.2},
	}
	// Accuracy: rejecting below 0.6 keeps the three right and rejects both
	// out-of-scope texts and the wrong one: 5 of 6.
	if got := chooseThreshold(val, RuleAccuracy); got <= 0.5 || got > 0.7 {
		t.Errorf("accuracy threshold %g, want between 0.5 and 0.7", got)
	}
	if got := chooseThreshold(val, RuleBalanced); got <= 0.5 || got > 0.7 {
		t.Errorf("balanced threshold %g, want between 0.5 and 0.7", got)
	}
	acc, recall, _ := measure(val, 0.6)
	if acc != 0.75 || recall != 1 {
		t.Errorf("measure at 0.6 = %g, %g; want 0.75, 1", acc, recall)
	}
}

func TestCrossValidate(t *testing.T) {
	d := toy()
	ex := append(append(d.Train, d.Val...), d.Test...)
	ex = append(ex, classifier.Example{Text: "lonely example", Label: "rare"})
	rep, err := CrossValidate(context.Background(), ex, 3, classifier.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accuracy < 0.7 || len(rep.Intents) != 5 || rep.Intents[0].Intent != "install" || rep.Intents[0].Examples != 24 {
		t.Errorf("CrossValidate = %+v", rep)
	}
	if len(rep.Few) != 1 || rep.Few[0] != "rare" {
		t.Errorf("Few = %q, want [rare]", rep.Few)
	}
	if len(rep.Confusion) == 0 || rep.Confusion[0].Intent != "rare" && rep.Confusion[0].Count < 1 {
		t.Errorf("Confusion = %+v", rep.Confusion)
	}
	for _, c := range rep.Confusion {
		if len(c.Examples) == 0 || len(c.Examples) > 3 || c.Intent == c.Predicted {
			t.Errorf("bad confusion %+v", c)
		}
	}
	again, _ := CrossValidate(context.Background(), ex, 3, classifier.DefaultSettings())
	if fmt.Sprint(again.Intents, again.Confusion) != fmt.Sprint(rep.Intents, rep.Confusion) {
		t.Error("cross-validation is not deterministic")
	}
	if _, err := CrossValidate(context.Background(), ex, 1, classifier.DefaultSettings()); err == nil {
		t.Error("1 fold: want an error")
	}
}
