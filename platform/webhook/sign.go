package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Scheme is how the requests of the protocol are signed, both ways
// (platform.webhook.signing).
type Scheme string

// The signing schemes.
const (
	// SchemeStandard is Standard Webhooks (standardwebhooks.com): the
	// headers webhook-id, webhook-timestamp and webhook-signature, "v1,"
	// and the base64 HMAC-SHA256 of "id.timestamp.body", one per secret,
	// space-separated. The default.
	SchemeStandard Scheme = "standard"
	// SchemeOutreachV1 is outreach's own first scheme: X-Outreach-Timestamp
	// and X-Outreach-Signature: v1=<hex HMAC-SHA256 of "timestamp.body">.
	SchemeOutreachV1 Scheme = "outreach-v1"
)

// Schemes lists the schemes, the default first.
var Schemes = []Scheme{SchemeStandard, SchemeOutreachV1}

// Header names of the protocol.
const (
	HeaderWebhookID        = "webhook-id"           // standard: the message id, signed
	HeaderWebhookTimestamp = "webhook-timestamp"    // standard: unix seconds, decimal
	HeaderWebhookSignature = "webhook-signature"    // standard: "v1,<base64>" per secret, space-separated
	HeaderTimestamp        = "X-Outreach-Timestamp" // outreach-v1: unix seconds, decimal
	HeaderSignature        = "X-Outreach-Signature" // outreach-v1: "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	HeaderIdempotencyKey   = "Idempotency-Key"      // the action's key (actions only)
)

// DefaultTolerance is how far a request's timestamp may lie from the
// receiver's clock, either way (the Standard Webhooks libraries' 5 minutes).
const DefaultTolerance = 5 * time.Minute

// MaxWebhookID bounds the webhook-id a receiver takes, in bytes.
const MaxWebhookID = 256

// SecretPrefix starts a Standard Webhooks secret: "whsec_" and the base64
// of the raw HMAC key.
const SecretPrefix = "whsec_"

// MinSecretBytes is the shortest raw key a whsec_ secret may decode to.
const MinSecretBytes = 16

// Errors of Verify and ReplayCache.Add. A receiver answers all of them with
// 401 Unauthorized.
var (
	ErrNoSignature  = errors.New("webhook: missing signature, timestamp or id")
	ErrBadSignature = errors.New("webhook: bad signature")
	ErrStale        = errors.New("webhook: stale timestamp")
	ErrReplayed     = errors.New("webhook: replayed")
)

// ErrSecret is wrapped by ParseKeys's errors.
var ErrSecret = errors.New("webhook: unusable secret")

// Keys are how one side signs and verifies: the scheme and its secrets.
// The zero value has no secret (it signs nothing and verifies nothing).
type Keys struct {
	// Scheme is SchemeStandard when "".
	Scheme Scheme
	// Secrets are the raw HMAC keys: one, or two while a secret is
	// rotated (old, new). With SchemeStandard every secret signs (one
	// signature each, so that a receiver holding either accepts); with
	// SchemeOutreachV1 the last one signs. A request signed by any of them
	// verifies.
	Secrets [][]byte
}

// StandardKeys returns Standard Webhooks keys of the raw secrets.
func StandardKeys(secrets ...[]byte) Keys { return Keys{Scheme: SchemeStandard, Secrets: secrets} }

// OutreachV1Keys returns outreach-v1 keys of the raw secrets.
func OutreachV1Keys(secrets ...[]byte) Keys { return Keys{Scheme: SchemeOutreachV1, Secrets: secrets} }

// Empty reports whether k holds no secret.
func (k Keys) Empty() bool {
	for _, s := range k.Secrets {
		if len(s) > 0 {
			return false
		}
	}
	return true
}

func (k Keys) scheme() Scheme {
	if k.Scheme == "" {
		return SchemeStandard
	}
	return k.Scheme
}

// ParseScheme returns the scheme named s ("" is SchemeStandard).
func ParseScheme(s string) (Scheme, error) {
	if s == "" {
		return SchemeStandard, nil
	}
	for _, sc := range Schemes {
		if string(sc) == s {
			return sc, nil
		}
	}
	return "", fmt.Errorf("webhook: unknown signing scheme %q (want standard or outreach-v1)", s)
}

