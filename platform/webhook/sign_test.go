package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/wire"
)

// The Standard Webhooks test vector (the reference libraries' signing
// test): this secret, id, timestamp and payload sign to vectorSig.
const (
	vectorSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID      = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS      = 1614265330
	vectorPayload = `{"test": 2432232314}`
	vectorSig     = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	// vectorBadSig is the libraries' "invalid signature" of the same
	// message.
	vectorBadSig = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
)

func vectorKeys(t *testing.T) Keys {
	t.Helper()
	k, err := ParseKeys(SchemeStandard, vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func vectorHeader(sig string, ts int64) http.Header {
	h := http.Header{}
	h.Set(HeaderWebhookID, vectorID)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderWebhookSignature, sig)
	return h
}

func TestStandardVector(t *testing.T) {
	k := vectorKeys(t)
	if got := SignStandard(k.Secrets[0], vectorID, vectorTS, []byte(vectorPayload)); got != vectorSig {
		t.Fatalf("SignStandard = %q, want %q", got, vectorSig)
	}
	h := http.Header{}
	k.SignHeaders(h, vectorID, []byte(vectorPayload), time.Unix(vectorTS, 0))
	if h.Get(HeaderWebhookSignature) != vectorSig || h.Get(HeaderWebhookID) != vectorID || h.Get(HeaderWebhookTimestamp) != "1614265330" {
		t.Fatalf("SignHeaders = %v", h)
	}
	if h.Get(HeaderSignature) != "" || h.Get(HeaderTimestamp) != "" {
		t.Errorf("standard signing set outreach-v1 headers: %v", h)
	}
	now := time.Unix(vectorTS, 0)
	for _, c := range []struct {
		name string
		h    http.Header
		body string
		now  time.Time
		want error
	}{
		{"valid", vectorHeader(vectorSig, vectorTS), vectorPayload, now, nil},
		{"invalid signature", vectorHeader(vectorBadSig, vectorTS), vectorPayload, now, ErrBadSignature},
		{"valid among several (v2 ignored)", vectorHeader(vectorBadSig+" v2,"+vectorSig[3:]+" "+vectorSig+" "+vectorBadSig, vectorTS), vectorPayload, now, nil},
		{"only a v2 of the right bytes", vectorHeader("v2,"+vectorSig[3:], vectorTS), vectorPayload, now, ErrBadSignature},
		{"body changed", vectorHeader(vectorSig, vectorTS), `{"test": 2432232315}`, now, ErrBadSignature},
		{"timestamp changed", vectorHeader(vectorSig, vectorTS+1), vectorPayload, now, ErrBadSignature},
		{"not base64", vectorHeader("v1,!!!", vectorTS), vectorPayload, now, ErrBadSignature},
		{"bad timestamp", vectorHeader(vectorSig, 0), vectorPayload, now, ErrBadSignature},
		{"5 minutes old", vectorHeader(vectorSig, vectorTS), vectorPayload, now.Add(5 * time.Minute), nil},
		{"5 minutes and a second old", vectorHeader(vectorSig, vectorTS), vectorPayload, now.Add(5*time.Minute + time.Second), ErrStale},
		{"5 minutes and a second ahead", vectorHeader(vectorSig, vectorTS), vectorPayload, now.Add(-5*time.Minute - time.Second), ErrStale},
	} {
		if c.name == "bad timestamp" {
			c.h.Set(HeaderWebhookTimestamp, "soon")
		}
		v, err := k.Verify(c.h, []byte(c.body), c.now, 0)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
			continue
		}
		if err == nil && (v.ID != vectorID || v.ReplayKey != "id:"+vectorID || !v.Until.Equal(time.Unix(vectorTS, 0).Add(DefaultTolerance))) {
			t.Errorf("%s: Verified = %+v", c.name, v)
		}
	}
	for _, missing := range []string{HeaderWebhookID, HeaderWebhookTimestamp, HeaderWebhookSignature} {
		h := vectorHeader(vectorSig, vectorTS)
		h.Del(missing)
		if _, err := k.Verify(h, []byte(vectorPayload), now, 0); !errors.Is(err, ErrNoSignature) {
			t.Errorf("without %s: %v, want ErrNoSignature", missing, err)
		}
	}
	long := vectorHeader(vectorSig, vectorTS)
	long.Set(HeaderWebhookID, strings.Repeat("x", MaxWebhookID+1))
	k.SignHeaders(long, long.Get(HeaderWebhookID), []byte(vectorPayload), now)
	if _, err := k.Verify(long, []byte(vectorPayload), now, 0); !errors.Is(err, ErrNoSignature) {
		t.Errorf("a %d-byte id: %v, want ErrNoSignature", MaxWebhookID+1, err)
	}
	// An outreach-v1 receiver does not take a standard request, nor the
	// reverse.
	if _, err := OutreachV1Keys(k.Secrets[0]).Verify(vectorHeader(vectorSig, vectorTS), []byte(vectorPayload), now, 0); !errors.Is(err, ErrNoSignature) {
		t.Errorf("outreach-v1 receiver, standard request: %v", err)
	}
	v1 := http.Header{}
	OutreachV1Keys(k.Secrets[0]).SignHeaders(v1, vectorID, []byte(vectorPayload), now)
	if _, err := k.Verify(v1, []byte(vectorPayload), now, 0); !errors.Is(err, ErrNoSignature) {
		t.Errorf("standard receiver, outreach-v1 request: %v", err)
	}
}

