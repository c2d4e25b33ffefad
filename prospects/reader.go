package prospects

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/outreach-scheduler/outreach/diag"
)

// DefaultKey is the key column used when Options.Key is empty.
const DefaultKey = "profile_url"

// AccountColumn is the optional column that pins a prospect to a sender
// account.
const AccountColumn = "account"

// DefaultMaxFindings is the number of findings a Reader keeps when
// Options.MaxFindings is 0.
const DefaultMaxFindings = 1000

// Options configures a Reader.
type Options struct {
	// Key is the key column, normalized or not (it is normalized with
	// NormalizeHeader); default DefaultKey.
	Key string
	// DisplayPath is the file name used in findings; default: the path given
	// to Open. NewReader requires it.
	DisplayPath string
	// Exclude, if non-nil, skips rows whose normalized key is in it. They
	// are counted in Stats.Excluded, not reported as findings.
	Exclude KeySet
	// MaxFindings bounds the findings kept, so that a broken file of a
	// million rows does not fill memory: 0 means DefaultMaxFindings, < 0 no
	// bound. Findings past the bound are counted and summed up in one last
	// finding; Stats counts every row either way.
	MaxFindings int
}

// Prospect is one good row of a prospect CSV.
type Prospect struct {
	Line    int    // CSV line where the record starts (1 = header)
	Key     string // normalized key (NormalizeKey)
	RawKey  string // key as written, trimmed
	Account string // value of the optional "account" column ("" if absent or empty)
	// Fields maps each named column (normalized header) to its value,
	// trimmed of surrounding white space; an empty cell is present with "".
	// The map is REUSED by the next call to Next: use Clone to keep it.
	Fields map[string]string
}

// Clone returns a copy of p with its own Fields map.
func (p *Prospect) Clone() *Prospect {
	c := *p
	c.Fields = maps.Clone(p.Fields)
	return &c
}

// Stats counts the data records of a file. Every record read is counted in
// Rows and in exactly one of the others: Rows = Good + Excluded + Invalid +
// Duplicates. Records that only hold empty cells are skipped like blank
// lines and not counted; records after a CSV syntax error are not read.
type Stats struct {
	Rows       int // data records read
	Good       int // returned by Next
	Excluded   int // skipped: key in Options.Exclude
	Invalid    int // skipped with a finding: ragged row, empty key, CSV syntax error
	Duplicates int // skipped with a finding: key seen on an earlier line
}

// Reader reads prospects from a CSV file, one record at a time: memory does
// not grow with the number of rows, except for 16 to 32 bytes per distinct
// key (see the package doc).
type Reader struct {
	csv     *csv.Reader
	file    *os.File // opened by Open, closed by Close
	path    string
	key     string // normalized key column name
	hdr     header
	err     error // sticky: io.EOF or the I/O error that stopped reading
	stats   Stats
	seed    maphash.Seed
	seen    lineSet // hash of normalized key -> first line
	exclude KeySet
	fields  map[string]string

	findings   diag.List
	max        int // findings kept; < 0 no bound
	suppressed int // findings past max
	firstLost  int // line of the first finding not kept
}

// Open opens the CSV file at path and reads its header. An I/O error is
// returned as an error; problems of the header are findings (see Findings),
// and after a fatal one (no header, no key column) Next returns io.EOF.
func Open(path string, opt Options) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if opt.DisplayPath == "" {
		opt.DisplayPath = path
	}
	r, err := NewReader(f, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	return r, nil
}

// NewReader is Open for a reader; opt.DisplayPath is required. It does not
// close rd.
func NewReader(rd io.Reader, opt Options) (*Reader, error) {
	if opt.DisplayPath == "" {
		return nil, errors.New("prospects: Options.DisplayPath is required")
	}
	key := DefaultKey
	if opt.Key != "" {
		key = NormalizeHeader(opt.Key)
		if key == "" {
			return nil, fmt.Errorf("prospects: key column %q has no letter or digit", opt.Key)
		}
	}
	maxFindings := opt.MaxFindings
	if maxFindings == 0 {
		maxFindings = DefaultMaxFindings
	}
	br := bufio.NewReaderSize(rd, 64<<10)
	if b, err := br.Peek(len(bom)); err == nil && string(b) == bom {
		br.Discard(len(bom))
	}
	c := csv.NewReader(br)
	c.FieldsPerRecord = -1 // ragged rows are findings, not errors
	c.ReuseRecord = true
	r := &Reader{
		csv:     c,
		path:    opt.DisplayPath,
		key:     key,
		seed:    maphash.MakeSeed(),
		exclude: opt.Exclude,
		max:     maxFindings,
	}
	if b, _ := br.Peek(textProbe); bytes.IndexByte(b, 0) >= 0 {
		r.notTextFile(1)
		return r, nil
	}
	if err := r.readHeader(); err != nil {
		return nil, err
	}
	return r, nil
}

