package install

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/prospects"
)

// ExportColumns are the fields of an export of sent invitations, in the
// CSV header (any order) and as the JSONL objects' names: account, person,
// campaign and at are required.
var ExportColumns = []string{"account", "person", "campaign", "at", "key", "variant", "note", "answer", "answered"}

// ExportOptions say what an export may name.
type ExportOptions struct {
	Accounts  map[string]bool // the config's accounts (required)
	Campaigns map[string]bool // the campaigns' names; nil: any name
	Now       time.Time       // no invitation after it
}

// ReadExport reads an export of sent invitations (what `outreach init
// --recover FILE` takes): CSV with a header row, or JSONL (one object per
// line; chosen by the extension .jsonl, .ndjson or .json, else by a first
// character "{"). Columns and names:
//
//	account   required: an account of the config
//	person    required: the person's key (profile URL...), normalized as the campaigns' keys
//	campaign  required: the campaign it was sent for
//	at        required: when it was sent, RFC 3339 (2026-03-02T09:00:00Z), not in the future
//	key       the invitation's idempotency key; default: one made from the row
//	variant   the note variant ("blank" for none)
//	note      true when a personalized note was sent (true/false, 1/0, yes/no); default: false
//	answer    accepted | declined | withdrawn | expired; empty: pending
//	answered  when it was answered, RFC 3339; required with answer
//
// It returns the invitations, or findings (FILE:LINE: message) for every
// bad row; an error when the file cannot be read.
func ReadExport(path string, opt ExportOptions) ([]platform.Sent, diag.List, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the export: %w", err)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	r := &exportReader{path: path, opt: opt, keys: map[string]int{}, rows: map[string]int{}}
	ext := strings.ToLower(filepath.Ext(path))
	jsonl := ext == ".jsonl" || ext == ".ndjson" || ext == ".json" ||
		ext != ".csv" && bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{"))
	if jsonl {
		r.readJSONL(b)
	} else {
		r.readCSV(b)
	}
	if len(r.out) == 0 && !r.fs.HasErrors() {
		r.fs.Errorf(path, 0, "no invitations in the file")
	}
	if r.fs.HasErrors() {
		return nil, r.fs, nil
	}
	return r.out, r.fs, nil
}

type exportReader struct {
	path string
	opt  ExportOptions
	fs   diag.List
	out  []platform.Sent
	keys map[string]int // key -> line
	rows map[string]int // account|person|at -> line
}

func (r *exportReader) readJSONL(b []byte) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var raw map[string]any
		d := json.NewDecoder(bytes.NewReader(text))
		d.UseNumber()
		if err := d.Decode(&raw); err != nil {
			r.fs.Errorf(r.path, line, "not a JSON object: %v", err)
			continue
		}
		fields := map[string]string{}
		bad := false
		for k, v := range raw {
			if !known(k) {
				r.fs.Errorf(r.path, line, "unknown field %q (want %s)", k, strings.Join(ExportColumns, ", "))
				bad = true
				continue
			}
			switch v := v.(type) {
			case string:
				fields[k] = v
			case bool:
				fields[k] = strconv.FormatBool(v)
			case nil:
			default:
				r.fs.Errorf(r.path, line, "%s: want a string", k)
				bad = true
			}
		}
		if !bad {
			r.row(line, fields)
		}
	}
	if err := sc.Err(); err != nil {
		r.fs.Errorf(r.path, line+1, "%v", err)
	}
}

func (r *exportReader) readCSV(b []byte) {
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			r.fs.Errorf(r.path, 1, "empty file: want a header row (%s)", strings.Join(ExportColumns, ","))
		} else {
			r.fs.Errorf(r.path, 1, "%v", err)
		}
		return
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !known(h) {
			r.fs.Errorf(r.path, 1, "unknown column %q (want %s)", h, strings.Join(ExportColumns, ", "))
		}
		if seen[h] {
			r.fs.Errorf(r.path, 1, "column %q twice", h)
		}
		seen[h], cols[i] = true, h
	}
	for _, c := range []string{"account", "person", "campaign", "at"} {
		if !seen[c] {
			r.fs.Errorf(r.path, 1, "missing column %q", c)
		}
	}
	if r.fs.HasErrors() {
		return
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil { // a broken quote: the rest of the file cannot be read
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			r.fs.Errorf(r.path, line, "%v", err)
			return
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(cols) {
			r.fs.Errorf(r.path, line, "%d fields, the header has %d", len(rec), len(cols))
			continue
		}
		fields := make(map[string]string, len(cols))
		for i, c := range cols {
			fields[c] = rec[i]
		}
		r.row(line, fields)
	}
}

