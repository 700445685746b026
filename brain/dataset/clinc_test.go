package dataset

import (
	"context"
	"os"
	"testing"

	"github.com/docent-bot/docent/brain/classifier"
)

const clincPath = "../../../shared/datasets/clinc150/data_full.json"

// BenchmarkTrainCLINC trains on CLINC150's full training set; it is
// skipped where the file is absent.
func BenchmarkTrainCLINC(b *testing.B) {
	if _, err := os.Stat(clincPath); err != nil {
		b.Skip("CLINC150 not available:", err)
	}
	d, err := LoadFile(clincPath)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := classifier.Train(context.Background(), d.Train, classifier.DefaultSettings()); err != nil {
			b.Fatal(err)
		}
	}
}
