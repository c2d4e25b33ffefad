package prospects

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"io"
)

// The limits of a prospect CSV file (see the package doc): a row, header
// included, of more than MaxRowBytes as written (quotes, commas and the line
// breaks of quoted cells counted), a cell of more than MaxCellBytes (its
// text, after decoding) or a row of more than MaxColumns cells is not kept
// in memory: such a data row is skipped with a finding, such a header stops
// the file.
const (
	MaxRowBytes  = 64 << 10
	MaxCellBytes = 8 << 10
	MaxColumns   = 256
)

// limits are the bounds a scanner enforces; tests set smaller ones.
type limits struct {
	row, cell, columns int
}

var defaultLimits = limits{row: MaxRowBytes, cell: MaxCellBytes, columns: MaxColumns}

// bufSize is the size of the buffer a scanner reads through: a physical line
// longer than that is read in pieces.
const bufSize = 64 << 10

// overKind tells which limit a record exceeded.
type overKind uint8

const (
	overNone overKind = iota
	overRow
	overCell
	overColumns
)

// scanner splits CSV text into records as encoding/csv does (RFC 4180 with
// its leniencies: "\r\n" read as "\n", blank lines skipped, a trailing "\r"
// before the end dropped; bare quotes in unquoted cells and text after a
// closing quote are syntax errors, reported as a *csv.ParseError with the
// same lines, columns and errors), but in bounded memory: at most lim.row
// bytes of a record and lim.columns cell ends are kept, whatever the input.
// A record past a limit is read to its end (quotes followed) and dropped.
type scanner struct {
	br  *bufio.Reader
	lim limits

	line     int  // line of the next byte (1-based)
	prevLen  int  // length of the previous line, "\r\n" counted as 1, for csv's column at an unclosed quote
	eof      bool // the input ended
	storing  bool // the current record is within the limits
	pendCR   bool // a '\r' ended a full buffer: content unless a '\n' follows
	lineCol  int  // bytes of the current line processed before the current chunk
	rawBytes int  // bytes of the current record as written
	state    int  // parser state (stCellStart...)
	qline    int  // line where the current quoted cell starts
	cellLen  int  // bytes of the current cell's text
	ncols    int  // cells of the current record so far

	buf  []byte   // text of the current record's cells
	ends []int    // end of each cell in buf
	rec  []string // the record, reused

	// Set by read for the record it returns.
	start   int             // line where the record starts
	over    overKind        // first limit the record exceeded
	overCol int             // 0-based cell index for overCell and overColumns
	quoted  bool            // overCell: the cell is quoted and spans lines (a quote left open?)
	syntax  *csv.ParseError // a syntax error: the record is incomplete
	flags   byte            // classes of the bytes of the record's cells (see byteClass)
}

// newScanner reads CSV text from br, whose buffer (bufSize in a Reader)
// bounds the piece of a line read at once.
func newScanner(br *bufio.Reader, lim limits) *scanner {
	return &scanner{br: br, lim: lim, line: 1}
}

// Byte classes, ORed into scanner.flags.
const (
	classCtl   = 1 << iota // a control byte other than '\t' and '\n' (C0, DEL)
	classHigh              // a byte >= 0x80: UTF-8 to check
	classTabNL             // '\t' or '\n': allowed in notes, not in keys
)

var byteClass = func() (t [256]byte) {
	for c := range 256 {
		switch {
		case c == '\t' || c == '\n':
			t[c] = classTabNL
		case c < 0x20 || c == 0x7f:
			t[c] = classCtl
		case c >= 0x80:
			t[c] = classHigh
		}
	}
	return t
}()

// Parser states.
const (
	stCellStart = iota
	stUnquoted
	stQuoted
	stQuote // a quote in a quoted cell: its end, or the first of `""`
)

// read reads the next record (blank lines skipped) into s.rec, or returns
// io.EOF at the end or an I/O error. A record with a syntax error (s.syntax)
// is the last one: the caller stops. s.rec is nil when the record exceeded
// a limit (s.over) or has a syntax error.
func (s *scanner) read() error {
	s.buf, s.ends, s.rec = s.buf[:0], s.ends[:0], s.rec[:0]
	s.over, s.overCol, s.quoted, s.syntax, s.flags = overNone, 0, false, nil, 0
	s.rawBytes, s.cellLen, s.ncols, s.storing = 0, 0, 0, true
	s.state = stCellStart
	started := false
	for {
		if s.eof {
			if !started {
				return io.EOF
			}
			return s.endAtEOF()
		}
		chunk, err := s.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return err
		}
		if err == io.EOF {
			s.eof = true
		}
		body := chunk
		nl := len(body) > 0 && body[len(body)-1] == '\n'
		if nl {
			body = body[:len(body)-1]
		}
		cr := s.pendCR
		s.pendCR = false
		if cr && (nl && len(body) == 0 || s.eof && len(chunk) == 0) {
			cr = false // the '\r' ended the line (or the file): not content
		}
		switch {
		case (nl || s.eof) && len(body) > 0 && body[len(body)-1] == '\r':
			body = body[:len(body)-1] // "\r\n" is "\n"; a '\r' before the end is dropped
		case err == bufio.ErrBufferFull && body[len(body)-1] == '\r':
			body = body[:len(body)-1]
			s.pendCR = true
		}
		if !started {
			if !cr && len(body) == 0 {
				if nl {
					s.line++
					s.prevLen = 1
				}
				continue // a blank line
			}
			started, s.start = true, s.line
		}
		s.count(len(chunk))
		if cr {
			s.process([]byte{'\r'})
			s.lineCol++
		}
		if s.syntax == nil {
			s.process(body)
		}
		if s.syntax != nil {
			return nil
		}
		switch {
		case nl:
			s.prevLen = s.lineCol + len(body) + 1
			s.line++
			s.lineCol = 0
			if s.state == stQuoted {
				s.appendText([]byte{'\n'})
				continue
			}
			s.endCell()
			s.finish()
			return nil
		case s.eof:
			s.lineCol += len(body)
			return s.endAtEOF()
		default: // a full buffer: the line goes on
			s.lineCol += len(body)
		}
	}
}

