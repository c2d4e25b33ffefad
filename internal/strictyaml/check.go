package strictyaml

import (
	"bytes"
	"fmt"

	"github.com/outreach-scheduler/outreach/diag"
)

// CheckLocations checks the location rule every loader built on this
// package keeps, for tests and fuzz targets: each finding names file and
// has a message; its line is between 1 and the number of lines in data,
// except for a file-level finding (line 0: the file as a whole could not
// be decoded), which is then the only finding; and findings are sorted by
// line.
func CheckLocations(file string, data []byte, findings diag.List) error {
	lines := max(LineCount(data), 1)
	for i, f := range findings {
		switch {
		case f.File != file:
			return fmt.Errorf("finding %q names file %q, want %q", f, f.File, file)
		case f.Message == "":
			return fmt.Errorf("finding %d has no message", i)
		case f.Line == 0 && len(findings) > 1:
			return fmt.Errorf("file-level finding %q is not alone: %q", f, findings.Strings())
		case f.Line < 0 || f.Line > lines:
			return fmt.Errorf("finding %q: line %d outside 1..%d", f, f.Line, lines)
		case i > 0 && f.Line < findings[i-1].Line:
			return fmt.Errorf("findings not sorted by line: %q", findings.Strings())
		}
	}
	return nil
}

// LineCount returns the number of lines in data as an editor counts them,
// with the line breaks of YAML: \n, \r\n, \r, NEL, LS and PS. A last line
// without a break counts; an empty file has none.
func LineCount(data []byte) int {
	n := 0
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\n':
			n++
		case data[i] == '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			n++
		case bytes.HasPrefix(data[i:], []byte("\u0085")):
			i++
			n++
		case bytes.HasPrefix(data[i:], []byte("\u2028")), bytes.HasPrefix(data[i:], []byte("\u2029")):
			i += 2
			n++
		}
	}
	if len(data) > 0 && !endsWithBreak(data) {
		n++
	}
	return n
}

func endsWithBreak(data []byte) bool {
	for _, b := range [][]byte{[]byte("\n"), []byte("\r"), []byte("\u0085"), []byte("\u2028"), []byte("\u2029")} {
		if bytes.HasSuffix(data, b) {
			return true
		}
	}
	return false
}
