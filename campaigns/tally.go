package campaigns

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/templates"
)

// MaxProspectFindings is how many findings Check lists for each cause that
// varies from prospect to prospect (no note fits, a pinned account that is
// not a sender), unless CheckOptions.All: one last finding counts the rest.
// A cause shared by every prospect is one finding at its YAML line instead
// (a variant no prospect can use, a message that renders for nobody).
const MaxProspectFindings = 20

// maxListedCauses bounds the causes a message finding lists.
const maxListedCauses = 3

// capped keeps the first max findings of one cause and counts the rest.
type capped struct {
	max       int // < 0: keep all
	kept      diag.List
	more      int
	firstLost int // line of the first finding not kept
}

func newCapped(all bool) capped {
	if all {
		return capped{max: -1}
	}
	return capped{max: MaxProspectFindings}
}

// add records the finding mk makes, at line: mk is only called when the
// finding is kept.
func (c *capped) add(line int, mk func() diag.Finding) {
	if c.max >= 0 && len(c.kept) >= c.max {
		if c.more == 0 {
			c.firstLost = line
		}
		c.more++
		return
	}
	c.kept = append(c.kept, mk())
}

// list returns the findings kept and, when some were left out, one more at
// the line of the first of them: "and N more WHAT (--all lists every one)".
func (c *capped) list(what string) diag.List {
	l := slices.Clone(c.kept)
	if c.more > 0 && len(c.kept) > 0 {
		last := c.kept[len(c.kept)-1]
		l.Add(diag.Finding{File: last.File, Line: c.firstLost, Severity: last.Severity,
			Message: fmt.Sprintf("and %d more %s (--all lists every one)", c.more, what)})
	}
	return l
}

// variantTally learns, over the prospects, whether a variant can be used
// for any of them, and if not, why.
type variantTally struct {
	v        *Variant
	reported bool           // it names a field that is not a column (checkColumns)
	usable   bool           // it rendered, and fit, for a prospect
	tried    int            // prospects it was tried on (all of them while it is not usable)
	missing  map[string]int // field ("" when the text renders empty) -> prospects
	tooLong  int            // prospects its text is too long for
	long     struct{ chars, limit int }
	varied   bool   // too long by different lengths or limits
	failed   int    // template execution errors
	failMsg  string // the first one
}

// observe tries the variant on one prospect, unless it is known usable.
// chosen is the variant the prospect got ("" none).
func (t *variantTally) observe(f templates.Fields, limit int, chosen string) {
	if t.usable {
		return
	}
	if chosen == t.v.Name {
		t.usable = true
		return
	}
	t.tried++
	text, err := t.v.Template.Render(f)
	if mf, ok := errors.AsType[*templates.MissingFieldError](err); ok {
		if t.missing == nil {
			t.missing = map[string]int{}
		}
		t.missing[mf.Field]++
		return
	}
	if err != nil {
		if t.failed == 0 {
			t.failMsg = err.Error()
		}
		t.failed++
		return
	}
	n := templates.Count(text)
	if n <= limit {
		t.usable = true
		return
	}
	if t.tooLong > 0 && (n != t.long.chars || limit != t.long.limit) {
		t.varied = true
	}
	if t.tooLong == 0 || n-limit < t.long.chars-t.long.limit {
		t.long.chars, t.long.limit = n, limit
	}
	t.tooLong++
}

// finding returns the warning for a variant no prospect can use, or false.
func (t *variantTally) finding(file string) (diag.Finding, bool) {
	if t.usable || t.reported || t.tried == 0 {
		return diag.Finding{}, false
	}
	type cause struct {
		text, detail string
		n            int
	}
	var cs []cause
	for field, n := range t.missing {
		if field == "" {
			cs = append(cs, cause{"renders empty", "", n})
		} else {
			cs = append(cs, cause{"missing field " + strconv.Quote(field), "", n})
		}
	}
	if t.tooLong > 0 {
		d := fmt.Sprintf("%d > %d chars", t.long.chars, t.long.limit)
		if t.varied {
			d = "at best " + d
		}
		cs = append(cs, cause{"too long", d, t.tooLong})
	}
	if t.failed > 0 {
		cs = append(cs, cause{"fails", t.failMsg, t.failed})
	}
	slices.SortFunc(cs, func(a, b cause) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.text, b.text))
	})
	head := fmt.Sprintf("%s: variant %q is never used", t.v.Path, t.v.Name)
	if len(cs) == 1 {
		msg := head + ": " + cs[0].text + " for " + allOf(t.tried)
		if cs[0].detail != "" {
			msg += ": " + cs[0].detail
		}
		return diag.Warnf(file, t.v.TextLine, "%s", msg), true
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s for %d", c.text, c.n)
		if c.detail != "" {
			parts[i] += " (" + c.detail + ")"
		}
	}
	return diag.Warnf(file, t.v.TextLine, "%s by the %d prospects: %s", head, t.tried, strings.Join(parts, ", ")), true
}

// allOf words "every one of n prospects".
func allOf(n int) string {
	if n == 1 {
		return "the one prospect"
	}
	return fmt.Sprintf("all %d prospects", n)
}

