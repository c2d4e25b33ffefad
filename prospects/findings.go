package prospects

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"

	"github.com/outreach-scheduler/outreach/diag"
)

// syntaxError records a CSV syntax error at the line where its record
// starts, and stops reading.
func (r *Reader) syntaxError(pe *csv.ParseError) {
	where := fmt.Sprintf("column %d", pe.Column)
	if pe.Line != pe.StartLine {
		where = fmt.Sprintf("line %d, column %d", pe.Line, pe.Column)
	}
	r.addf(max(pe.StartLine, 1), "invalid CSV: %v (%s); the rest of the file is not read", pe.Err, where)
	r.stop(io.EOF)
}

// tooBig records a data row past a limit, at line.
func (r *Reader) tooBig(line int) {
	r.addf(line, "%s; the row is skipped", r.overMessage("row"))
}

// headerTooBig records a header past a limit and stops reading: such a
// file is no prospect list (or not one that fits in memory).
func (r *Reader) headerTooBig() {
	r.addf(r.sc.start, "%s: is it a prospect CSV file? nothing of it is read", r.overMessage("header"))
	r.stop(io.EOF)
}

// overMessage says which limit the record just read exceeded.
func (r *Reader) overMessage(what string) string {
	sc := r.sc
	switch sc.over {
	case overCell:
		name := ""
		if sc.overCol < len(r.hdr.names) && r.hdr.names[sc.overCol] != "" {
			name = " (" + r.hdr.names[sc.overCol] + ")"
		}
		cell := "cell"
		if what == "header" {
			cell = "header cell"
		}
		msg := fmt.Sprintf("%s in column %d%s is longer than %s, the limit", cell, sc.overCol+1, name, size(sc.lim.cell))
		if sc.quoted {
			msg += ` (a quote left open? a quoted cell runs over several lines from here)`
		}
		return msg
	case overColumns:
		return fmt.Sprintf("%s has more than %d columns, the limit", what, sc.lim.columns)
	}
	return fmt.Sprintf("%s is longer than %s, the limit", what, size(sc.lim.row))
}

// size formats a number of bytes: "64 KiB", "100 bytes".
func size(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return plural(n, "byte")
}

// warnf returns a warning finding at line.
func (r *Reader) warnf(line int, format string, args ...any) diag.Finding {
	return diag.Warnf(r.path, line, format, args...)
}

// addf records an error finding at line.
func (r *Reader) addf(line int, format string, args ...any) {
	r.add(diag.Errorf(r.path, line, format, args...))
}

// add records f, unless Options.MaxFindings are already kept.
func (r *Reader) add(f diag.Finding) {
	if r.max >= 0 && len(r.findings) >= r.max {
		if r.suppressed == 0 {
			r.firstLost = f.Line
		}
		r.suppressed++
		return
	}
	r.findings = append(r.findings, f)
}

// Findings returns the findings so far, in file order, each with File set to
// Options.DisplayPath and a Line. When more than Options.MaxFindings were
// found, a last finding, at the line of the first one left out, says how
// many were left out.
func (r *Reader) Findings() diag.List {
	l := slices.Clone(r.findings)
	if r.suppressed > 0 {
		l.Errorf(r.path, r.firstLost, "%d more problems not listed (only the first %d are)", r.suppressed, r.max)
	}
	return l
}

// Stats returns the counts of the rows read so far.
func (r *Reader) Stats() Stats { return r.stats }

// Close closes the file opened by Open; it is safe to call more than once.
// Next returns io.EOF after Close.
func (r *Reader) Close() error {
	r.stop(io.EOF)
	if r.file == nil {
		return nil
	}
	f := r.file
	r.file = nil
	return f.Close()
}

// plural formats n things: "1 field", "3 fields".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
