package challenges

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Expected answers are stored as argon2id hashes in the PHC string format
// ($argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>, base64 without padding),
// so that a challenge file can live in a public repository.
//
// Why argon2id: it is the password hash RFC 9106 and OWASP recommend, it
// is memory-hard (each guess needs m KiB of memory, which is what makes
// GPUs and ASICs expensive) and its hybrid addressing resists side
// channels; scrypt is also memory-hard but its cost knobs are coupled and
// it is the older second choice. Answers are short and often numeric
// ("233168"), so the hash must make each guess cost: with the defaults
// below one guess takes 64 MiB and 0.26 s of CPU (150 ms on a 2-core VM,
// which is also what checking one submission costs; measured with
// `go test ./bot/challenges -bench Hash`), so trying every 6-digit number
// costs about three CPU-days and every 8-digit one most of a CPU-year.
// That slows brute force; it cannot stop a well-equipped attacker from
// finding a very short answer, so for contests with stakes keep the files
// private until the end.
//
// The salt is per challenge: every answer of a challenge is hashed with the
// same salt and parameters, so checking a submission costs one hash
// whatever the number of parts and accepted answers, and a guess computed
// for one challenge is useless for any other (Load refuses two challenges
// with the same salt).

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	KeyLen  uint32 // bytes of hash
}

// DefaultParams is RFC 9106's second recommended option (64 MiB, 3 passes,
// 4 lanes) with a 32-byte hash: what `docent challenge hash` uses.
func DefaultParams() Params { return Params{Memory: 64 << 10, Time: 3, Threads: 4, KeyLen: 32} }

// MinParams is the cheapest Load accepts: OWASP's minimum for argon2id
// (19 MiB, 2 passes). Cheaper hashes would make brute force too easy.
func MinParams() Params { return Params{Memory: 19 << 10, Time: 2, Threads: 1, KeyLen: 16} }

// Bounds on parameters read from a file: above them a hash would take the
// bot's memory or minutes of CPU per submission.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 16
	maxThreads = 16
	maxKeyLen  = 64
	minSalt    = 8
	maxSalt    = 64
)

// check reports what makes p unusable, or "".
func (p Params) check() string {
	lo := MinParams()
	switch {
	case p.Memory > maxMemory || p.Time > maxTime || p.Threads > maxThreads || p.KeyLen > maxKeyLen:
		return fmt.Sprintf("costs more than Docent allows (at most m=%d, t=%d, p=%d and a %d-byte hash)", maxMemory, maxTime, maxThreads, maxKeyLen)
	case p.Threads < 1 || p.Memory < 8*uint32(p.Threads):
		return "has fewer than 8 KiB of memory per lane, which argon2 does not allow"
	case uint64(p.Memory)*uint64(p.Time) < uint64(lo.Memory)*uint64(lo.Time) || p.Time < 1:
		return fmt.Sprintf("is too cheap to slow down guessing: use at least m=%d,t=%d (docent challenge hash uses m=%d,t=%d,p=%d)",
			lo.Memory, lo.Time, DefaultParams().Memory, DefaultParams().Time, DefaultParams().Threads)
	case p.KeyLen < lo.KeyLen:
		return fmt.Sprintf("has a %d-byte hash; at least %d bytes are needed", p.KeyLen, lo.KeyLen)
	}
	return ""
}

func (p Params) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
}

// NewSalt returns 16 random bytes.
func NewSalt() []byte {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return b
}

// ParseSalt reads a salt written as in a hash: base64 without padding.
func ParseSalt(s string) ([]byte, error) {
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("salt %q is not base64 without padding (as written in a hash: the part after the parameters)", s)
	}
	if len(b) < minSalt || len(b) > maxSalt {
		return nil, fmt.Errorf("salt %q has %d bytes; use %d to %d", s, len(b), minSalt, maxSalt)
	}
	return b, nil
}

var b64 = base64.RawStdEncoding

