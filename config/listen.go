package config

import "github.com/outreach-scheduler/outreach/internal/strictyaml"

// DefaultEventsListen is where a scheduler serves the signed events
// endpoint unless platform.webhook.events_listen (or --listen) says
// otherwise: loopback, so that it is reachable from outside only where an
// operator chose to expose it (a reverse proxy, a container's port
// mapping).
const DefaultEventsListen = "127.0.0.1:8081"

// decodeEventsListen decodes platform.webhook.events_listen: host:port, or
// "off" for no endpoint.
func decodeEventsListen(m *strictyaml.Map, dst *string) {
	var s string
	if !m.String("events_listen", &s) {
		return
	}
	if s == "off" {
		*dst = ""
		return
	}
	if err := checkHostPort(s, true); err != nil {
		m.Errorf("events_listen", "%v (or off for no endpoint)", err)
		return
	}
	*dst = s
}
