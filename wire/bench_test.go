package wire_test

import (
	"testing"

	"github.com/outreach-scheduler/outreach/wire"
)

func BenchmarkDecodeEntry(b *testing.B) {
	e := entries()["entry-outcome"]
	data, _ := wire.EncodeEntry(e)
	for b.Loop() {
		if _, err := wire.DecodeEntry(data); err != nil {
			b.Fatal(err)
		}
	}
}