// ParseKeys returns the keys of scheme held in value, an environment
// variable's text. For SchemeStandard, value holds one whsec_ secret, or
// two (old and new, in that order) separated by a comma or spaces while a
// secret is rotated: each "whsec_" and the standard base64 of at least
// MinSecretBytes bytes. For SchemeOutreachV1, value is the raw secret,
// whole, as outreach has always read it. Errors wrap ErrSecret and never
// quote the value.
func ParseKeys(scheme Scheme, value string) (Keys, error) {
	scheme, err := ParseScheme(string(scheme))
	if err != nil {
		return Keys{}, err
	}
	if value == "" {
		return Keys{}, fmt.Errorf("%w: empty", ErrSecret)
	}
	if scheme == SchemeOutreachV1 {
		return OutreachV1Keys([]byte(value)), nil
	}
	parts := strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	if len(parts) == 0 || len(parts) > 2 {
		return Keys{}, fmt.Errorf("%w: want one whsec_ secret, or two (old and new) separated by a comma or a space, got %d", ErrSecret, len(parts))
	}
	k := Keys{Scheme: SchemeStandard}
	for i, p := range parts {
		raw, err := DecodeSecret(p)
		if err != nil {
			return Keys{}, fmt.Errorf("%w: secret %d of %d: %v", ErrSecret, i+1, len(parts), err)
		}
		k.Secrets = append(k.Secrets, raw)
	}
	return k, nil
}

// DecodeSecret returns the raw key of a whsec_ secret.
func DecodeSecret(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, errors.New(`want "whsec_" and base64 (make one with: echo whsec_$(head -c 32 /dev/urandom | base64); a raw secret needs signing: outreach-v1)`)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("the text after whsec_ is not standard base64")
	}
	if len(raw) < MinSecretBytes {
		return nil, fmt.Errorf("%d bytes after decoding, want at least %d", len(raw), MinSecretBytes)
	}
	return raw, nil
}

// EncodeSecret returns the whsec_ form of a raw key.
func EncodeSecret(raw []byte) string { return SecretPrefix + base64.StdEncoding.EncodeToString(raw) }

const sigPrefix = "v1="

// Sign returns the outreach-v1 signature header value of body sent at
// unix time ts: "v1=" and the hex HMAC-SHA256 of secret over ts, ".", body.
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

// SignStandard returns one Standard Webhooks signature of body sent at
// unix time ts with message id id: "v1," and the base64 HMAC-SHA256 of
// secret over id, ".", ts, ".", body.
func SignStandard(secret []byte, id string, ts int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(macStandard(secret, id, strconv.FormatInt(ts, 10), body))
}

func macStandard(secret []byte, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// SignHeaders sets the signature headers of a request whose body is body,
// sent at now: with SchemeStandard, webhook-id (id), webhook-timestamp and
// webhook-signature (one signature per secret); with SchemeOutreachV1,
// X-Outreach-Timestamp and X-Outreach-Signature (id unused). It sets
// nothing when k has no secret.
func (k Keys) SignHeaders(h http.Header, id string, body []byte, now time.Time) {
	if k.Empty() {
		return
	}
	ts := now.Unix()
	if k.scheme() == SchemeOutreachV1 {
		h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		h.Set(HeaderSignature, Sign(k.Secrets[len(k.Secrets)-1], ts, body))
		return
	}
	sigs := make([]string, 0, len(k.Secrets))
	for _, s := range k.Secrets {
		if len(s) > 0 {
			sigs = append(sigs, SignStandard(s, id, ts, body))
		}
	}
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderWebhookSignature, strings.Join(sigs, " "))
}

// SignRequest signs r, whose body is body, as SignHeaders does.
func SignRequest(r *http.Request, k Keys, id string, body []byte, now time.Time) {
	k.SignHeaders(r.Header, id, body, now)
}

// Verified is what Verify learned of a request it accepted.
type Verified struct {
	// ID is the request's message id (webhook-id), "" with outreach-v1.
	ID string
	// ReplayKey names the request in a replay guard: "id:" and the
	// webhook-id with SchemeStandard (a receiver refuses a webhook-id it
	// has seen), the signature header with SchemeOutreachV1.
	ReplayKey string
	// Until is when the request leaves the tolerance window: the replay
	// guard need not remember it after.
	Until time.Time
}

