//go:build unix

package sandbox

import (
	"syscall"
	"time"
)

// cpuTime is the process's user and system CPU time so far: a benchmark
// measure that a busy machine disturbs less than the wall clock.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
