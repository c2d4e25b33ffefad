package store

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/prospects"
)

// minRowBytes is the CSV row size CSVRows assumes for its size hint: rows
// are rarely shorter, so the hint errs on the side of more buckets.
const minRowBytes = 64

// CSVRows streams the rows of campaign c's prospect CSV for Apply, one at a
// time, with excluded prospects marked lifecycle.SkipExcluded (they are
// members, never invited). Rows with findings (repeated or empty keys,
// ragged rows) are left out: apply only files that validate. sizeHint
// estimates the row count from the file size.
func CSVRows(c *campaigns.Campaign) (rows iter.Seq2[Row, error], sizeHint int, err error) {
	var exclude prospects.KeySet
	if c.Exclude != nil {
		keys, fs, err := prospects.LoadKeySet(c.Exclude.Path, c.Exclude.ReadOptions())
		if err != nil {
			return nil, 0, fmt.Errorf("campaign %s: exclusion list: %w", c.Name, err)
		}
		if fs.HasErrors() {
			return nil, 0, fmt.Errorf("campaign %s: exclusion list has errors: %w", c.Name, fs.Err())
		}
		exclude = keys
	}
	st, err := os.Stat(c.Prospects.Path)
	if err != nil {
		return nil, 0, fmt.Errorf("campaign %s: %w", c.Name, err)
	}
	rows = func(yield func(Row, error) bool) {
		r, err := prospects.Open(c.Prospects.Path, c.ProspectOptions())
		if err != nil {
			yield(Row{}, fmt.Errorf("campaign %s: %w", c.Name, err))
			return
		}
		defer r.Close()
		for {
			p, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(Row{}, fmt.Errorf("campaign %s: reading %s: %w", c.Name, c.Prospects.Path, err))
				return
			}
			row := Row{Key: p.Key, Account: p.Account, Fields: p.Fields}
			if exclude.Has(p.Key) {
				row.Skip = lifecycle.SkipExcluded
			}
			if !yield(row, nil) {
				return
			}
		}
	}
	return rows, int(st.Size() / minRowBytes), nil
}
