package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docent-bot/docent/store/internal/kv"
)

// Model is a trained model as the brain saves it. Hash identifies what it
// was trained on, so that a model which no longer matches its intents is
// retrained instead of silently disagreeing with them.
type Model struct {
	Name  string
	Hash  string
	Data  []byte
	Saved time.Time // UTC; a zero Saved is stamped by SaveModel
}

// maxModelName bounds model names, which are keys.
const maxModelName = 256

// SaveModel stores m under m.Name, replacing any model of that name. Like
// the appends it returns after the commit, or with the context's error, in
// which case the model may or may not be saved. m.Data is copied before
// SaveModel returns.
func (s *Store) SaveModel(ctx context.Context, m Model) error {
	r, err := prepareModel(m, s.OnPostgres())
	if err != nil {
		return fmt.Errorf("store: save model %q: %w", m.Name, err)
	}
	if _, err := s.submit(ctx, r); err != nil {
		return fmt.Errorf("store: save model %q: %w", m.Name, err)
	}
	return nil
}

// prepareModel makes the write of m; versioned also writes its version
// (ModelVersion) beside it, for replicas to poll.
func prepareModel(m Model, versioned bool) (*writeReq, error) {
	if err := validateModelName(m.Name); err != nil {
		return nil, err
	}
	if m.Saved.IsZero() {
		m.Saved = time.Now()
	}
	m.Saved = m.Saved.UTC()
	if err := validateTime(m.Saved); err != nil {
		return nil, err
	}
	if err := validUTF8("hash", m.Hash); err != nil {
		return nil, err
	}
	val, err := encodeModel(m)
	if err != nil {
		return nil, err
	}
	if len(val) > kv.MaxValueSize {
		return nil, fmt.Errorf("%w: model is %d bytes, the most is %d", ErrInvalid, len(val), kv.MaxValueSize)
	}
	key := []byte(m.Name)
	var version []byte
	if versioned {
		if version, err = json.Marshal(modelHeader{V: formatV1, Hash: m.Hash, Saved: m.Saved}); err != nil {
			return nil, fmt.Errorf("encode model version: %w", err)
		}
	}
	return newWriteReq(func(tx kv.Tx) (Record, error) {
		models := tx.Bucket(bucketModels)
		if models == nil {
			return Record{}, fmt.Errorf("database is damaged: bucket %q is missing", bucketModels)
		}
		if version != nil {
			if err := models.Put(versionKey(m.Name), version); err != nil {
				return Record{}, err
			}
		}
		return Record{}, models.Put(key, val)
	}), nil
}

// versionKey is where the version of the model name is kept on
// PostgreSQL: a model's name holds no NUL, so it is no model's key.
func versionKey(name string) []byte { return append([]byte(name), 0, 'v') }

// ModelVersion says which model is saved under a name, without its bytes.
type ModelVersion struct {
	Hash  string
	Saved time.Time
}

// ModelVersion returns the version of the model saved under name, or an
// error wrapping ErrNotFound: what replicas poll to notice a model another
// one trained (see bot's modelPoll). On PostgreSQL it reads the small
// version SaveModel keeps beside the model; a model saved without one (on
// a bbolt file, or before there were versions) is read whole for its
// header.
func (s *Store) ModelVersion(ctx context.Context, name string) (ModelVersion, error) {
	if err := validateModelName(name); err != nil {
		return ModelVersion{}, fmt.Errorf("store: read the version of model %q: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return ModelVersion{}, fmt.Errorf("store: read the version of model %q: %w", name, err)
	}
	var v ModelVersion
	err := s.view(ctx, func(tx kv.Tx) error {
		models := tx.Bucket(bucketModels)
		if models == nil {
			return fmt.Errorf("database is damaged: bucket %q is missing", bucketModels)
		}
		if val := models.Get(versionKey(name)); val != nil {
			var h modelHeader
			if err := json.Unmarshal(val, &h); err != nil {
				return fmt.Errorf("decode model version: %w", err)
			}
			v = ModelVersion{Hash: h.Hash, Saved: h.Saved.UTC()}
			return nil
		}
		val := models.Get([]byte(name))
		if val == nil {
			return ErrNotFound
		}
		m, err := decodeModel(name, val)
		v = ModelVersion{Hash: m.Hash, Saved: m.Saved}
		return err
	})
	if err != nil {
		return ModelVersion{}, fmt.Errorf("store: read the version of model %q: %w", name, err)
	}
	return v, nil
}

func validateModelName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: model name is empty", ErrInvalid)
	case len(name) > maxModelName:
		return fmt.Errorf("%w: model name is %d bytes long, the most is %d", ErrInvalid, len(name), maxModelName)
	case strings.IndexByte(name, 0) >= 0 || !utf8.ValidString(name):
		return fmt.Errorf("%w: model name %q has a NUL byte or is not UTF-8", ErrInvalid, name)
	}
	return nil
}

// LoadModel returns the model saved under name, or an error wrapping
// ErrNotFound.
func (s *Store) LoadModel(ctx context.Context, name string) (Model, error) {
	if err := validateModelName(name); err != nil {
		return Model{}, fmt.Errorf("store: load model %q: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return Model{}, fmt.Errorf("store: load model %q: %w", name, err)
	}
	var m Model
	err := s.view(ctx, func(tx kv.Tx) error {
		models := tx.Bucket(bucketModels)
		if models == nil {
			return fmt.Errorf("database is damaged: bucket %q is missing", bucketModels)
		}
		val := models.Get([]byte(name))
		if val == nil {
			return ErrNotFound
		}
		var err error
		m, err = decodeModel(name, val)
		return err
	})
	if err != nil {
		return Model{}, fmt.Errorf("store: load model %q: %w", name, err)
	}
	return m, nil
}

// modelHeader precedes a model's bytes in its value: uvarint(len(header))
// header data.
type modelHeader struct {
	V     int       `json:"v"`
	Hash  string    `json:"hash"`
	Saved time.Time `json:"saved"`
}

func encodeModel(m Model) ([]byte, error) {
	h, err := json.Marshal(modelHeader{V: formatV1, Hash: m.Hash, Saved: m.Saved})
	if err != nil {
		return nil, fmt.Errorf("encode model header: %w", err)
	}
	val := make([]byte, 0, binary.MaxVarintLen64+len(h)+len(m.Data))
	val = binary.AppendUvarint(val, uint64(len(h)))
	val = append(val, h...)
	return append(val, m.Data...), nil
}

// decodeModel copies a model out of val, which bbolt owns.
func decodeModel(name string, val []byte) (Model, error) {
	n, w := binary.Uvarint(val)
	if w <= 0 || n > uint64(len(val)-w) {
		return Model{}, fmt.Errorf("model value is truncated")
	}
	var h modelHeader
	if err := json.Unmarshal(val[w:w+int(n)], &h); err != nil {
		return Model{}, fmt.Errorf("decode model header: %w", err)
	}
	if h.V != formatV1 {
		return Model{}, fmt.Errorf("unknown model format %d", h.V)
	}
	return Model{
		Name:  name,
		Hash:  h.Hash,
		Data:  bytes.Clone(val[w+int(n):]),
		Saved: h.Saved.UTC(),
	}, nil
}
