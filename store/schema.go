package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docent-bot/docent/store/internal/kv"
)

// Schema versions. Every owner of records in the file has a version of
// its layout in the meta bucket: the core (the store's own buckets) under
// "schema", as in every release, and each feature module under
// "schema:NAME" (ASCII decimal, so `bbolt get` shows them). Open compares
// each with the version this code reads and runs the migrations between
// them, so a feature's schema lives with the feature and only the order
// of the steps lives here.

// Schema is the layout of one owner's records, and the way to it from the
// older ones.
type Schema struct {
	// Version is the layout this code reads and writes. 0 is an owner with
	// no versioned layout, which needs nothing.
	Version int
	// Migrations are the steps from older layouts. Open runs each in one
	// transaction of its own, together with the new version, so that a
	// kill leaves the file at the step's From or at its To, never between.
	//
	// A file that records no version for the owner is at version 0: a new
	// file, or one from before the owner recorded a version. The steps
	// from 0 run on it, when there are any; when there are none, the owner
	// has nothing stored in an older layout and its version is recorded as
	// it is. An owner whose records predate its versions says so with a
	// step from 0 (with Run nil when that layout is its first version).
	Migrations []Migration
}

// Migration is one step of a Schema, from layout From to layout To.
type Migration struct {
	From, To int
	// Run rewrites the owner's records, in the step's transaction; an
	// error or a panic undoes the step and stops Open. nil when the
	// layouts are the same and only the version changes. Like an Update's
	// function it may run more than once, each time from the old layout.
	Run func(*Tx) error
}

// Owner is a feature module's Schema, named as the module is.
type Owner struct {
	Name   string // "challenges"
	Schema Schema
}

// coreSchema is the layout of the store's own buckets (see doc.go): core
// is schemaVersion. From 1 to 2 the record values become binary: the step
// marks them, and Open converts them in chunks (convert.go). From 2 to 3
// the index of platform IDs is rebuilt with time-ordered keys, in chunks
// too (reindex.go).
var coreSchema = Schema{Version: schemaVersion, Migrations: []Migration{
	{From: 1, To: 2, Run: startConversion},
	{From: 2, To: 3, Run: startReindex},
}}

const keyOwnerSchema = "schema:" // + the owner's name, in the meta bucket

// ownerKey is where the meta bucket keeps owner's version; "" is the
// core's.
func ownerKey(owner string) []byte {
	if owner == "" {
		return keySchema
	}
	return []byte(keyOwnerSchema + owner)
}

// ownerLabel names owner in logs and errors.
func ownerLabel(owner string) string {
	if owner == "" {
		return "the core"
	}
	return "module " + owner
}

// check refuses a schema this code cannot follow: steps that go
// backwards or past Version, or two steps from the same version.
func (s Schema) check() error {
	if s.Version < 0 {
		return fmt.Errorf("negative version %d", s.Version)
	}
	from := map[int]bool{}
	for _, m := range s.Migrations {
		switch {
		case m.From < 0 || m.To <= m.From || m.To > s.Version:
			return fmt.Errorf("migration from %d to %d: want 0 ≤ from < to ≤ %d, the version", m.From, m.To, s.Version)
		case from[m.From]:
			return fmt.Errorf("two migrations from %d", m.From)
		}
		from[m.From] = true
	}
	return nil
}

// steps are the migrations that take an owner's records from version
// recorded to s.Version, in order; ok is false when there is no way.
func (s Schema) steps(recorded int) (steps []Migration, ok bool) {
	for v := recorded; v < s.Version; {
		i := slices.IndexFunc(s.Migrations, func(m Migration) bool { return m.From == v })
		switch {
		case i >= 0:
			steps = append(steps, s.Migrations[i])
			v = s.Migrations[i].To
		case v == 0:
			// Nothing stored in an older layout: record the version.
			return []Migration{{From: 0, To: s.Version}}, true
		default:
			return nil, false
		}
	}
	return steps, true
}

