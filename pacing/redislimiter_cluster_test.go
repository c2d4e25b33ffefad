package pacing_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/pacing/limitertest"
)

// TestRedisLimiterOnCluster runs the conformance suite against a 3-master
// Redis Cluster: every script call names its keys in KEYS, all in the
// account's hash tag, so it runs on the master of that slot.
func TestRedisLimiterOnCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	rdb := cl.Client()
	var n atomic.Int64
	// A group: its parallel subtests are all done when t.Run returns.
	t.Run("suite", func(t *testing.T) {
		limitertest.Run(t, func(t *testing.T) pacing.Limiter {
			// one cluster for the suite, a key prefix per subtest
			l, err := pacing.NewRedisLimiter(rdb, pacing.WithKeyPrefix(fmt.Sprintf("test%d:", n.Add(1))))
			if err != nil {
				t.Fatal(err)
			}
			return l
		})
	})
	// The suite's accounts hash to more than one master: the script ran
	// on several nodes, not on one by chance.
	holding := 0
	for _, node := range cl.Nodes() {
		if k, err := node.Client().DBSize(context.Background()).Result(); err != nil {
			t.Fatal(err)
		} else if k > 0 {
			holding++
		}
	}
	if holding < 2 {
		t.Errorf("the suite's keys are on %d master(s) only", holding)
	}
}
