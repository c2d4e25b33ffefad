package prospects

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding is the character encoding of a CSV file (Options.Encoding).
type Encoding string

// The encodings a CSV file may be in.
const (
	UTF8        Encoding = "utf-8" // the default
	UTF16       Encoding = "utf-16"
	Windows1252 Encoding = "windows-1252"
	ISO88591    Encoding = "iso-8859-1"
)

// Encodings lists the encodings, the default first.
var Encodings = []Encoding{UTF8, UTF16, Windows1252, ISO88591}

const (
	bomUTF16LE = "\xff\xfe"
	bomUTF16BE = "\xfe\xff"
)

// decoder returns the decoding of e, nil for UTF-8 (read as it is).
// A UTF-16 decoder takes the byte order from a byte order mark, else from
// be.
func (e Encoding) decoder(be bool) encoding.Encoding {
	switch e {
	case UTF16:
		if be {
			return unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
		}
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	case Windows1252:
		return charmap.Windows1252
	case ISO88591:
		return charmap.ISO8859_1
	}
	return nil
}

// open sets up the text a Reader parses from rd, in opt.Encoding: a byte
// order mark wins over the setting (UTF-8's is dropped, UTF-16's gives the
// byte order), as browsers do. It records the findings of the file's start
// (not text, not in the declared encoding) and reports whether the file can
// be read. The error is for I/O.
func (r *Reader) open(rd io.Reader, enc Encoding) (*bufio.Reader, bool, error) {
	raw := bufio.NewReaderSize(&stickyReader{r: rd}, bufSize)
	start, err := raw.Peek(textProbe)
	if err != nil && err != io.EOF && len(start) == 0 {
		return nil, false, err
	} // else the next read returns it again, after start
	switch {
	case bytes.HasPrefix(start, []byte(bom)):
		raw.Discard(len(bom))
		enc = UTF8
	case bytes.HasPrefix(start, []byte(bomUTF16LE)), bytes.HasPrefix(start, []byte(bomUTF16BE)):
		enc = UTF16
	case enc == UTF16 && bytes.IndexByte(start, 0) < 0 && len(start) > 1:
		msg := fmt.Sprintf("%s is utf-16, but the file has no byte order mark and no NUL byte at its start: it is not UTF-16", r.encodingKey())
		if g := guessEncoding(start); g != "" {
			msg += fmt.Sprintf(" (is it %s?)", g)
		}
		r.addf(1, "%s; nothing of it is read", msg)
		return nil, false, nil
	case enc == UTF16:
	case bytes.IndexByte(start, 0) >= 0:
		r.notTextFile(1, start)
		return nil, false, nil
	case enc == Windows1252 || enc == ISO88591:
		if s := nonASCIIUTF8(start); s != "" {
			r.add(r.warnf(1, "%s is %s, but the start of the file is UTF-8: %s would read as %s (is it utf-8?)",
				r.encodingKey(), enc, Excerpt(s), Excerpt(decode(enc, s))))
		}
	}
	r.enc = enc
	dec := enc.decoder(len(start) > 1 && start[0] == 0 && start[1] != 0)
	if dec == nil {
		return raw, true, nil
	}
	return bufio.NewReaderSize(transform.NewReader(raw, dec.NewDecoder()), bufSize), true, nil
}

// encodingKey names the setting of the file's encoding in findings.
func (r *Reader) encodingKey() string {
	if r.encKey != "" {
		return r.encKey
	}
	return "the encoding"
}

// nonASCIIUTF8 returns the first word of start that holds a multi-byte
// UTF-8 character, when all of start is valid UTF-8 (but for a character
// cut at its end); "" otherwise.
func nonASCIIUTF8(start []byte) string {
	i := bytes.IndexFunc(start, func(r rune) bool { return r >= utf8.RuneSelf })
	if i < 0 || !validUTF8Start(start) {
		return ""
	}
	return string(word(start, i))
}

