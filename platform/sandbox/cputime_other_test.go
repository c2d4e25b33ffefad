//go:build !unix

package sandbox

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