// newVariantTallies returns a tally for each enabled variant.
func newVariantTallies(vs []Variant, reported map[*Variant]bool) []variantTally {
	var out []variantTally
	for i := range vs {
		v := &vs[i]
		if !v.Disabled && v.Template != nil {
			out = append(out, variantTally{v: v, reported: reported[v]})
		}
	}
	return out
}

// noteTally follows the connect step's note over the prospects.
type noteTally struct {
	cn       *Connect
	step     int
	variants []variantTally
	tried    int    // prospects a note was chosen for
	noFit    capped // per-prospect "no note fits"
	noFitN   int
}

// observe records the note chosen for one prospect (err from Choose).
func (t *noteTally) observe(f templates.Fields, limit int, note templates.Note, err error, finding func() diag.Finding) {
	t.tried++
	chosen := ""
	if err == nil {
		chosen = note.Variant
	} else {
		t.noFitN++
		t.noFit.add(0, finding)
	}
	for i := range t.variants {
		t.variants[i].observe(f, limit, chosen)
	}
}

func (t *noteTally) findings(file string) diag.List {
	var fs diag.List
	dead, reported := 0, 0
	for i := range t.variants {
		vt := &t.variants[i]
		if f, ok := vt.finding(file); ok {
			fs.Add(f)
		}
		if !vt.usable {
			dead++
			if vt.reported {
				reported++
			}
		}
	}
	switch {
	case t.noFitN == 0:
	case t.noFitN == t.tried && dead == len(t.variants):
		// One cause for every prospect: the variants' findings say it.
		if reported < dead {
			fs.Errorf(file, t.cn.NoteLine, "steps[%d].connect.note: no note fits any of the %d prospects (its variants' warnings say why); fix a variant, or add blank to the fallback",
				t.step, t.tried)
		}
	default:
		fs.Add(t.noFit.list("prospects for whom no note fits")...)
	}
	return fs
}

// messageTally follows one message step over the prospects.
type messageTally struct {
	m        *Message
	step     int
	variants []variantTally // its enabled variants; looked at when more than one
	tried    int
	skipped  int            // prospects no variant renders for
	causes   map[string]int // why -> prospects
}

func (t *messageTally) observe(f templates.Fields) {
	if t.m.Set == nil {
		return
	}
	t.tried++
	note, err := t.m.Choose(f)
	chosen := ""
	if err == nil {
		chosen = note.Variant
	} else {
		t.skipped++
		t.addCauses(err)
	}
	if len(t.variants) > 1 {
		for i := range t.variants {
			t.variants[i].observe(f, messageLimit, chosen)
		}
	}
}

// addCauses counts why no variant of a message rendered for a prospect:
// each distinct cause of its attempts once.
func (t *messageTally) addCauses(err error) {
	if t.causes == nil {
		t.causes = map[string]int{}
	}
	nf, ok := errors.AsType[*templates.NoFitError](err)
	if !ok {
		t.causes[err.Error()]++
		return
	}
	for i, a := range nf.Attempts {
		d := strings.Replace(a.Detail, "the note renders empty", "it renders empty", 1)
		if !slices.ContainsFunc(nf.Attempts[:i], func(b templates.Attempt) bool { return b.Detail == a.Detail }) {
			t.causes[d]++
		}
	}
}

func (t *messageTally) findings(file string) diag.List {
	var fs diag.List
	reported := 0
	for i := range t.variants {
		if t.variants[i].reported {
			reported++
		}
		if len(t.variants) > 1 {
			if f, ok := t.variants[i].finding(file); ok {
				fs.Add(f)
			}
		}
	}
	if t.skipped == 0 || reported == len(t.variants) {
		return fs // nothing skipped, or the fields that are not columns are the cause
	}
	path := fmt.Sprintf("steps[%d].message", t.step)
	if t.skipped == t.tried {
		fs.Errorf(file, t.m.Line, "%s: renders for none of the %d prospects: %s; fix it, or remove the step",
			path, t.tried, t.causeList())
		return fs
	}
	verb := "skip"
	if t.skipped == 1 {
		verb = "skips"
	}
	fs.Add(diag.Warnf(file, t.m.Line, "%s: %d of the %d prospects %s this message: %s",
		path, t.skipped, t.tried, verb, t.causeList()))
	return fs
}

// causeList lists the causes, most prospects first: `missing field
// "company" for 12, ...`; a prospect may count under several (each variant
// failed for its own reason). A single cause goes without its count.
func (t *messageTally) causeList() string {
	type cause struct {
		text string
		n    int
	}
	cs := make([]cause, 0, len(t.causes))
	for text, n := range t.causes {
		cs = append(cs, cause{text, n})
	}
	slices.SortFunc(cs, func(a, b cause) int { return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.text, b.text)) })
	if len(cs) == 1 {
		return cs[0].text
	}
	var parts []string
	for i, c := range cs {
		if i == maxListedCauses {
			parts = append(parts, fmt.Sprintf("%d other causes", len(cs)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%s for %d", c.text, c.n))
	}
	return strings.Join(parts, ", ")
}