// maxPreamble bounds the single-cell records skipped before the header.
const maxPreamble = 10

// readHeader reads and checks the header: the first record that has more
// than one cell or names the key column. Single-cell records before it (up
// to maxPreamble) are a preamble and skipped, such as the "Notes:" lines
// that start LinkedIn's Connections.csv export. Without such a record, the
// first record is the header (and lacks the key column).
func (r *Reader) readHeader() error {
	var first []string // first single-cell record
	firstLine := 0
	for n := 0; ; n++ {
		rec, err := r.csv.Read()
		var pe *csv.ParseError
		switch {
		case err == nil:
		case err == io.EOF && first == nil:
			r.addf(1, "empty file: no header line")
			r.stop(io.EOF)
			return nil
		case err == io.EOF:
			r.useHeader(first, firstLine)
			return nil
		case errors.As(err, &pe):
			if first != nil {
				r.useHeader(first, firstLine)
			}
			r.syntaxError(pe)
			return nil
		default:
			return err
		}
		line, _ := r.csv.FieldPos(0)
		if len(rec) > 1 || hasColumn(rec, r.key) {
			r.useHeader(rec, line)
			return nil
		}
		if first == nil {
			first, firstLine = slices.Clone(rec), line
		}
		if n == maxPreamble {
			r.useHeader(first, firstLine)
			return nil
		}
	}
}

// hasColumn reports whether rec names the column name (normalized).
func hasColumn(rec []string, name string) bool {
	return slices.ContainsFunc(rec, func(c string) bool { return NormalizeHeader(c) == name })
}

// useHeader parses the header record rec found at line.
func (r *Reader) useHeader(rec []string, line int) {
	if notText(rec) {
		r.notTextFile(line)
		return
	}
	var fatal bool
	r.hdr, fatal = parseHeader(rec, r.key, line, r.addf)
	if fatal {
		r.stop(io.EOF)
		return
	}
	r.fields = make(map[string]string, len(r.hdr.columns))
}

// Header returns the normalized header, one name per column ("" for an
// empty cell); nil when the file has no header.
func (r *Reader) Header() []string { return slices.Clone(r.hdr.names) }

// Key returns the normalized name of the key column.
func (r *Reader) Key() string { return r.key }

// Next returns the next good prospect, or io.EOF at the end. Rows with a
// problem are skipped and recorded as findings. The returned Prospect is
// new, but its Fields map is reused by the next call.
func (r *Reader) Next() (*Prospect, error) {
	for {
		rec, line, err := r.record()
		if err != nil {
			return nil, err
		}
		if len(rec) != len(r.hdr.names) {
			r.stats.Invalid++
			r.addf(line, "row has %s, header has %d", plural(len(rec), "field"), len(r.hdr.names))
			continue
		}
		raw := strings.TrimSpace(rec[r.hdr.key])
		if raw == "" {
			r.stats.Invalid++
			r.addf(line, "empty %s", r.key)
			continue
		}
		key := NormalizeKey(raw)
		if _, ok := r.exclude[key]; ok {
			r.stats.Excluded++
			continue
		}
		if first, ok := r.seen.firstOrAdd(maphash.String(r.seed, key), uint32(min(line, math.MaxUint32))); ok {
			r.stats.Duplicates++
			r.add(diag.Finding{File: r.path, Line: line, Prospect: key,
				Message: fmt.Sprintf("duplicate %s %s (first on line %d)", r.key, Excerpt(raw), first)})
			continue
		}
		clear(r.fields) // in case the caller changed the map
		for _, c := range r.hdr.columns {
			r.fields[c.name] = strings.TrimSpace(rec[c.index])
		}
		p := &Prospect{Line: line, Key: key, RawKey: raw, Fields: r.fields}
		if r.hdr.account >= 0 {
			p.Account = r.fields[AccountColumn]
		}
		r.stats.Good++
		return p, nil
	}
}

// record returns the next data record that has a non-empty cell, and the
// line where it starts. It counts the record in Stats.Rows. A CSV syntax
// error is a finding, after which record returns io.EOF.
func (r *Reader) record() (rec []string, line int, err error) {
	for r.err == nil {
		rec, err = r.csv.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				r.stats.Rows++
				r.stats.Invalid++
				r.syntaxError(pe)
			} else {
				r.stop(err)
			}
			break
		}
		if blank(rec) {
			continue
		}
		line, _ = r.csv.FieldPos(0)
		r.stats.Rows++
		return rec, line, nil
	}
	return nil, 0, r.err
}

// blank reports whether every cell of rec is empty or white space.
func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// stop makes Next return err (io.EOF or an I/O error) from now on.
func (r *Reader) stop(err error) {
	if r.err == nil {
		r.err = err
	}
}
