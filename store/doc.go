// Package store keeps Docent's history (every message it saw and every
// answer it gave) and its trained models in one bbolt file (Open), or in a
// PostgreSQL database (OpenPostgres). It is the only package that imports
// bbolt: callers see typed operations, never buckets or transactions.
//
// # Databases
//
// Every transaction goes through store/internal/kv, so the same code, the
// same buckets and the same record values serve both. What works on the
// bbolt file itself stays with it (its lock and MaxSize, Check, Backup,
// CompactFile, MeasureSizes, the schema 1 conversion's count) and is
// refused with ErrBoltOnly on PostgreSQL, which has pg_dump and VACUUM.
// On PostgreSQL the store holds a session advisory lock while open: one
// Docent per database, as one per file, until the recorders that keep
// state in memory are safe beside another writer (see storeLock).
//
// # Replicas
//
// Replicas (Options.Replica) share one PostgreSQL database and answer
// together; the store gives them what that needs without doubling or
// losing a message:
//
//   - AppendMessage checks the platform's message ID and stores in one
//     transaction: a message stored already in its channel is refused with
//     a *DuplicateError (ErrDuplicate), and of two replicas storing it at
//     once, SERIALIZABLE aborts one, which runs again and finds the other's.
//   - Replicas take turns to write (kv.Postgres.SerializeWriters), one
//     transaction at a time across them as within one process.
//   - Each message a replica stores is marked pending (bucket pending: id →
//     replica ID) until AnswerSent or Settled; each replica holds a liveness
//     lock keyed by its ID, and ClaimOrphans gives the lead of "pending" the
//     messages of replicas whose lock is free, to answer them.
//
// What stays open: an answer posted by a replica killed before its
// AnswerSent committed is found on the platform by the bot (Slack: the
// answer's metadata), but a post still on the wire at the kill can be
// answered twice; an answer stored and not yet posted is answered again
// (two answers stored, one posted). A lone Docent writes no marks.
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
// # Layout (schema 3)
//
//	meta             "schema" → "3" (ASCII decimal, so `bbolt get` shows it);
//	                 "schema:NAME" → a feature module's own version (schema.go);
//	                 "converting" while schema 1's records are converted,
//	                 "reindexing" while schema 2's platform IDs are indexed again
//	messages         conv ‖ id → record value (format 2)
//	ids              id → conv (with the ID, the key in messages)
//	conversations    conv → summary {records, last}
//	models           name → model value
//	platform_keys    the time the platform's message ID tells (Unix seconds,
//	                 4 bytes, 0 when it tells none) ‖ FNV-1a 32 of the
//	                 platform and the ID → record IDs (uvarints; one but
//	                 for a collision)
//
// Created on first use: platform_keys, feedback and, on replicas,
// pending. The feature
// modules' own buckets live with them (bot/analytics: stats, the activity
// counters; bot/budgets: usage; bot/challenges: submissions,
// announcements; bot/lessons: taught; bot/attention, bot/threads,
// bot/recommend, bot/routing: theirs). Schema 1 differed in three ways:
// its record values were JSON (format 1), ids held the whole key in
// messages (the ID twice), and platform_ids held platform ‖ 0 ‖ the whole
// message ID → 8-byte record ID. Open converts a schema 1 file
// in place (convert.go), in chunks behind the "converting" mark so that a
// kill resumes, and `docent migrate` does the same with a progress line,
// then compacts the file.
//
// platform_keys finds the record a vote, an import or a replica names by
// the platform's ID. Its key holds a hash because the record already
// holds the ID: platform_ids kept 30 to 40 bytes of ID in every key, 60
// bytes a message with bbolt's 16 bytes of element header; a lookup reads
// the candidate records to keep the one whose ID it is. Schema 2's
// platform_hashes (platform ‖ 0 ‖ FNV-1a 64, 31 bytes a message) put the
// keys in hash order, so an import's inserts landed all over the bucket;
// schema 3's begin with the message's time, so they mostly append
// (reindex.go rebuilds the index from the records, in chunks behind the
// "reindexing" mark). Schema 3 also leaves out a time's nanoseconds when
// it has none (format 2's flagWholeSecond).
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
// A record value (format 2, format.go) is binary: a version byte (2; a
// format 1 value is JSON and starts with '{', so readers tell them apart
// and a file converting holds both), a uvarint of flags saying which
// optional fields follow, the time as varint Unix seconds and uvarint
// nanoseconds (UTC), the author's ID, the text, then the optional fields
// in a fixed order: the author's name when it is not their ID, space,
// platform ID, ReplyTo, source, intent and confidence (8 bytes), the ID
// of the message replied to, reactions. Strings are a uvarint length and
// their bytes. The ID and the conversation stay in the key. A new
// optional field takes a new flag, so old values need no migration;
// decoding checks every length and fails on a damaged value, never
// panics.
//
// Schema 1 wrote JSON ({"v":1,...}): because fsync, not encoding, bounds
// writes, because a new field needed no migration, and because `bbolt get`
// showed a value. It was the largest share of the file: on a generated
// history of a million messages (docent bench history --jsonl, imported),
// `docent sizes` found the messages at 268 bytes a message (192 of JSON
// value, pages 87% full), platform_ids at 124 (49% full), ids at 52: 616
// bytes a message in all. Format 2 takes 79 bytes where JSON took 192;
// with full pages for the append-only buckets (FillPercent 1.0: keys grow
// only at the end of a conversation's range, and bbolt's default split
// left pages half empty), platform_hashes and ids without the ID, the
// converted and compacted file is 292 bytes a message (616 before), the
// DuraSpace IRC history's 338 (811). Encoding is 21 times faster than JSON and decoding 6 times
// (BenchmarkRecordFormat). What is left is mostly the text itself (the
// DuraSpace history's IRC lines average 100 bytes), the ids index, and
// the modules' figures (the analytics module's stats, 38 bytes a
// message). `docent sizes` shows where a file's bytes go.
//
// Values are validated before queueing: strings must be valid UTF-8,
// confidences finite, years within 0..9999.
//
// A model value is a length-prefixed JSON header ({"v":1,"hash":...,
// "saved":...}) followed by the raw model bytes, so that a model of a few
// megabytes is neither base64-inflated nor parsed as a JSON string.
package store
