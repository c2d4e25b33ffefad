package metrics

import "github.com/prometheus/client_golang/prometheus"

// The metrics of a recovery after Redis lost its data (package install).
const (
	Recoveries           = "outreach_recoveries_total"            // counter: state rebuilt from the platform's record at start
	RecoveredInvitations = "outreach_recovered_invitations_total" // counter: the invitations those recoveries rebuilt
)

// Recovery counts the recoveries a process made. Each counts once, in the
// process that made it: sum over instances; any increase means Redis lost
// its data and the state was rebuilt from the platform (alert on it).
type Recovery struct {
	recoveries, invitations prometheus.Counter
}

// NewRecovery registers the recovery counters on reg.
func NewRecovery(reg prometheus.Registerer) *Recovery {
	r := &Recovery{
		recoveries: prometheus.NewCounter(prometheus.CounterOpts{Name: Recoveries,
			Help: "Times this process found Redis without its install marker and rebuilt the state from the platform's record of sent invitations."}),
		invitations: prometheus.NewCounter(prometheus.CounterOpts{Name: RecoveredInvitations,
			Help: "Invitations rebuilt into the ledger and the limiter by those recoveries."}),
	}
	reg.MustRegister(r.recoveries, r.invitations)
	return r
}

// Observe counts one recovery of n invitations. A nil Recovery does
// nothing.
func (r *Recovery) Observe(n int) {
	if r == nil {
		return
	}
	r.recoveries.Inc()
	r.invitations.Add(float64(n))
}
