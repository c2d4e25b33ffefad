// Package workpool runs independent pieces of work on every core.
package workpool

import (
	"runtime"
	"sync"
)

// Each calls fn(0) ... fn(n-1), on as many goroutines as there are cores
// (at most n), and returns when every call has returned. The calls must be
// independent of one another.
func Each(n int, fn func(i int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				fn(i)
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}