// checkOwners refuses owners without a name, or two of the same name, or
// with a schema that cannot be followed: mistakes in the code, reported
// before the file is opened.
func checkOwners(owners []Owner) error {
	seen := map[string]bool{}
	for _, o := range owners {
		switch {
		case o.Name == "" || strings.ContainsRune(o.Name, ':'):
			return fmt.Errorf("store: an owner of records has the name %q: want a module's name", o.Name)
		case seen[o.Name]:
			return fmt.Errorf("store: two owners of records are named %q", o.Name)
		}
		seen[o.Name] = true
		if err := o.Schema.check(); err != nil {
			return fmt.Errorf("store: %s's schema: %w", ownerLabel(o.Name), err)
		}
	}
	return nil
}

// plan is an owner's migrations still to run.
type plan struct {
	owner string // "" for the core
	steps []Migration
}

// readVersion is the version meta records under key, and whether there
// is one; err when it is not a number.
func readVersion(meta kv.Bucket, key []byte) (v int, found bool, err error) {
	raw := meta.Get(key)
	if raw == nil {
		return 0, false, nil
	}
	v, err = strconv.Atoi(string(raw))
	if err != nil || v < 0 {
		return 0, true, fmt.Errorf("unknown schema %q", raw)
	}
	return v, true, nil
}

// planOwners reads each owner's recorded version and works out its steps.
// Every owner is checked before anything is written, so a file refused
// for one owner is left as it was for all of them.
func planOwners(tx kv.Tx, path string, owners []Owner) ([]plan, error) {
	meta := tx.Bucket(bucketMeta)
	var plans []plan
	for _, o := range owners {
		v, _, err := readVersion(meta, ownerKey(o.Name))
		label := ownerLabel(o.Name)
		if err != nil {
			return nil, fmt.Errorf("store: %s has an %v for %s; this version reads its schema %d", path, err, label, o.Schema.Version)
		}
		if v > o.Schema.Version {
			return nil, fmt.Errorf("store: %s was written by a newer Docent (%s, schema %d); this version reads %s up to schema %d: run that Docent, or restore a backup from before it", path, label, v, label, o.Schema.Version)
		}
		steps, ok := o.Schema.steps(v)
		if !ok {
			return nil, fmt.Errorf("store: %s has %s at schema %d, which this version cannot migrate; it reads %s at schema %d", path, label, v, label, o.Schema.Version)
		}
		if len(steps) > 0 {
			plans = append(plans, plan{owner: o.Name, steps: steps})
		}
	}
	return plans, nil
}

// migrate runs plans through the writer, owner by owner, each step in one
// transaction with its new version, and logs each. The first step that
// fails stops it: that owner stays at the step's From.
func (s *Store) migrate(plans []plan) error {
	for _, p := range plans {
		key := ownerKey(p.owner)
		for _, m := range p.steps {
			start := time.Now()
			err := s.Update(context.Background(), func(tx *Tx) error {
				meta := tx.tx.Bucket(bucketMeta)
				// Open holds the file's lock: only a changed file could
				// tell another story than planOwners read.
				v, _, err := readVersion(meta, key)
				if err != nil {
					return err
				}
				if v != m.From {
					return fmt.Errorf("the file records schema %d, not %d", v, m.From)
				}
				if m.Run != nil {
					if err := m.Run(tx); err != nil {
						return err
					}
				}
				return meta.Put(key, []byte(strconv.Itoa(m.To)))
			})
			if err != nil {
				return fmt.Errorf("store: %s: %s: migrate schema %d to %d: %w; it stays at schema %d", s.path, ownerLabel(p.owner), m.From, m.To, err, m.From)
			}
			if m.From == 0 && m.Run == nil {
				s.log.Info("store: schema recorded", "owner", logOwner(p.owner), "schema", m.To)
				continue
			}
			s.log.Info("store: schema migrated", "owner", logOwner(p.owner), "from", m.From, "to", m.To, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	return nil
}

// logOwner is owner as the logs name it.
func logOwner(owner string) string {
	if owner == "" {
		return "core"
	}
	return owner
}

// SchemaVersions returns the schema version the file records for each
// feature module that has one, by the module's name.
func (s *Store) SchemaVersions(ctx context.Context) (map[string]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]int{}
	err := s.view(ctx, func(tx kv.Tx) error {
		c := tx.Bucket(bucketMeta).Cursor()
		prefix := []byte(keyOwnerSchema)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			v, _, err := readVersion(tx.Bucket(bucketMeta), k)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			out[string(k[len(prefix):])] = v
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read the schema versions of %s: %w", s.path, err)
	}
	return out, nil
}
