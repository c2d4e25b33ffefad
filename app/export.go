package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/export"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/store"
	"github.com/outreach-scheduler/outreach/templates"
)

// `outreach export`: one row per prospect, from the prospects in the
// store and the state rebuilt from the ledger, as status rebuilds it.
// The engine holds each prospect's state, sender, variant and times
// (scheduler.Engine.States); what it does not keep (the note's length,
// the fallback, the answer time of a prospect who got a message, when the
// last message went out) is read from the ledger's records as they are
// replayed (the events the engine emits). For those, the rebuild replays
// as much of the ledger as is left (schedulerdaemon.RebuildOptions.Most): the records
// trimmed after ledger.retention are gone, and those cells are empty for
// the prospects they were about (ExportResult.Since says from when).

// ExportOptions say what to export.
type ExportOptions struct {
	Config *config.Config
	// Campaigns are every campaign of the config: the state is rebuilt
	// with all of them, as the scheduler has it.
	Campaigns []*campaigns.Campaign
	// Only names the campaigns to export, in that order (known names:
	// the caller checks); every campaign when empty.
	Only []string
	// NewWriter opens the output, given the prospect fields of the
	// campaigns exported (ExportFields).
	NewWriter func(fields []string) (export.Writer, error)
	// Now is when the export runs: prospects removed from their
	// campaign's file and never acted on are skipped (removed) as of then,
	// as the leading scheduler does.
	Now time.Time
}

// ExportResult is what an export did.
type ExportResult struct {
	Rows   int // rows written
	Ledger int // ledger entries replayed
	// Since is zero when the whole ledger was replayed; else the position
	// of the snapshot the state was restored from: the records before it
	// were not read (trimmed, or after the older snapshot).
	Since time.Time
	// FromFiles are the campaigns exported that were not applied to the
	// store (outreach run reads its files): their prospects were read from
	// their CSV.
	FromFiles []string
}

