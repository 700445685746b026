package kv

// NewConns is how many connections p's pool has made so far.
func NewConns(p *Postgres) int64 { return p.pool.Stat().NewConnsCount() }