// endAtEOF ends the record at the end of the input.
func (s *scanner) endAtEOF() error {
	if s.state == stQuoted {
		// As encoding/csv: the last line that held data, and the column
		// after its end.
		line, col := s.line, s.lineCol+1
		if s.lineCol == 0 && s.line > s.qline {
			line, col = s.line-1, s.prevLen+1
		}
		s.syntax = &csv.ParseError{StartLine: s.start, Line: line, Column: col, Err: csv.ErrQuote}
		return nil
	}
	s.endCell()
	s.finish()
	return nil
}

// count adds n bytes as written to the record and enforces the row limit.
func (s *scanner) count(n int) {
	s.rawBytes += n
	if s.rawBytes > s.lim.row {
		s.exceed(overRow, s.ncols)
	}
}

// exceed records the first limit the record exceeded and stops keeping it.
func (s *scanner) exceed(k overKind, col int) {
	if s.over == overNone {
		s.over, s.overCol = k, col
	}
	s.storing = false
}

// process parses body, a part of one line without its line end, from
// s.state. A syntax error sets s.syntax.
func (s *scanner) process(body []byte) {
	for i := 0; i < len(body); {
		switch s.state {
		case stCellStart:
			if body[i] == '"' {
				s.state = stQuoted
				s.qline = s.line
				i++
			} else {
				s.state = stUnquoted
			}
		case stUnquoted:
			j := bytes.IndexByte(body[i:], ',') // as encoding/csv: find the end, then look for a quote
			if j < 0 {
				j = len(body)
			} else {
				j += i
			}
			if q := bytes.IndexByte(body[i:j], '"'); q >= 0 {
				s.appendText(body[i : i+q])
				s.syntax = &csv.ParseError{StartLine: s.start, Line: s.line, Column: s.lineCol + i + q + 1, Err: csv.ErrBareQuote}
				return
			}
			s.appendText(body[i:j])
			if j == len(body) {
				return
			}
			s.endCell()
			s.state = stCellStart
			i = j + 1
		case stQuoted:
			j := bytes.IndexByte(body[i:], '"')
			if j < 0 {
				s.appendText(body[i:])
				return
			}
			s.appendText(body[i : i+j])
			s.state = stQuote
			i += j + 1
		case stQuote:
			switch body[i] {
			case '"':
				s.appendText(body[i : i+1])
				s.state = stQuoted
			case ',':
				s.endCell()
				s.state = stCellStart
			default:
				s.syntax = &csv.ParseError{StartLine: s.start, Line: s.line, Column: s.lineCol + i, Err: csv.ErrQuote}
				return
			}
			i++
		}
	}
}

// appendText adds text to the current cell, within the limits.
func (s *scanner) appendText(text []byte) {
	s.cellLen += len(text)
	if s.cellLen > s.lim.cell {
		if s.over == overNone {
			s.quoted = s.state == stQuoted && s.line > s.qline
		}
		s.exceed(overCell, s.ncols)
	}
	if s.storing {
		s.buf = append(s.buf, text...)
	}
}

// endCell ends the current cell.
func (s *scanner) endCell() {
	s.cellLen = 0
	s.state = stCellStart
	s.ncols++
	if s.ncols > s.lim.columns {
		s.exceed(overColumns, s.ncols-1)
	}
	if s.storing {
		s.ends = append(s.ends, len(s.buf))
	}
}

// finish makes s.rec from the record's text: one string, sliced.
func (s *scanner) finish() {
	if !s.storing {
		return
	}
	str := string(s.buf)
	s.flags = classify(s.buf)
	prev := 0
	for _, end := range s.ends {
		s.rec = append(s.rec, str[prev:end])
		prev = end
	}
}

// classify returns the byte classes of b ORed, eight bytes at a time where
// none is special (the common case: ASCII text without control bytes).
func classify(b []byte) byte {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	var f byte
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		// A byte < 0x20, == 0x7f or >= 0x80 sets its high bit in special.
		special := x | (x - 0x20*ones) | ((x ^ 0x7f*ones) - ones)
		if special&highs == 0 {
			continue
		}
		for _, c := range b[i : i+8] {
			f |= byteClass[c]
		}
	}
	for _, c := range b[i:] {
		f |= byteClass[c]
	}
	return f
}
