package httpserve_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/internal/httpserve"
)

// readAll answers 204 once it has the whole body.
var readAll = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, err := io.ReadAll(r.Body); err != nil {
		http.Error(w, "body unreadable", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
})

// slowBody opens a connection that sends a request's headers and the first
// bytes of a body it promises to be 1 MB long, then stalls.
func slowBody(addr string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	_, err = fmt.Fprintf(c, "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"type\":")
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// cutWithin reports whether the server closed c within d (the client
// reads whatever answer comes, then EOF or a reset).
func cutWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestSlowBodiesAreCut opens many more slow-body connections than the
// server serves at once: at no time are more than MaxConns open on the
// server, every one of them is cut after about ReadTimeout, and a normal
// request is served afterwards.
func TestSlowBodiesAreCut(t *testing.T) {
	const maxConns, clients = 20, 120
	readTimeout := 500 * time.Millisecond
	srv, err := httpserve.Start("127.0.0.1:0", readAll, httpserve.Options{ReadTimeout: readTimeout, MaxConns: maxConns})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n := int64(srv.Open()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	var held, failed atomic.Int64
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := slowBody(srv.Addr())
			if err != nil {
				failed.Add(1)
				return
			}
			defer c.Close()
			// Queued ones wait for a slot: clients/maxConns rounds of
			// ReadTimeout at worst, with a wide margin for a busy machine.
			if !cutWithin(c, 30*time.Second) {
				held.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	elapsed := time.Since(start)
	if failed.Load() > 0 {
		t.Fatalf("%d clients could not connect", failed.Load())
	}
	if held.Load() > 0 {
		t.Errorf("%d of %d slow-body connections still open after 30s", held.Load(), clients)
	}
	if p := peak.Load(); p > maxConns {
		t.Errorf("%d connections open at once; the limit is %d", p, maxConns)
	}
	t.Logf("%d slow-body connections cut in %v (peak %d open, limit %d)", clients, elapsed.Round(time.Millisecond), peak.Load(), maxConns)
	if deadline := time.Now().Add(10 * time.Second); true {
		for srv.Open() > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := srv.Open(); n != 0 {
			t.Errorf("%d connections still counted open", n)
		}
	}

	// The server still serves.
	resp, err := http.Post("http://"+srv.Addr()+"/v1/events", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("a normal request after the slow ones: HTTP %d", resp.StatusCode)
	}
}

// TestBounds: the server carries every bound, and a header over
// MaxHeaderBytes is refused.
func TestBounds(t *testing.T) {
	s := httpserve.NewServer(readAll, httpserve.Options{})
	if s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 || s.ReadHeaderTimeout <= 0 || s.MaxHeaderBytes <= 0 {
		t.Errorf("a bound is missing: %+v", s)
	}
	srv, err := httpserve.Start("127.0.0.1:0", readAll, httpserve.Options{MaxHeaderBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	big := make([]byte, 64<<10)
	for i := range big {
		big[i] = 'a'
	}
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", big)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a 64 KiB header: HTTP %d, want 431", resp.StatusCode)
	}
}

// TestListenerClose: an Accept waiting for a free slot returns once the
// listener is closed.
func TestListenerClose(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := httpserve.LimitListener(raw, 1)
	go net.Dial("tcp", raw.Addr().String())
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := ln.Accept(); done <- err }()
	ln.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Accept still waiting for a slot after Close")
	}
	c.Close()
	c.Close() // the slot is released once
	if ln.Open() != 0 {
		t.Errorf("Open = %d", ln.Open())
	}
}