// Hash hashes a canonical answer (see Canonical) with salt and p, and
// writes it in the PHC string format.
func Hash(canonical string, salt []byte, p Params) string {
	key := argon2.IDKey([]byte(canonical), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$%s$%s$%s", argon2.Version, p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// answerHash is one parsed hash.
type answerHash struct {
	params Params
	salt   []byte
	key    []byte
}

// parseHash reads a PHC argon2id string; the error says what is wrong in
// words an admin can act on.
func parseHash(s string) (answerHash, error) {
	const want = "is not an argon2id hash like $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>: make it with `docent challenge hash`"
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" {
		if strings.HasPrefix(s, "$argon2id$") || strings.HasPrefix(s, "t=") || strings.HasPrefix(s, "p=") {
			// [a, b] in YAML splits at commas, and a hash has two.
			return answerHash{}, fmt.Errorf("%s; in a [flow, list] put each hash in quotes, or write one per line after -", want)
		}
		return answerHash{}, fmt.Errorf("%s", want)
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return answerHash{}, fmt.Errorf("has argon2 version %q; Docent knows v=%d", f[2], argon2.Version)
	}
	var h answerHash
	seen := map[string]bool{}
	for kv := range strings.SplitSeq(f[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || seen[k] {
			return answerHash{}, fmt.Errorf("has parameters %q; want m=<KiB>,t=<passes>,p=<lanes>", f[3])
		}
		seen[k] = true
		switch k {
		case "m":
			h.params.Memory = uint32(n)
		case "t":
			h.params.Time = uint32(n)
		case "p":
			if n > 255 {
				n = 255 // refused by check below
			}
			h.params.Threads = uint8(n)
		default:
			return answerHash{}, fmt.Errorf("has an unknown parameter %q; want m, t and p", k)
		}
	}
	if !seen["m"] || !seen["t"] || !seen["p"] {
		return answerHash{}, fmt.Errorf("has parameters %q; want m=<KiB>,t=<passes>,p=<lanes>", f[3])
	}
	var err error
	if h.salt, err = b64.DecodeString(f[4]); err != nil || len(h.salt) < minSalt || len(h.salt) > maxSalt {
		return answerHash{}, fmt.Errorf("has a salt that is not %d to %d bytes of base64 without padding", minSalt, maxSalt)
	}
	if h.key, err = b64.DecodeString(f[5]); err != nil {
		return answerHash{}, fmt.Errorf("has a hash that is not base64 without padding")
	}
	h.params.KeyLen = uint32(len(h.key))
	if p := h.params.check(); p != "" {
		return answerHash{}, fmt.Errorf("%s", p)
	}
	return h, nil
}

// Verifier checks answers against hashes, a few at a time: one check takes
// the parameters' memory (64 MiB by default) for tens of milliseconds, so
// a burst of submissions must not take them all at once.
type Verifier struct {
	slots chan struct{}
}

// NewVerifier returns a Verifier that runs at most n hashes at once (at
// least one).
func NewVerifier(n int) *Verifier {
	return &Verifier{slots: make(chan struct{}, max(n, 1))}
}

// Check reports whether answer is right for part p of c. An answer that
// cannot be checked (empty, too long, not a number) is an error wrapping
// ErrBadAnswer. It waits for a free slot until ctx is done.
func (v *Verifier) Check(ctx context.Context, c *Challenge, p *Part, answer string) (bool, error) {
	canon, err := Canonical(answer, p.Tolerance)
	if err != nil {
		return false, err
	}
	select {
	case v.slots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	key := argon2.IDKey([]byte(canon), c.salt, c.params.Time, c.params.Memory, c.params.Threads, c.params.KeyLen)
	<-v.slots
	right := 0
	for _, want := range p.keys {
		right |= subtle.ConstantTimeCompare(key, want) // every hash compared, in constant time
	}
	return right == 1, nil
}
