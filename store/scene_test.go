package store_test

import (
	"testing"
	"time"

	"github.com/docent-bot/docent/store"
	"github.com/docent-bot/docent/store/storetest"
)

// openWith opens path with opts (and the tests' lock timeout).
func openWith(t testing.TB, path string, opts store.Options) *store.Store {
	t.Helper()
	opts.LockTimeout = testOptions.LockTimeout
	s, err := openAt(t, path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

type scene = storetest.Scene