// ExportFields are the prospect fields the templates of the campaigns
// named (all when only is empty) use, sorted: the field columns of the
// export.
func ExportFields(camps []*campaigns.Campaign, only []string) []string {
	var out []string
	for _, c := range exported(camps, only) {
		out = append(out, store.TemplateFields(c)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// exported are the campaigns named, in that order (all when only is empty).
func exported(camps []*campaigns.Campaign, only []string) []*campaigns.Campaign {
	if len(only) == 0 {
		return camps
	}
	var out []*campaigns.Campaign
	for _, name := range only {
		for _, c := range camps {
			if c.Name == name && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// Export writes one row per prospect of the campaigns of opt.Only (every
// campaign when empty) on the writer opt.NewWriter opens, and flushes it.
// It reads the shared Redis (redisconn.ErrEmbedded without one).
func Export(ctx context.Context, opt ExportOptions) (ExportResult, error) {
	var res ExportResult
	c, err := redisconn.Shared(opt.Config.Redis)
	if err != nil {
		return res, err
	}
	defer c.Close()
	led := ledger.New(c.Client, "")
	srcs, fromFiles, err := exportSources(ctx, store.New(c.Client, ""), led, opt.Campaigns)
	if err != nil {
		return res, err
	}
	for _, c := range exported(opt.Campaigns, opt.Only) {
		if slices.Contains(fromFiles, c.Name) {
			res.FromFiles = append(res.FromFiles, c.Name)
		}
	}
	det := &exportDetails{}
	eng, err := scheduler.New(scheduler.Options{Config: opt.Config, Campaigns: opt.Campaigns, Sources: srcs, Seed: 1, OnEvent: det.observe, ResponseCurve: sandbox.ResponseCurve(opt.Config)})
	if err != nil {
		return res, err
	}
	det.start(eng, opt.Campaigns)
	rb, err := schedulerdaemon.RebuildWith(ctx, eng, led, schedulerdaemon.RebuildOptions{Most: true})
	if err != nil {
		return res, fmt.Errorf("rebuilding the state from the ledger: %w", err)
	}
	res.Ledger = rb.Entries
	if rb.Snapshot != nil {
		res.Since = idTime(rb.Snapshot.Position)
	}
	eng.CancelRemoved(opt.Now)
	fields := ExportFields(opt.Campaigns, opt.Only)
	w, err := opt.NewWriter(fields)
	if err != nil {
		return res, err
	}
	res.Rows, err = writeRows(eng, det, exported(opt.Campaigns, opt.Only), srcs, fields, w)
	return res, err
}

// exportSources opens each campaign's prospects: from the store, or from
// its CSV when it was never applied (outreach run), with the forgotten
// people marked (writeRows leaves them out).
func exportSources(ctx context.Context, st *store.Store, led *ledger.Ledger, camps []*campaigns.Campaign) (map[string]scheduler.Source, []string, error) {
	out := make(map[string]scheduler.Source, len(camps))
	var files []*campaigns.Campaign
	for _, c := range camps {
		src, err := st.Open(ctx, c.Name)
		switch {
		case errors.Is(err, store.ErrNotApplied):
			files = append(files, c)
		case err != nil:
			return nil, nil, err
		default:
			out[c.Name] = src
		}
	}
	if len(files) == 0 {
		return out, nil, nil
	}
	fromCSV, err := csvSources(ctx, led.Forgotten(), files)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for _, c := range files {
		out[c.Name] = fromCSV[c.Name]
		names = append(names, c.Name)
	}
	return out, names, nil
}

// writeRows writes the rows of the campaigns camps, in their order, each
// campaign's prospects in its source's order, and flushes w. Forgotten
// people (a campaign read from its file) are left out.
func writeRows(eng *scheduler.Engine, det *exportDetails, camps []*campaigns.Campaign, srcs map[string]scheduler.Source,
	fields []string, w export.Writer) (int, error) {
	n := 0
	row := export.Row{Fields: make([]string, len(fields))}
	for _, c := range camps {
		src := srcs[c.Name]
		for s := range eng.States(c.Name) {
			i := int(s.Ref.Index)
			if src.Skip(i) == lifecycle.SkipForgotten {
				continue
			}
			d := det.of(s.Ref)
			row.Key, row.Campaign, row.Account, row.State, row.Variant = s.Key, c.Name, s.Account, s.State.String(), s.Variant
			row.NoteLength, row.Fallback, row.Reason = -1, "", s.Reason
			row.Invited, row.Answered, row.Messaged = s.Invited, s.Answered, time.Time{}
			if s.Variant != "" && d.chars > 0 {
				row.NoteLength, row.Fallback = int(d.chars)-1, det.names[d.fallback]
			}
			if d.answered != 0 && !s.Invited.IsZero() {
				row.Answered = time.Unix(int64(d.answered), 0).UTC()
			}
			if d.messaged != 0 {
				row.Messaged = time.Unix(int64(d.messaged), 0).UTC()
			}
			if s.State == lifecycle.StateMessaged && d.failed > 0 {
				row.Reason = det.names[d.failed]
			}
			if len(fields) > 0 {
				fillFields(row.Fields, fields, src.Fields(i))
			}
			if err := w.Write(&row); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, w.Flush()
}

func fillFields(dst, names []string, f templates.Fields) {
	for j, name := range names {
		dst[j] = f[name]
	}
}

// exportDetails keeps, per prospect, what the engine does not: read from
// the events it emits as the ledger is replayed.
type exportDetails struct {
	eng   *scheduler.Engine
	size  []int      // prospects of each campaign, by engine index
	by    [][]detail // by engine index of the campaign, then prospect; allocated on the first event
	names []string   // fallback and message failure reasons; names[0] is ""
	index map[string]uint8
}

// detail is what the ledger's records told of one prospect.
type detail struct {
	answered uint32 // unix s (until 2106): accepted, declined, withdrawn or expired; 0 none
	messaged uint32 // unix s: the last message sent; 0 none
	chars    uint16 // the note's length + 1; 0 unknown
	fallback uint8  // index in names
	failed   uint8  // index in names: message_CODE, a message the platform refused
}

func (d *exportDetails) start(eng *scheduler.Engine, camps []*campaigns.Campaign) {
	d.eng = eng
	d.names, d.index = []string{""}, map[string]uint8{"": 0}
	d.by = make([][]detail, len(camps))
	for _, c := range camps {
		d.size = append(d.size, eng.Prospects(c.Name))
	}
}

// observe is the engine's OnEvent: events before start (the engine being
// built) are skips the engine keeps itself.
func (d *exportDetails) observe(ev scheduler.Event) {
	if d.eng == nil {
		return
	}
	var at *detail
	get := func() *detail {
		ref, ok := d.eng.Lookup(ev.Campaign, ev.Person)
		if !ok {
			return nil
		}
		ds := d.by[ref.Campaign]
		if ds == nil {
			ds = make([]detail, d.size[ref.Campaign])
			d.by[ref.Campaign] = ds
		}
		return &ds[ref.Index]
	}
	switch ev.Type {
	case lifecycle.EvInvited:
		if at = get(); at != nil {
			at.chars = uint16(min(ev.Chars, 65534) + 1)
			at.fallback = d.name(ev.Reason)
		}
	case lifecycle.EvAccepted, lifecycle.EvDeclined, lifecycle.EvWithdrawn, lifecycle.EvExpired:
		if at = get(); at != nil {
			at.answered = unixSeconds(ev.T)
		}
	case lifecycle.EvMessaged:
		if at = get(); at != nil {
			at.messaged = unixSeconds(ev.T)
		}
	case lifecycle.EvFailed:
		if strings.HasPrefix(ev.Reason, "message_") {
			if at = get(); at != nil {
				at.failed = d.name(ev.Reason)
			}
		}
	}
}

// name is the index of a reason in d.names, adding it (255 at most: the
// rest read as "").
func (d *exportDetails) name(s string) uint8 {
	if i, ok := d.index[s]; ok {
		return i
	}
	if len(d.names) > 255 {
		return 0
	}
	i := uint8(len(d.names))
	d.names, d.index[s] = append(d.names, s), i
	return i
}

// of is what the records told of the prospect ref.
func (d *exportDetails) of(ref scheduler.Ref) detail {
	if ds := d.by[ref.Campaign]; ds != nil {
		return ds[ref.Index]
	}
	return detail{}
}

// unixSeconds is t in whole seconds since 1970 for a detail (0, unknown,
// for a time outside 1970-2106).
func unixSeconds(t time.Time) uint32 {
	s := t.Unix()
	if s <= 0 || s > math.MaxUint32 {
		return 0
	}
	return uint32(s)
}

// idTime is the time of a ledger stream ID (its milliseconds).
func idTime(id string) time.Time {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}
