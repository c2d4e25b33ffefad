package httpserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 10 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultMaxHeaderBytes    = 16 << 10
	DefaultMaxConns          = 256
	DefaultShutdownGrace     = 5 * time.Second
)

// Options bound a server. Zero fields take the defaults above.
type Options struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration // the whole request, headers and body
	WriteTimeout      time.Duration // from the end of the request headers to the end of the response
	IdleTimeout       time.Duration // between requests on a kept-alive connection
	MaxHeaderBytes    int
	MaxConns          int // connections served at once on the listener
	// Logger receives the server's own errors (at WARN) and the serve
	// loop's failure (at ERROR). Default: discard.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	set(&o.ReadTimeout, DefaultReadTimeout)
	set(&o.WriteTimeout, DefaultWriteTimeout)
	set(&o.IdleTimeout, DefaultIdleTimeout)
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// NewServer returns an http.Server for h with the bounds of o.
func NewServer(h http.Handler, o Options) *http.Server {
	o.setDefaults()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    o.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	}
}

// Server is a hardened server on its own listener.
type Server struct {
	srv  *http.Server
	ln   *Listener
	done chan error
}

// Start listens on addr (host:port; port 0 picks one) and serves h with
// the bounds of o until Shutdown.
func Start(addr string, h http.Handler, o Options) (*Server, error) {
	o.setDefaults()
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return Serve(raw, h, o), nil
}

// Serve serves h on ln, limited and bounded by o, until Shutdown.
func Serve(ln net.Listener, h http.Handler, o Options) *Server {
	o.setDefaults()
	s := &Server{srv: NewServer(h, o), ln: LimitListener(ln, o.MaxConns), done: make(chan error, 1)}
	go func() {
		err := s.srv.Serve(s.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		} else if err != nil {
			o.Logger.Error("serving HTTP", "addr", s.Addr(), "err", err)
		}
		s.done <- err
	}()
	return s
}

// Addr is the address served.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Open is the number of connections open now.
func (s *Server) Open() int { return s.ln.Open() }

// Done receives the serve loop's error (nil after Shutdown) once it ends.
func (s *Server) Done() <-chan error { return s.done }

// Shutdown stops accepting, lets the requests in flight finish until ctx
// ends (at most DefaultShutdownGrace), then closes every connection.
func (s *Server) Shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, DefaultShutdownGrace)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	return err
}

// Listener is a net.Listener that serves at most n connections at once:
// Accept waits while n are open.
type Listener struct {
	net.Listener
	sem       chan struct{}
	open      atomic.Int64
	closeOnce sync.Once
	closed    chan struct{}
}

// LimitListener returns ln limited to n connections at once (n <= 0:
// DefaultMaxConns).
func LimitListener(ln net.Listener, n int) *Listener {
	if n <= 0 {
		n = DefaultMaxConns
	}
	return &Listener{Listener: ln, sem: make(chan struct{}, n), closed: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	l.open.Add(1)
	return &limitedConn{Conn: c, release: l.release}, nil
}

func (l *Listener) release() {
	l.open.Add(-1)
	<-l.sem
}

// Close closes the listener; an Accept waiting for a slot returns.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// Open is the number of accepted connections not closed yet.
func (l *Listener) Open() int { return int(l.open.Load()) }

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
