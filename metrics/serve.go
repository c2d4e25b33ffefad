package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/outreach-scheduler/outreach/internal/httpserve"
)

// NewRegistry returns a registry with the Go runtime and process
// collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Server serves /metrics, hardened (internal/httpserve: timeouts, header
// size and connection limits).
type Server struct {
	srv  *httpserve.Server
	addr string
}

// Listen serves g's metrics at http://addr/metrics until Stop. addr may
// use port 0; Addr tells the port bound.
func Listen(addr string, g prometheus.Gatherer, log *slog.Logger) (*Server, error) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "outreach: metrics at /metrics")
	})
	srv, err := httpserve.Start(addr, mux, httpserve.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("metrics endpoint: %w", err)
	}
	s := &Server{srv: srv, addr: srv.Addr()}
	log.Info("metrics endpoint listening", "addr", s.addr)
	return s, nil
}

// Addr is the address served.
func (s *Server) Addr() string { return s.addr }

// Stop shuts the server down.
func (s *Server) Stop(ctx context.Context) {
	s.srv.Shutdown(ctx)
}
