package prospects

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

const bom = "\ufeff"

// NormalizeHeader turns a CSV header cell into a field name: a leading UTF-8
// byte order mark is dropped, letters are lower-cased, every run of
// characters that are neither letters nor digits (Unicode) becomes "_", and
// leading and trailing "_" are trimmed. "First Name" becomes "first_name",
// " Connected On " becomes "connected_on", "E-mail (work)" becomes
// "e_mail_work". A cell with no letter or digit normalizes to "".
// NormalizeHeader is idempotent.
func NormalizeHeader(s string) string {
	for strings.HasPrefix(s, bom) {
		s = s[len(bom):]
	}
	b := make([]byte, 0, len(s))
	sep := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) { // RuneError included
			sep = true
			continue
		}
		if sep && len(b) > 0 {
			b = append(b, '_')
		}
		sep = false
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	return string(b)
}

// header is the parsed header line of a prospect CSV.
type header struct {
	names   []string // normalized, one per column; "" for an empty cell
	columns []column // columns that become fields: named, first of their name
	key     int      // index of the key column; -1 if missing
	account int      // index of the account column; -1 if absent
}

// column is a named column that fills Prospect.Fields.
type column struct {
	name  string
	index int
}

// parseHeader normalizes the header record and reports its problems as
// findings through add. It returns fatal=true when rows cannot be read (the
// key column is missing). An empty cell or a name used twice is an error
// finding, but the other columns are still read, so that one pass reports
// the row problems too.
func parseHeader(rec []string, key string, line int, add func(line int, format string, args ...any)) (h header, fatal bool) {
	h = header{names: make([]string, len(rec)), key: -1, account: -1}
	first := make(map[string]int, len(rec)) // name -> column index
	for i, cell := range rec {
		name := NormalizeHeader(cell)
		h.names[i] = name
		switch prev, dup := first[name]; {
		case name == "":
			if strings.TrimSpace(strings.TrimPrefix(cell, bom)) == "" {
				add(line, "empty header in column %d", i+1)
			} else {
				add(line, "header %s in column %d has no letter or digit", Excerpt(cell), i+1)
			}
		case dup:
			add(line, "duplicate column %s: %s (column %d) and %s (column %d) normalize to the same name",
				Excerpt(name), Excerpt(strings.TrimSpace(rec[prev])), prev+1, Excerpt(strings.TrimSpace(cell)), i+1)
		default:
			first[name] = i
			h.columns = append(h.columns, column{name: name, index: i})
		}
	}
	if i, ok := first[key]; ok {
		h.key = i
	} else {
		add(line, "key column %q not found (headers: %s)%s", key, excerptList(h.names), suggestKey(h.names))
		fatal = true
	}
	if i, ok := first[AccountColumn]; ok {
		h.account = i
	}
	return h, fatal
}

// suggestKey names a column that probably holds the key (LinkedIn's
// Connections.csv calls it "URL").
func suggestKey(names []string) string {
	for _, n := range names {
		if strings.Contains(n, "url") {
			return fmt.Sprintf("; if %s identifies prospects, make it the key column", Excerpt(n))
		}
	}
	return ""
}
