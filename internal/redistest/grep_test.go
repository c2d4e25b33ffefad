package redistest

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestGrepReadsEveryType puts a needle once in every place Grep must look
// and checks that it finds each one, and nothing in a clean server.
func TestGrepReadsEveryType(t *testing.T) {
	srv := Start(t)
	ctx := context.Background()
	rdb := srv.Client()
	if hits, err := Grep(ctx, rdb, "needle"); err != nil || len(hits) != 0 {
		t.Fatalf("empty server: %v %v", hits, err)
	}
	rdb.Set(ctx, "k:needle", "x", 0)
	rdb.Set(ctx, "str", "a NEEDLE here", 0)
	rdb.HSet(ctx, "hash-field", "needle", "x")
	rdb.HSet(ctx, "hash-value", "f", "with needle")
	rdb.SAdd(ctx, "set", "needle")
	rdb.ZAdd(ctx, "zset", redis.Z{Score: 1, Member: "needle"})
	rdb.RPush(ctx, "list", "a", "needle")
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "stream-value", Values: []any{"e", `{"person":"needle"}`}})
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "stream-field", Values: []any{"needle", "x"}})
	rdb.Set(ctx, "clean", "nothing", 0)
	hits, err := Grep(ctx, rdb, "Needle")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(hits, "\n")
	for _, key := range []string{"k:needle", "str", "hash-field", "hash-value", "set", "zset", "list", "stream-value", "stream-field"} {
		if !strings.Contains(text, key+" (") {
			t.Errorf("Grep missed the needle in %s:\n%s", key, text)
		}
	}
	if strings.Contains(text, "clean") || len(hits) != 9 {
		t.Errorf("%d hits:\n%s", len(hits), text)
	}
}