// TestRotation: keys holding two secrets sign once with each; a receiver
// holding either, or both, accepts.
func TestRotation(t *testing.T) {
	oldRaw, newRaw := []byte("0123456789abcdef-old"), []byte("0123456789abcdef-new")
	both, err := ParseKeys(SchemeStandard, EncodeSecret(oldRaw)+", "+EncodeSecret(newRaw))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	body := []byte(`{"a":1}`)
	both.SignHeaders(h, "msg_1", body, t0)
	sigs := strings.Fields(h.Get(HeaderWebhookSignature))
	if len(sigs) != 2 || sigs[0] != SignStandard(oldRaw, "msg_1", t0.Unix(), body) || sigs[1] != SignStandard(newRaw, "msg_1", t0.Unix(), body) {
		t.Fatalf("signatures %q, want one by the old secret, one by the new", sigs)
	}
	for name, k := range map[string]Keys{"old": StandardKeys(oldRaw), "new": StandardKeys(newRaw), "both": both} {
		if _, err := k.Verify(h, body, t0, 0); err != nil {
			t.Errorf("a receiver with the %s secret: %v", name, err)
		}
	}
	if _, err := StandardKeys([]byte("0123456789abcdef-xxx")).Verify(h, body, t0, 0); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a receiver with neither secret: %v", err)
	}
	// A request signed by the old secret alone verifies with both.
	one := http.Header{}
	StandardKeys(oldRaw).SignHeaders(one, "msg_2", body, t0)
	if _, err := both.Verify(one, body, t0, 0); err != nil {
		t.Errorf("signed by the old secret, verified with both: %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	raw := []byte("0123456789abcdef")
	for _, c := range []struct {
		scheme Scheme
		value  string
		want   [][]byte
		err    string
	}{
		{"", vectorSecret, [][]byte{vectorKeys(t).Secrets[0]}, ""},
		{SchemeStandard, EncodeSecret(raw) + " " + EncodeSecret(raw[:16]), [][]byte{raw, raw[:16]}, ""},
		{SchemeStandard, EncodeSecret(raw) + ",\n" + EncodeSecret(raw), [][]byte{raw, raw}, ""},
		{SchemeStandard, "  " + EncodeSecret(raw) + "\n", [][]byte{raw}, ""},
		{SchemeStandard, "raw-secret-of-old", nil, `want "whsec_" and base64`},
		{SchemeStandard, "whsec_***", nil, "not standard base64"},
		{SchemeStandard, EncodeSecret(raw[:15]), nil, "15 bytes after decoding, want at least 16"},
		{SchemeStandard, strings.Repeat(EncodeSecret(raw)+" ", 3), nil, "got 3"},
		{SchemeStandard, " , ", nil, "got 0"},
		{SchemeStandard, "", nil, "empty"},
		{SchemeOutreachV1, "raw secret, with a comma", [][]byte{[]byte("raw secret, with a comma")}, ""},
		{SchemeOutreachV1, vectorSecret, [][]byte{[]byte(vectorSecret)}, ""},
		{"hmac", vectorSecret, nil, "unknown signing scheme"},
	} {
		k, err := ParseKeys(c.scheme, c.value)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseKeys(%q, %q) = %v, want an error with %q", c.scheme, c.value, err, c.err)
			}
			if err != nil && c.value != "" && strings.Contains(err.Error(), c.value) {
				t.Errorf("ParseKeys(%q): the error quotes the secret: %v", c.value, err)
			}
			continue
		}
		if err != nil || len(k.Secrets) != len(c.want) {
			t.Errorf("ParseKeys(%q, %q) = %+v, %v", c.scheme, c.value, k, err)
			continue
		}
		for i := range c.want {
			if string(k.Secrets[i]) != string(c.want[i]) {
				t.Errorf("ParseKeys(%q, %q): secret %d = %q", c.scheme, c.value, i, k.Secrets[i])
			}
		}
	}
}

