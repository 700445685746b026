package store_test

import (
	"bytes"
	"context"
	"testing"
)

// TestSecretSurvivesReopen: a secret is made once, random, and the same
// after the file is opened again; another name has another one.
func TestSecretSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s, err := openAt(t, path, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Secret(ctx, "web")
	if err != nil || len(a) != 32 || bytes.Equal(a, make([]byte, 32)) {
		t.Fatalf("Secret: %x, %v; want 32 random bytes", a, err)
	}
	again, _ := s.Secret(ctx, "web")
	other, _ := s.Secret(ctx, "other")
	if !bytes.Equal(a, again) || bytes.Equal(a, other) {
		t.Errorf("web %x, web again %x, other %x: want the same for a name, another for another name", a, again, other)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, path)
	if after, err := s.Secret(ctx, "web"); err != nil || !bytes.Equal(a, after) {
		t.Errorf("after reopening: %x, %v; want %x", after, err, a)
	}
}
