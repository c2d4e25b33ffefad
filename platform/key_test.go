package platform_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/outreach-scheduler/outreach/platform"
)

func TestValidKey(t *testing.T) {
	for _, k := range []string{"spring/3k2j1x9q0z/connect", "spring/3k2j1x9q0z/connect.2", "k", "a key with inner spaces",
		"jos\u00e9/\U0001F44B", "\u00e9", "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./"} {
		if !platform.ValidKey(k) {
			t.Errorf("ValidKey(%q) = false, want true", k)
		}
	}
	for _, k := range []string{"", " ", " k", "k ", "k\n", "k\r\n1", "k\t1", "\tk", "k\x00", "k\x1f", "k\x7f",
		"k\xff", "\xc3", "jos\u00e9\n", "\u00e9\x00", "\u00e9 "} {
		if platform.ValidKey(k) {
			t.Errorf("ValidKey(%q) = true, want false", k)
		}
	}
}

// FuzzValidKey checks ValidKey against a plain reading of its rule, and
// that every key it takes travels unchanged as the webhook protocol
// carries it: in a JSON body and in an HTTP header.
func FuzzValidKey(f *testing.F) {
	for _, k := range []string{"spring/3k2j1x9q0z/connect.2", "jos\u00e9 \U0001F44B", " k", "k\r\n", "k\xff", "\u00e9\x7f", ""} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, k string) {
		want := k != "" && k[0] != ' ' && k[len(k)-1] != ' ' && utf8.ValidString(k)
		for _, r := range k {
			want = want && r >= 0x20 && r != 0x7f
		}
		if got := platform.ValidKey(k); got != want {
			t.Fatalf("ValidKey(%q) = %v, want %v", k, got, want)
		}
		if !want {
			return
		}
		b, err := json.Marshal(map[string]string{"key": k})
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]string
		if err := json.Unmarshal(b, &back); err != nil || back["key"] != k {
			t.Fatalf("key %q through JSON: %q, %v", k, back["key"], err)
		}
		req, err := http.NewRequest(http.MethodPost, "http://integration.test/v1/actions/invite", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Idempotency-Key", k)
		var buf bytes.Buffer
		if err := req.Write(&buf); err != nil {
			t.Fatalf("key %q: writing the request: %v", k, err)
		}
		got, err := http.ReadRequest(bufio.NewReader(&buf))
		if err != nil || got.Header.Get("Idempotency-Key") != k {
			t.Fatalf("key %q through an HTTP header: %q, %v", k, got.Header.Get("Idempotency-Key"), err)
		}
	})
}