// validUTF8Start reports whether b is UTF-8, but for a character cut at
// its end when b is the first textProbe bytes of a longer file.
func validUTF8Start(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	if len(b) < textProbe {
		return false
	}
	for cut := 1; cut < utf8.UTFMax; cut++ {
		tail := b[len(b)-cut:]
		if utf8.RuneStart(tail[0]) && !utf8.FullRune(tail) {
			return utf8.Valid(b[:len(b)-cut])
		}
	}
	return false
}

// word returns the run of bytes around start[i] up to white space, a comma
// or a quote.
func word(b []byte, i int) []byte {
	stop := func(c byte) bool { return c <= ' ' || c == ',' || c == '"' }
	lo, hi := i, i
	for lo > 0 && !stop(b[lo-1]) {
		lo--
	}
	for hi < len(b) && !stop(b[hi]) {
		hi++
	}
	return b[lo:hi]
}

// decode returns s read in enc.
func decode(enc Encoding, s string) string {
	d := enc.decoder(false)
	if d == nil {
		return s
	}
	out, err := d.NewDecoder().String(s)
	if err != nil {
		return s
	}
	return out
}

// guessEncoding names the likely encoding of text: utf-16 when it holds a
// NUL byte, utf-8 when it is UTF-8 (but for a character cut at its end),
// windows-1252 when every byte reads as a printable character in it (it is
// what spreadsheets save in western locales, and a superset of the
// printable part of iso-8859-1), "" when none fits.
func guessEncoding(b []byte) Encoding {
	if bytes.IndexByte(b, 0) >= 0 {
		return UTF16
	}
	if validUTF8Start(b) {
		return UTF8
	}
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil || bytes.ContainsRune(s, utf8.RuneError) || badControl(string(s), true) >= 0 {
		return ""
	}
	return Windows1252
}

// notUTF8 records a record that is not UTF-8 in a file read as UTF-8, at
// line: the cell is quoted as written, and as read in the likely encoding
// when there is one, with the setting that reads the file so.
func (r *Reader) notUTF8(line int, name, cell string) {
	i := firstInvalid(cell)
	msg := fmt.Sprintf("not UTF-8 text: %s %s", name, excerptAt(cell, i))
	if enc := guessEncoding([]byte(cell)); enc != "" {
		// A single-byte encoding: cell[:i] read in enc is the start of
		// the cell read in enc, and its length where the bad byte lands.
		d := decode(enc, cell)
		msg += fmt.Sprintf(" reads as %s in %s, the likely encoding of the file: set %s: %s (or save the file as UTF-8)",
			excerptAt(d, len(decode(enc, cell[:i]))), enc, r.encodingKey(), enc)
	} else {
		msg += fmt.Sprintf(" (set %s to the file's encoding, one of %s, or save the file as UTF-8)", r.encodingKey(), encodingList())
	}
	r.addf(line, "%s; the rest of the file is not read", msg)
	r.stop(io.EOF)
}

// firstInvalid returns the index of the first byte of s that is not valid
// UTF-8, or -1.
func firstInvalid(s string) int {
	for i, c := range s {
		if c == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return -1
}

func encodingList() string {
	var b bytes.Buffer
	for i, e := range Encodings {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(e))
	}
	return b.String()
}

// looksUTF16 reports whether start, which holds NUL bytes, is UTF-16 text
// without a byte order mark: NULs at odd offsets in at least a quarter of
// the characters and at even ones in at most an eighth as many (ASCII text
// in UTF-16LE), or the other way round (UTF-16BE).
func looksUTF16(start []byte) bool {
	var even, odd int
	for i, c := range start {
		if c == 0 {
			if i%2 == 0 {
				even++
			} else {
				odd++
			}
		}
	}
	n := len(start) / 2
	return n > 0 && (odd >= n/4 && even*8 <= odd || even >= n/4 && odd*8 <= even)
}

// stickyReader returns the first error of r from then on, so that an error
// that ends a Peek is returned again after the bytes before it.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.err = err
	return n, err
}
