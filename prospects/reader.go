package prospects

import (
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
	// Encoding is the character encoding of the file; "" is UTF8. A byte
	// order mark wins over it (see the package doc).
	Encoding Encoding
	// EncodingKey names the setting that chooses Encoding in findings
	// ("prospects.encoding"); default "the encoding".
	EncodingKey string
	// NoteFields, when not nil, are the columns (normalized names) whose
	// values may reach a note or a message: only they, and the key column,
	// are checked for control characters. nil: every named column.
	NoteFields []string

	lim limits // zero: the defaults; tests set smaller ones
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
	sc      *scanner
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

	enc        Encoding // the encoding the file is read in
	encKey     string   // Options.EncodingKey
	noteFields []string // Options.NoteFields
	noteCols   []int    // columns checked for control characters, the key's excepted
	urlKey     bool     // the key column holds profile URLs
	sawUTF8    bool     // a row before held UTF-8 text beyond ASCII
	hdrLine    int      // line of a usable header; 0 when there is none
	warnedNone bool     // the file-without-rows warning was given

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
	enc := opt.Encoding
	if enc == "" {
		enc = UTF8
	}
	if !slices.Contains(Encodings, enc) {
		return nil, fmt.Errorf("prospects: unknown encoding %q (want %s)", enc, encodingList())
	}
	lim := opt.lim
	if lim == (limits{}) {
		lim = defaultLimits
	}
	r := &Reader{
		path:       opt.DisplayPath,
		key:        key,
		seed:       maphash.MakeSeed(),
		exclude:    opt.Exclude,
		max:        maxFindings,
		encKey:     opt.EncodingKey,
		noteFields: opt.NoteFields,
		urlKey:     isURLColumn(key),
	}
	br, ok, err := r.open(rd, enc)
	if err != nil {
		return nil, err
	}
	if !ok {
		r.stop(io.EOF)
		return r, nil
	}
	r.sc = newScanner(br, lim)
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
		err := r.sc.read()
		switch {
		case err == io.EOF && first == nil:
			r.addf(1, "empty file: no header line")
			r.stop(io.EOF)
			return nil
		case err == io.EOF:
			r.useHeader(first, firstLine)
			return nil
		case err != nil:
			return err
		case r.sc.syntax != nil:
			if first != nil {
				r.useHeader(first, firstLine)
			}
			r.syntaxError(r.sc.syntax)
			return nil
		case r.sc.over != overNone:
			r.headerTooBig()
			return nil
		}
		rec, line := r.sc.rec, r.sc.start
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
	if i, ok := notText(rec); !ok {
		if i < 0 || r.enc != UTF8 || guessEncoding([]byte(rec[i])) == "" {
			r.notTextFile(line, nil)
		} else {
			r.notUTF8(line, fmt.Sprintf("header cell %d", i+1), rec[i])
		}
		return
	}
	var fatal bool
	r.hdr, fatal = parseHeader(rec, r.key, line, r.addf)
	if fatal {
		r.stop(io.EOF)
		return
	}
	r.fields = make(map[string]string, len(r.hdr.columns))
	for _, c := range r.hdr.columns {
		if c.index != r.hdr.key && (r.noteFields == nil || slices.Contains(r.noteFields, c.name)) {
			r.noteCols = append(r.noteCols, c.index)
		}
	}
	r.hdrLine = line
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
			if err == io.EOF {
				r.warnNoRows()
			}
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
		key, isURL := normalizeKey(raw)
		if r.checkCells(rec, line) || r.urlKey && r.checkURL(raw, isURL, line) {
			r.stats.Invalid++
			continue
		}
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
// line where it starts. It counts the record in Stats.Rows. A record past a
// limit, or with a cell that is not UTF-8, is a finding and skipped. A CSV
// syntax error, or a file in another encoding than UTF-8 read as UTF-8, is
// a finding after which record returns io.EOF.
func (r *Reader) record() (rec []string, line int, err error) {
	for r.err == nil {
		if err := r.sc.read(); err != nil {
			r.stop(err)
			break
		}
		line = r.sc.start
		switch {
		case r.sc.syntax != nil:
			r.stats.Rows++
			r.stats.Invalid++
			r.syntaxError(r.sc.syntax)
			continue
		case r.sc.over != overNone:
			r.stats.Rows++
			r.stats.Invalid++
			r.tooBig(line)
			continue
		}
		rec = r.sc.rec
		if blank(rec) {
			continue
		}
		r.stats.Rows++
		if r.checkUTF8(rec, line) {
			r.stats.Invalid++
			continue
		}
		return rec, line, nil
	}
	return nil, 0, r.err
}

// warnNoRows warns, once, about a file with a header and no data row.
func (r *Reader) warnNoRows() {
	if r.stats.Rows == 0 && r.hdrLine > 0 && !r.warnedNone {
		r.warnedNone = true
		r.add(r.warnf(r.hdrLine, "no prospects: the file has a header and no rows"))
	}
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