// Verify checks the signature of a request whose headers are h and body
// body, in the scheme of k: a signature must be the HMAC of the request's
// own id (standard), timestamp and body by one of k's secrets (compared in
// constant time; with SchemeStandard the header may hold several
// space-separated signatures, unknown versions ignored, and one match is
// enough), and the timestamp within tolerance of now (DefaultTolerance
// when tolerance <= 0). It returns ErrNoSignature (a header missing, or a
// webhook-id over MaxWebhookID bytes), ErrBadSignature or ErrStale, or
// nil. Replays are the business of a Replays, fed with Verified.ReplayKey.
func (k Keys) Verify(h http.Header, body []byte, now time.Time, tolerance time.Duration) (Verified, error) {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var (
		tsText string
		v      Verified
		ok     bool
	)
	if k.scheme() == SchemeOutreachV1 {
		tsText, ok = k.verifyV1(h, body)
		v.ReplayKey = h.Get(HeaderSignature)
	} else {
		tsText, v.ID, ok = k.verifyStandard(h, body)
		v.ReplayKey = "id:" + v.ID
	}
	if tsText == "" {
		return Verified{}, ErrNoSignature
	}
	if !ok {
		return Verified{}, ErrBadSignature
	}
	ts, _ := strconv.ParseInt(tsText, 10, 64) // parsed by verify*
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return Verified{}, ErrStale
	}
	v.Until = time.Unix(ts, 0).Add(tolerance)
	return v, nil
}

// verifyV1 returns the timestamp header ("" when a header is missing) and
// whether an outreach-v1 signature matches.
func (k Keys) verifyV1(h http.Header, body []byte) (ts string, ok bool) {
	ts, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if ts == "" || sig == "" {
		return "", false
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		return ts, false
	}
	hexSig, found := strings.CutPrefix(sig, sigPrefix)
	got, err := hex.DecodeString(hexSig)
	if !found || err != nil {
		return ts, false
	}
	match := false
	for _, s := range k.Secrets {
		if len(s) > 0 && hmac.Equal(got, mac(s, ts, body)) {
			match = true
		}
	}
	return ts, match
}

// verifyStandard returns the timestamp header ("" when a header is
// missing or the id is too long), the id, and whether a Standard Webhooks
// signature matches.
func (k Keys) verifyStandard(h http.Header, body []byte) (ts, id string, ok bool) {
	id, ts, sig := h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp), h.Get(HeaderWebhookSignature)
	if id == "" || ts == "" || sig == "" || len(id) > MaxWebhookID {
		return "", "", false
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		return ts, id, false
	}
	var want [][]byte
	for _, s := range k.Secrets {
		if len(s) > 0 {
			want = append(want, macStandard(s, id, ts, body))
		}
	}
	match := false
	for _, vs := range strings.Fields(sig) {
		b64, found := strings.CutPrefix(vs, "v1,")
		if !found {
			continue // another version: not ours to check
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		for _, w := range want {
			if hmac.Equal(got, w) {
				match = true
			}
		}
	}
	return ts, id, match
}

// Verify checks r, whose body is body, as Keys.Verify does.
func Verify(k Keys, r *http.Request, body []byte, now time.Time, tolerance time.Duration) (Verified, error) {
	return k.Verify(r.Header, body, now, tolerance)
}

// VerifyAndRecord verifies r as Verify does, then records its replay key
// in replay, returning ErrReplayed when it was seen before. A receiver
// that fails to handle the request (and answers 5xx, expecting a retry)
// should Forget the replay key, which is returned.
func VerifyAndRecord(k Keys, replay *ReplayCache, r *http.Request, body []byte, now time.Time, tolerance time.Duration) (key string, err error) {
	v, err := Verify(k, r, body, now, tolerance)
	if err != nil {
		return "", err
	}
	return v.ReplayKey, replay.Add(v.ReplayKey, v.Until, now)
}

// ActionID returns the webhook-id of one HTTP attempt of an action:
// the action's key (bytes outside printable ASCII, and '%', written %XX;
// cut to 200 bytes), "#", the attempt within this delivery (1, 2, ...),
// ".", and the attempt's nonce (as the body carries it), such as
// "spring/1u5l5vqvwqikw/connect.1#2.9f2c4e0d1a7b3c55". It is unique to
// each HTTP request, a later delivery of the same key included: an
// integration dedupes actions by their key, never by webhook-id.
func ActionID(key string, attempt int, nonce string) string {
	return headerSafe(key, 200) + "#" + strconv.Itoa(attempt) + "." + nonce
}

// EventID returns the webhook-id of an event outreach (the sandbox)
// sends: "evt_" and the body's nonce, unique to each delivery.
func EventID(nonce string) string { return "evt_" + nonce }

// headerSafe returns s with the bytes outside printable ASCII, and '%',
// percent-encoded, cut to at most max bytes (never inside an escape).
func headerSafe(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		enc := string(c)
		if c <= ' ' || c >= 0x7f || c == '%' {
			enc = fmt.Sprintf("%%%02X", c)
		}
		if b.Len()+len(enc) > max {
			break
		}
		b.WriteString(enc)
	}
	return b.String()
}