func known(name string) bool {
	for _, c := range ExportColumns {
		if c == name {
			return true
		}
	}
	return false
}

// row checks one row and keeps its invitation.
func (r *exportReader) row(line int, f map[string]string) {
	for k, v := range f {
		f[k] = strings.TrimSpace(v)
	}
	n := len(r.fs)
	bad := func(format string, args ...any) { r.fs.Errorf(r.path, line, format, args...) }
	s := platform.Sent{Account: f["account"], Campaign: f["campaign"], Variant: f["variant"], Key: f["key"]}
	switch {
	case s.Account == "":
		bad("account: missing")
	case !r.opt.Accounts[s.Account]:
		bad("account: %q is not an account of the config", s.Account)
	}
	if s.Person = prospects.NormalizeKey(f["person"]); s.Person == "" {
		bad("person: missing")
	}
	switch {
	case s.Campaign == "":
		bad("campaign: missing")
	case r.opt.Campaigns != nil && !r.opt.Campaigns[s.Campaign]:
		bad("campaign: %q is not a campaign of the config (its invitations would restore nothing)", s.Campaign)
	}
	var err error
	switch s.At, err = time.Parse(time.RFC3339Nano, f["at"]); {
	case f["at"] == "":
		bad("at: missing")
	case err != nil:
		bad("at: %q is not an RFC 3339 time (such as 2026-03-02T09:00:00Z)", f["at"])
	case !r.opt.Now.IsZero() && s.At.After(r.opt.Now):
		bad("at: %s is in the future", f["at"])
	}
	switch v := strings.ToLower(f["note"]); v {
	case "", "false", "0", "no":
	case "true", "1", "yes":
		s.Note = true
	default:
		bad("note: %q (want true or false)", f["note"])
	}
	s.Answer = platform.Answer(strings.ToLower(f["answer"]))
	switch a := f["answered"]; {
	case !s.Answer.Valid():
		bad("answer: %q (want accepted, declined, withdrawn, expired, or empty for pending)", f["answer"])
	case s.Answer == "" && a != "":
		bad("answered: a time without an answer")
	case s.Answer != "" && a == "":
		bad("answered: missing (the time of the %s answer)", s.Answer)
	case a != "":
		if s.AnsweredAt, err = time.Parse(time.RFC3339Nano, a); err != nil {
			bad("answered: %q is not an RFC 3339 time", a)
		} else if !s.At.IsZero() && s.AnsweredAt.Before(s.At) {
			bad("answered: %s is before the invitation (at %s)", a, f["at"])
		}
	}
	if len(r.fs) > n {
		return
	}
	if s.Key == "" {
		s.Key = importKey(s)
	}
	if len(s.Key) > pacing.MaxIDLength {
		bad("key: %d bytes, at most %d", len(s.Key), pacing.MaxIDLength)
		return
	}
	id := s.Account + "\x00" + s.Person + "\x00" + s.At.UTC().Format(time.RFC3339Nano)
	if first, dup := r.rows[id]; dup {
		bad("the same invitation (account, person, at) is also on line %d", first)
		return
	}
	if first, dup := r.keys[s.Key]; dup {
		bad("key: %q is also on line %d", s.Key, first)
		return
	}
	r.keys[s.Key], r.rows[id] = line, line
	r.out = append(r.out, s)
}

// importKey makes an invitation's key from its row: campaign, then a
// stable hash of the account, person and time (no personal data).
func importKey(s platform.Sent) string {
	h := uint64(14695981039346656037)
	for _, part := range []string{s.Account, s.Person, s.At.UTC().Format(time.RFC3339Nano)} {
		for i := 0; i < len(part); i++ {
			h ^= uint64(part[i])
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	return "import/" + s.Campaign + "/" + strconv.FormatUint(h, 36)
}
