package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header names of the protocol.
const (
	HeaderTimestamp      = "X-Outreach-Timestamp" // unix seconds, decimal
	HeaderSignature      = "X-Outreach-Signature" // "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	HeaderIdempotencyKey = "Idempotency-Key"      // the action's key (actions only)
)

// DefaultTolerance is how far a request's timestamp may lie from the
// receiver's clock, either way.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify and ReplayCache.Add. A receiver answers all of them with
// 401 Unauthorized.
var (
	ErrNoSignature  = errors.New("webhook: missing signature or timestamp")
	ErrBadSignature = errors.New("webhook: bad signature")
	ErrStale        = errors.New("webhook: stale timestamp")
	ErrReplayed     = errors.New("webhook: replayed")
)

const sigPrefix = "v1="

// Sign returns the signature header value of body sent at unix time ts:
// "v1=" and the hex HMAC-SHA256 of secret over ts, ".", body.
func Sign(secret []byte, ts int64, body []byte) string {
	return sigPrefix + hex.EncodeToString(mac(secret, strconv.FormatInt(ts, 10), body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// SignRequest sets the timestamp (now, in unix seconds) and signature headers
// of r, whose body is body.
func SignRequest(r *http.Request, secret []byte, body []byte, now time.Time) {
	ts := now.Unix()
	r.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	r.Header.Set(HeaderSignature, Sign(secret, ts, body))
}

// Verify checks the signature of a request whose body is body: the
// signature must be the HMAC of the request's own timestamp and body
// (compared in constant time), and the timestamp within tolerance of now
// (DefaultTolerance when tolerance <= 0). It returns ErrNoSignature,
// ErrBadSignature or ErrStale, or nil. Replays are the business of a
// ReplayCache, fed with the signature once Verify accepted it.
func Verify(secret []byte, r *http.Request, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	tsText, sig := r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature)
	if tsText == "" || sig == "" {
		return ErrNoSignature
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	hexSig, ok := strings.CutPrefix(sig, sigPrefix)
	if !ok {
		return ErrBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || !hmac.Equal(got, mac(secret, tsText, body)) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}

// VerifyAndRecord verifies r as Verify does, then records its signature in
// replay, returning ErrReplayed when it was seen before. A receiver that
// fails to handle the request (and answers 5xx, expecting a retry) should
// Forget the signature, which is returned.
func VerifyAndRecord(secret []byte, replay *ReplayCache, r *http.Request, body []byte, now time.Time, tolerance time.Duration) (sig string, err error) {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if err := Verify(secret, r, body, now, tolerance); err != nil {
		return "", err
	}
	sig = r.Header.Get(HeaderSignature)
	ts, _ := strconv.ParseInt(r.Header.Get(HeaderTimestamp), 10, 64)
	return sig, replay.Add(sig, time.Unix(ts, 0).Add(tolerance), now)
}

// DefaultReplayEntries bounds a ReplayCache made with NewReplayCache(0).
const DefaultReplayEntries = 100_000

// ReplayCache remembers the signatures of verified requests until their
// timestamps leave the tolerance window, so that a captured request sent
// again is refused. Its memory is bounded: when it holds its maximum, the
// oldest entry is dropped first (only a signed request can enter the cache,
// so only a flood of genuine requests can push one out early). It is safe
// for concurrent use.
type ReplayCache struct {
	mu    sync.Mutex
	max   int
	seen  map[string]int64 // signature -> unix ns until which it is remembered
	queue []replayEntry    // insertion order; entries may be stale (forgotten or re-added)
	head  int
}

type replayEntry struct {
	sig   string
	until int64
}

// NewReplayCache returns a cache holding at most max signatures
// (DefaultReplayEntries when max <= 0).
func NewReplayCache(max int) *ReplayCache {
	if max <= 0 {
		max = DefaultReplayEntries
	}
	return &ReplayCache{max: max, seen: map[string]int64{}}
}

// Add records sig, valid until until, and returns ErrReplayed when it is
// already recorded and not yet expired at now.
func (c *ReplayCache) Add(sig string, until, now time.Time) error {
	n, u := now.UnixNano(), until.UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.seen[sig]; ok && t >= n {
		return ErrReplayed
	}
	c.evict(n)
	c.seen[sig] = u
	c.queue = append(c.queue, replayEntry{sig, u})
	return nil
}

// Forget removes sig, so that the same request may be sent again (after a
// receiver failed to handle it).
func (c *ReplayCache) Forget(sig string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.seen, sig)
}

// Len returns the number of signatures remembered.
func (c *ReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// evict drops entries from the front of the queue while they are expired,
// stale, or the cache is full; then compacts the queue when it is mostly
// dead.
func (c *ReplayCache) evict(now int64) {
	for c.head < len(c.queue) {
		e := c.queue[c.head]
		t, live := c.seen[e.sig]
		live = live && t == e.until
		if live && e.until >= now && len(c.seen) < c.max {
			break
		}
		if live {
			delete(c.seen, e.sig)
		}
		c.queue[c.head] = replayEntry{}
		c.head++
	}
	if c.head > 1024 && c.head > len(c.queue)/2 || len(c.queue)-c.head > 2*c.max {
		q := make([]replayEntry, 0, len(c.seen)+1)
		for _, e := range c.queue[c.head:] {
			if t, ok := c.seen[e.sig]; ok && t == e.until {
				q = append(q, e)
			}
		}
		c.queue, c.head = q, 0
	}
}
