package daemon

import (
	"context"
	"errors"
)

// Start rebuilds the state (Rebuild) and runs the leader (Run) in the
// background until Stop or until ctx ends. The error of the rebuild is
// returned; Done and Err tell how Run ended.
func (p *Leader) Start(ctx context.Context) error {
	if p.done != nil {
		return errors.New("leader: started twice")
	}
	if err := p.Rebuild(ctx); err != nil {
		return err
	}
	ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan struct{})
	go func() {
		defer close(p.done)
		p.err = p.Run(ctx)
	}()
	return nil
}

// Done is closed when the leader started by Start stops.
func (p *Leader) Done() <-chan struct{} { return p.done }

// Err is how Run ended (nil on Stop or when ctx ended; ErrLostLead; a
// ledger that cannot be applied); valid once Done is closed.
func (p *Leader) Err() error { return p.err }

// Stop stops the leader started by Start and waits until it has written
// its statistics (and a snapshot, when they are on). It may be called
// more than once, and before Start.
func (p *Leader) Stop() {
	if p.done == nil {
		return
	}
	p.cancel()
	<-p.done
}