func TestActionID(t *testing.T) {
	for _, c := range []struct{ key, want string }{
		{"spring/1u5l5vqvwqikw/connect.1", "spring/1u5l5vqvwqikw/connect.1#2.9f2c4e0d1a7b3c55"},
		{"c/zoë 100%", "c/zo%C3%AB%20100%25#2.9f2c4e0d1a7b3c55"},
		{strings.Repeat("a", 199) + "é", strings.Repeat("a", 199) + "#2.9f2c4e0d1a7b3c55"},
	} {
		if got := ActionID(c.key, 2, "9f2c4e0d1a7b3c55"); got != c.want {
			t.Errorf("ActionID(%q) = %q, want %q", c.key, got, c.want)
		}
	}
	if n := len(ActionID(strings.Repeat("é", 1000), 9, Nonce())); n > MaxWebhookID {
		t.Errorf("a long key's id has %d bytes, over MaxWebhookID", n)
	}
}

// TestEventsWebhookID: with Standard Webhooks the events endpoint refuses a
// webhook-id it has taken, even signed anew over another body; a new id
// for the same event is taken (and recorded once, by Record); an id whose
// event could not be stored (503) may come again.
func TestEventsWebhookID(t *testing.T) {
	var got []wire.Event
	fail := false
	h := NewEventsHandler(EventsOptions{Keys: StandardKeys(secret), Now: func() time.Time { return t0 },
		Record: func(_ context.Context, ev wire.Event) error {
			if fail {
				return errors.New("down")
			}
			got = append(got, ev)
			return nil
		}})
	send := func(id, body string, at time.Time) (int, string) {
		r := httptest.NewRequest(http.MethodPost, EventsPath, strings.NewReader(body))
		SignRequest(r, StandardKeys(secret), id, []byte(body), at)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	ev := func(nonce string) string {
		return `{"type":"accepted","account":"alice","person":"ann","key":"k1","at":"2026-03-02T08:00:00Z","nonce":"` + nonce + `"}`
	}
	if code, _ := send("evt_1", ev("a"), t0); code != http.StatusNoContent {
		t.Fatalf("first: HTTP %d", code)
	}
	if code, body := send("evt_1", ev("b"), t0.Add(time.Minute)); code != http.StatusUnauthorized || !strings.Contains(body, ReasonReplayed) {
		t.Errorf("the same webhook-id signed anew: HTTP %d %s, want 401 replayed", code, body)
	}
	if code, _ := send("evt_2", ev("a"), t0); code != http.StatusNoContent {
		t.Errorf("the same event under a new webhook-id: HTTP %d, want 204", code)
	}
	fail = true
	if code, _ := send("evt_3", ev("c"), t0); code != http.StatusServiceUnavailable {
		t.Errorf("not stored: HTTP %d, want 503", code)
	}
	fail = false
	if code, _ := send("evt_3", ev("c"), t0.Add(time.Second)); code != http.StatusNoContent {
		t.Errorf("the id of a 503 sent again: HTTP %d, want 204", code)
	}
	if len(got) != 3 {
		t.Errorf("Record got %d events, want 3", len(got))
	}
}
