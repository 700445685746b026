// Command clfeval measures the intent classifier on a data set in the
// CLINC150 JSON shape, until `docent eval` wires brain/dataset in:
//
//	go run ./tools/clfeval -dataset ../shared/datasets/clinc150/data_full.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/docent-bot/docent/brain/classifier"
	"github.com/docent-bot/docent/brain/dataset"
)

func main() {
	s := classifier.DefaultSettings()
	path := flag.String("dataset", "", "data set file in the CLINC150 JSON shape")
	per := flag.Int("per-intent", 0, "keep only the first N training examples of each intent (0: all)")
	rule := flag.String("rule", dataset.RuleAccuracy, "threshold rule: accuracy or balanced")
	noOOS := flag.Bool("no-oos-train", false, "leave oos_train out of training")
	flag.IntVar(&s.Hidden, "hidden", s.Hidden, "hidden units")
	flag.IntVar(&s.Epochs, "epochs", s.Epochs, "epochs (0: automatic)")
	flag.IntVar(&s.BatchSize, "batch", s.BatchSize, "batch size (0: automatic)")
	flag.Float64Var(&s.LearningRate, "lr", s.LearningRate, "learning rate")
	flag.Float64Var(&s.LabelSmoothing, "smoothing", s.LabelSmoothing, "label smoothing")
	flag.Float64Var(&s.Dropout, "dropout", s.Dropout, "input dropout")
	flag.IntVar(&s.MinN, "minn", s.MinN, "shortest character n-gram (0: none)")
	flag.IntVar(&s.MaxN, "maxn", s.MaxN, "longest character n-gram")
	flag.Float64Var(&s.Outliers, "outliers", s.Outliers, "synthetic outliers per example")
	flag.IntVar(&s.Threads, "threads", s.Threads, "training threads (0: two)")
	flag.Uint64Var(&s.Seed, "seed", s.Seed, "seed")
	intents := flag.String("intents", "", "glob of intents YAML files to cross-validate instead of a data set")
	folds := flag.Int("cv", 5, "folds for -intents")
	flag.Parse()
	if *intents != "" {
		crossValidate(*intents, *folds, s)
		return
	}
	d, err := dataset.LoadFile(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *per > 0 {
		d.Train = dataset.PerIntent(d.Train, *per)
	}
	rep, err := dataset.Evaluate(context.Background(), d, s, dataset.Options{Rule: *rule, NoOOSTrain: *noOOS})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.Encode(rep)
}

func crossValidate(glob string, k int, s classifier.Settings) {
	files, _ := filepath.Glob(glob)
	var ex []classifier.Example
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var doc struct {
			Intents []struct {
				Name     string   `yaml:"name"`
				Patterns []string `yaml:"patterns"`
			} `yaml:"intents"`
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			fmt.Fprintln(os.Stderr, f, err)
			os.Exit(1)
		}
		for _, in := range doc.Intents {
			for _, p := range in.Patterns {
				ex = append(ex, classifier.Example{Text: p, Label: in.Name})
			}
		}
	}
	rep, err := dataset.CrossValidate(context.Background(), ex, k, s)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d examples, %d folds: accuracy %.3f, macro F1 %.3f, %.2fs training\n", len(ex), k, rep.Accuracy, rep.MacroF1, rep.TrainSeconds)
	for i, c := range rep.Confusion {
		if i == 5 {
			break
		}
		fmt.Printf("  %s -> %s x%d: %q\n", c.Intent, c.Predicted, c.Count, c.Examples)
	}
}
