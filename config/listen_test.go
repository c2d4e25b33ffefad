package config

import "testing"

// TestEventsListen: the events endpoint binds loopback unless told
// otherwise; "off" serves none.
func TestEventsListen(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"platform:\n  driver: webhook\n  webhook: {url: http://127.0.0.1:9}\n", DefaultEventsListen},
		{"platform:\n  driver: webhook\n  webhook: {url: http://127.0.0.1:9, events_listen: off}\n", ""},
		{"platform:\n  driver: webhook\n  webhook: {url: http://127.0.0.1:9, events_listen: \"0.0.0.0:8081\"}\n", "0.0.0.0:8081"},
	} {
		cfg, fs := Parse("config.yaml", []byte(c.yaml+"accounts:\n  - {id: alice, tier: free}\n"))
		if fs.HasErrors() {
			t.Fatalf("%q: %v", c.yaml, fs)
		}
		if got := cfg.Platform.Webhook.EventsListen; got != c.want {
			t.Errorf("%q: events_listen %q, want %q", c.yaml, got, c.want)
		}
	}
	if DefaultEventsListen != "127.0.0.1:8081" {
		t.Errorf("the default binds %s, not loopback", DefaultEventsListen)
	}
}
