package templates

import (
	"errors"
	"strconv"
	"sync"
)

// maxOutput bounds a rendered note or message, in bytes, so that a runaway
// template ({{range 100000000}}) fails instead of exhausting memory. Real
// notes are a few hundred characters and messages a few thousand.
const maxOutput = 64 << 10

var errTooLarge = errors.New("output exceeds " + strconv.Itoa(maxOutput) + " bytes")

// buffer is the io.Writer templates render into, reused through bufPool.
type buffer struct{ b []byte }

func (b *buffer) Write(p []byte) (int, error) {
	if len(b.b)+len(p) > maxOutput {
		return 0, errTooLarge
	}
	b.b = append(b.b, p...)
	return len(p), nil
}

func (b *buffer) WriteString(s string) (int, error) {
	if len(b.b)+len(s) > maxOutput {
		return 0, errTooLarge
	}
	b.b = append(b.b, s...)
	return len(s), nil
}

var bufPool = sync.Pool{New: func() any { return &buffer{b: make([]byte, 0, 1024)} }}

func getBuffer() *buffer { return bufPool.Get().(*buffer) }

func putBuffer(b *buffer) {
	if cap(b.b) > maxOutput {
		return
	}
	b.b = b.b[:0]
	bufPool.Put(b)
}
