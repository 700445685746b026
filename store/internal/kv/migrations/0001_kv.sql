-- The key-value tables the store runs over (store/internal/kv).
-- A bucket is a row of kv_buckets, with its own sequence (NextSequence:
-- updated in the transaction, so a rollback gives its numbers back, as
-- bbolt does). Its keys are rows of kv_pairs; bytea compares byte by byte
-- (memcmp, then length), the order bbolt keeps, whatever the collation.
CREATE TABLE kv_buckets (
	id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name     bytea  NOT NULL UNIQUE CHECK (length(name) > 0),
	sequence bigint NOT NULL DEFAULT 0
);

CREATE TABLE kv_pairs (
	bucket bigint NOT NULL REFERENCES kv_buckets (id) ON DELETE CASCADE,
	key    bytea  NOT NULL CHECK (length(key) BETWEEN 1 AND 2048),
	value  bytea  NOT NULL,
	PRIMARY KEY (bucket, key)
);
