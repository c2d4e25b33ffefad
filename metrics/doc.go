// Package metrics is outreach's Prometheus instrumentation: the metric
// names of the contract (docs/design.md), the process-local event
// counters and time-to-accept histogram (Events, Delivery), the durable
// statistics the scheduler keeps in Redis (Stats) and the collector that
// reads them, the limiter's usage and the queue at scrape time
// (Collector), so that the acceptance ratio, pending invitations and quota
// gauges survive restarts and read the same from whichever daemon is
// scraped.
//
// Everything registers on an injected prometheus.Registerer; nothing here
// is global. Labels are bounded by the configuration: campaign, account,
// variant (names from config.yaml and the campaign files), reason and
// window (fixed sets). No person, profile URL or note text is ever a label.
package metrics
