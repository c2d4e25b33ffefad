package cli

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSandboxCutsSlowBodies: `outreach sandbox` cuts connections that
// trickle their body after its read timeout (10s) instead of holding them.
func TestSandboxCutsSlowBodies(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the server's read timeout (10s)")
	}
	base, _, _ := startSandbox(t, time.Now())
	addr := strings.TrimPrefix(base, "http://")
	var held, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				failed.Add(1)
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "POST /v1/actions/invite HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"key\":")
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.Copy(io.Discard, c); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					held.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 || held.Load() > 0 {
		t.Errorf("of 100 slow-body connections, %d could not connect and %d were held for 30s", failed.Load(), held.Load())
	}
	t.Logf("100 slow-body connections cut in %v", time.Since(start).Round(time.Millisecond))
}
