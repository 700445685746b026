package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"

	"github.com/docent-bot/docent/store/internal/kv"
)

// secretSize is the length of every key Secret makes: 32 bytes, a full
// HMAC-SHA256 key.
const secretSize = 32

// Secret returns the server's random key named name, making and storing
// it on first use. Docent keys what must outlast a restart with it (the
// web chat's visitor cookies), so that nothing per visitor need be
// stored. It lives in the meta bucket and goes wherever the file goes
// (backups too): whoever holds the file holds the history anyway.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	if name == "" {
		return nil, fmt.Errorf("store: secret: %w: no name", ErrInvalid)
	}
	key := []byte("secret:" + name)
	var got []byte
	if err := s.view(ctx, func(tx kv.Tx) error {
		got = bytes.Clone(tx.Bucket(bucketMeta).Get(key))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: read secret %q: %w", name, err)
	}
	if len(got) == secretSize {
		return got, nil
	}
	fresh := make([]byte, secretSize)
	rand.Read(fresh)
	// Two callers may race to make it: the first stored wins, and both
	// return that one.
	r := newWriteReq(func(tx kv.Tx) (Record, error) {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(key); len(v) == secretSize {
			got = bytes.Clone(v)
			return Record{}, nil
		}
		got = fresh
		return Record{}, meta.Put(key, fresh)
	})
	if _, err := s.submit(ctx, r); err != nil {
		return nil, fmt.Errorf("store: make secret %q: %w", name, err)
	}
	return got, nil
}
