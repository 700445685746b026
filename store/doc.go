// Package store keeps Docent's history (every message it saw and every
// answer it gave) and its trained models in one bbolt file. It is the only
// package that imports bbolt: callers see typed operations, never buckets or
// transactions.
//
// # Writes
//
// One writer goroutine owns every write. AppendMessage, AppendAnswer and
// SaveModel validate and encode their record in the caller's goroutine,
// queue it and wait; the writer takes whatever is queued (up to
// Options.MaxBatch) and commits it in one fsynced transaction. Under load
// this turns N fsyncs into one, which is what makes a 2-core VM with a
// millisecond fsync keep up with a busy community; with one caller it costs
// nothing over a plain db.Update. A write returns only after its commit.
//
// # Layout (schema 1)
//
//	meta           "schema" → "1" (ASCII decimal, so `bbolt get` shows it);
//	               "schema:NAME" → a feature module's own version (schema.go)
//	messages       conv ‖ id → record value
//	ids            id → conv ‖ id (the key in messages)
//	conversations  conv → summary {records, last}
//	models         name → model value
//
// Created on first use (older files need no migration): platform_ids
// (platform ‖ 0 ‖ the platform's message ID → record ID, for votes),
// and feedback. The feature modules' own buckets live with them
// (bot/analytics: stats, the activity counters; bot/budgets: usage;
// bot/challenges: submissions, announcements; bot/lessons: taught).
//
// conv is uvarint(len(platform)) platform uvarint(len(channel)) channel
// uvarint(len(thread)) thread, and id is the record ID as 8 big-endian
// bytes. Length prefixes make conv self-delimiting: no conversation's conv
// is a prefix of another's key, so "a" never mixes with "ab", nor channel
// "x" with channel "x" thread "y", whatever bytes the platform uses in its
// IDs (a separator byte would have to be forbidden in them). Because a
// conversation's keys are contiguous and sorted by ID, "the newest N of a
// conversation" is one Seek past conv and N Prev calls, without reading any
// other conversation. The ids bucket makes Record(id) two point lookups.
// IDs come from the messages bucket's NextSequence: increasing across all
// conversations, and never reused because the sequence is stored in the
// bucket and only moves forward in committed transactions.
//
// The conversations bucket is a summary kept up to date in the same
// transaction as each append, so `docent history --list` reads one small
// value per conversation instead of scanning every record.
//
// # Encoding
//
// A record value is JSON with a format version ({"v":1,...}) and without
// the ID and conversation, which the key already holds. JSON because the
// values are small, because fsync, not encoding, bounds write throughput,
// because a new optional field needs no migration, and because an operator
// can read a value with the bbolt command line tool. Its pitfalls are closed
// by validation before queueing: strings must be valid UTF-8 (encoding/json
// would silently replace bad bytes), confidences must be finite and years
// within 0..9999 (encoding/json refuses the others). Times are stored in UTC
// with nanoseconds (RFC 3339).
//
// A model value is a length-prefixed JSON header ({"v":1,"hash":...,
// "saved":...}) followed by the raw model bytes, so that a model of a few
// megabytes is neither base64-inflated nor parsed as a JSON string.
package store
