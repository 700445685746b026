package bot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// brain.intents may name files as well as folders.
func TestIntentsPathIsAFile(t *testing.T) {
	path := writeConfig(t, "")
	dir := filepath.Dir(path)
	os.MkdirAll(filepath.Join(dir, "more"), 0o755)
	write(t, filepath.Join(dir, "more", "thanks.yaml"), "intents:\n"+thanksIntent)
	write(t, path, strings.Replace(mustRead(t, path), "intents: [intents]", "intents: [intents/test.yaml, more/thanks.yaml]", 1))
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	intents, err := cfg.LoadIntents()
	if err != nil {
		t.Fatalf("LoadIntents with files: %v", err)
	}
	if len(intents) != 4 || intents[3].Name != "thanks" || !strings.HasPrefix(intents[3].Where, filepath.Join(dir, "more", "thanks.yaml")+":") {
		t.Errorf("intents %+v", intents)
	}
}
