package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// Writer writes rows in one format.
type Writer interface {
	// Write writes one row (buffered).
	Write(r *Row) error
	// Flush writes what is buffered; call it once the rows are written.
	Flush() error
}

// Formats are the names NewWriter knows.
var Formats = []string{"csv", "jsonl"}

// NewWriter returns the writer of format ("csv" or "jsonl") on w, with
// the prospect fields named fields after the Columns.
func NewWriter(format string, w io.Writer, fields []string) (Writer, error) {
	switch format {
	case "csv":
		return NewCSV(w, fields), nil
	case "jsonl":
		return NewJSONL(w, fields), nil
	}
	return nil, fmt.Errorf("unknown format %q (formats: csv, jsonl)", format)
}

// Escape returns s with a single quote in front when it begins with a
// character a spreadsheet takes as the start of a formula (=, +, -, @) or
// that lets one hide behind it (tab, carriage return): OWASP's defence
// against CSV injection. Other strings are returned as they are.
func Escape(s string) string {
	if s != "" && dangerous(s[0]) {
		return "'" + s
	}
	return s
}

func dangerous(b byte) bool {
	switch b {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// CSV writes rows as CSV with a header row, every cell escaped (Escape).
type CSV struct {
	w      *csv.Writer
	fields []string
	rec    []string
	buf    []byte // the times of the row being written
	header bool
}

// NewCSV returns a CSV writer on w: the Columns, then one column per
// prospect field (FieldColumn names it).
func NewCSV(w io.Writer, fields []string) *CSV {
	return &CSV{w: csv.NewWriter(w), fields: fields, rec: make([]string, len(Columns)+len(fields)), buf: make([]byte, 0, 3*len(time.RFC3339))}
}

func (c *CSV) writeHeader() error {
	c.header = true
	for i, col := range Columns {
		c.rec[i] = col
	}
	for i, f := range c.fields {
		c.rec[len(Columns)+i] = Escape(FieldColumn(f))
	}
	return c.w.Write(c.rec)
}

// Write implements Writer.
func (c *CSV) Write(r *Row) error {
	if !c.header {
		if err := c.writeHeader(); err != nil {
			return err
		}
	}
	b := c.buf[:0]
	invited, b := appendTime(b, r.Invited)
	answered, b := appendTime(b, r.Answered)
	messaged, b := appendTime(b, r.Messaged)
	times := string(b) // one allocation for the three
	c.buf = b
	length := ""
	if r.NoteLength >= 0 {
		length = strconv.Itoa(r.NoteLength)
	}
	c.rec[0], c.rec[1], c.rec[2], c.rec[3], c.rec[4] = Escape(r.Key), Escape(r.Campaign), Escape(r.Account), Escape(r.State), Escape(r.Variant)
	c.rec[5], c.rec[6] = length, Escape(r.Fallback)
	c.rec[7], c.rec[8], c.rec[9] = times[:invited], times[invited:answered], times[answered:messaged]
	c.rec[10] = Escape(r.Reason)
	for i := range c.fields {
		v := ""
		if i < len(r.Fields) {
			v = r.Fields[i]
		}
		c.rec[len(Columns)+i] = Escape(v)
	}
	return c.w.Write(c.rec)
}

// Flush implements Writer. With no row written, it writes the header.
func (c *CSV) Flush() error {
	if !c.header {
		if err := c.writeHeader(); err != nil {
			return err
		}
	}
	c.w.Flush()
	return c.w.Error()
}

// appendTime appends t as RFC 3339 UTC whole seconds (nothing for zero)
// and returns the length of b then.
func appendTime(b []byte, t time.Time) (int, []byte) {
	if !t.IsZero() {
		b = t.UTC().Truncate(time.Second).AppendFormat(b, time.RFC3339)
	}
	return len(b), b
}

// JSONL writes rows as JSON objects, one a line, with the Columns' names
// as members, and the prospect fields in an object "fields" (those the
// prospect has); nothing is escaped for spreadsheets. note_length and the
// times are null when none.
type JSONL struct {
	w      *bufio.Writer
	fields []string
	buf    []byte
}

// NewJSONL returns a JSONL writer on w, with the prospect fields named
// fields.
func NewJSONL(w io.Writer, fields []string) *JSONL {
	return &JSONL{w: bufio.NewWriterSize(w, 64<<10), fields: fields}
}

// Write implements Writer.
func (j *JSONL) Write(r *Row) error {
	b := j.buf[:0]
	b = appendField(b, '{', "key", r.Key)
	b = appendField(b, ',', "campaign", r.Campaign)
	b = appendField(b, ',', "account", r.Account)
	b = appendField(b, ',', "state", r.State)
	b = appendField(b, ',', "variant", r.Variant)
	b = append(b, `,"note_length":`...)
	if r.NoteLength >= 0 {
		b = strconv.AppendInt(b, int64(r.NoteLength), 10)
	} else {
		b = append(b, "null"...)
	}
	b = appendField(b, ',', "fallback", r.Fallback)
	b = appendTimeField(b, "invited_at", r.Invited)
	b = appendTimeField(b, "answered_at", r.Answered)
	b = appendTimeField(b, "messaged_at", r.Messaged)
	b = appendField(b, ',', "reason", r.Reason)
	b = append(b, `,"fields":`...)
	sep := byte('{')
	for i, f := range j.fields {
		if i < len(r.Fields) && r.Fields[i] != "" {
			b = appendField(b, sep, f, r.Fields[i])
			sep = ','
		}
	}
	if sep == '{' {
		b = append(b, '{')
	}
	b = append(b, "}}\n"...)
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

// Flush implements Writer.
func (j *JSONL) Flush() error { return j.w.Flush() }

func appendField(b []byte, sep byte, name, v string) []byte {
	b = appendJSONString(append(b, sep), name)
	return appendJSONString(append(b, ':'), v)
}

func appendTimeField(b []byte, name string, t time.Time) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	if t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = t.UTC().Truncate(time.Second).AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, byte for byte as
// encoding/json writes it without HTML escaping (FuzzJSONString checks):
// invalid UTF-8 becomes \ufffd, control characters and U+2028, U+2029 are
// escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
