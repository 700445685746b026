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
	flag.Parse()
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
