package campaigns

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/internal/strictyaml"
	"github.com/outreach-scheduler/outreach/prospects"
)

// Parse decodes campaign data as if read from the file path (which names
// the file in findings and anchors relative CSV paths). Findings come
// sorted by line. The Campaign is always returned, filled as far as the
// data allowed.
func Parse(path string, data []byte, cfg *config.Config) (*Campaign, diag.List) {
	return parse(strictyaml.New(path), data, cfg)
}

// parse is Parse with the decoder given (tests trace it).
func parse(d *strictyaml.Decoder, data []byte, cfg *config.Config) (*Campaign, diag.List) {
	c := &Campaign{Path: d.File, Dedupe: DedupeWorkspace, ABTest: ABTest{Strategy: StrategyThompson}}
	if root := d.Parse(data); root != nil {
		l := loader{d: d, c: c, cfg: cfg}
		l.decode(d.Object(root, "", campaignSchema))
	}
	d.Findings.Sort()
	return c, d.Findings
}

type loader struct {
	d   *strictyaml.Decoder
	c   *Campaign
	cfg *config.Config
}

var campaignNameRE = regexp.MustCompile(`^[a-z0-9-]{1,63}$`)

func (l *loader) decode(m *strictyaml.Map) {
	c := l.c
	c.Line = m.Line()
	m.Required("name", "accounts", "prospects", "steps")
	if m.String("name", &c.Name) && !campaignNameRE.MatchString(c.Name) {
		m.Errorf("name", "bad campaign name %s: want 1 to 63 of a-z, 0-9 and -", strictyaml.Quote(c.Name))
	}
	l.decodeAccounts(m)
	if src, ok := l.decodeSource(m, "prospects", DefaultKey); ok {
		c.Prospects = src
	}
	if m.Has("exclude") {
		if src, ok := l.decodeSource(m, "exclude", c.Prospects.Key); ok {
			c.Exclude = &src
		}
	}
	if m.Has("schedule") {
		c.Schedule = l.decodeSchedule(m.Object("schedule"))
	}
	m.Bool("paused", &c.Paused)
	var dedupe string
	if m.OneOf("dedupe", &dedupe, "dedupe scope", string(DedupeWorkspace), string(DedupeAccount), string(DedupeCampaign)) {
		c.Dedupe = Dedupe(dedupe)
	}
	l.decodeABTest(m.Object("ab_test"))
	l.decodeSteps(m)
}

func (l *loader) decodeAccounts(m *strictyaml.Map) {
	items, ok := m.Seq("accounts")
	if !ok {
		return
	}
	if len(items) == 0 {
		m.Errorf("accounts", "no accounts; name at least one sender account")
		return
	}
	var known []string
	if l.cfg != nil {
		known = l.cfg.AccountIDs()
	}
	seen := map[string]bool{}
	for i, item := range items {
		path := strictyaml.Index(m.KeyPath("accounts"), i)
		id, ok := l.d.String(item, path)
		switch {
		case !ok:
		case seen[id]:
			l.d.Errorf(item.Line, path, "account %q is listed twice", id)
		case l.cfg != nil && l.cfg.Account(id) == nil:
			l.d.Errorf(item.Line, path, "%s", unknownAccount(id, known, l.cfg.Path))
		default:
			l.c.Accounts = append(l.c.Accounts, id)
		}
		seen[id] = true
	}
}

func unknownAccount(id string, known []string, cfgPath string) string {
	msg := "unknown account " + strictyaml.Quote(id)
	if s := strictyaml.Suggest(id, known); s != "" {
		return msg + ` (did you mean "` + s + `"?)`
	}
	if len(known) == 0 {
		return msg + " (" + cfgPath + " defines none)"
	}
	return msg + " (" + cfgPath + " defines " + strings.Join(known, ", ") + ")"
}

// decodeSource decodes a {csv, key, encoding} section.
func (l *loader) decodeSource(parent *strictyaml.Map, key, defaultKey string) (Source, bool) {
	m := parent.Object(key)
	if !m.Present() {
		return Source{}, false
	}
	before := l.d.Errors()
	src := Source{Key: defaultKey, Line: m.ValueLine("csv"), Encoding: prospects.UTF8, EncodingKey: m.KeyPath("encoding")}
	decodeEncoding(m, &src.Encoding)
	m.Required("csv")
	var p string
	if m.String("csv", &p) {
		if p == "" {
			m.Errorf("csv", "empty path")
		} else {
			src.Path = p
			if !filepath.IsAbs(p) {
				src.Path = filepath.Join(filepath.Dir(l.c.Path), p)
			}
			if l.cfg != nil {
				// Files stay in their place: refused before anything reads it.
				if err := l.cfg.CheckPath(src.Path); err != nil {
					m.Errorf("csv", "%s %v", strictyaml.Quote(p), err)
				}
			}
		}
	}
	if m.String("key", &src.Key) {
		if norm := normalizeHeader(src.Key); norm != src.Key {
			m.Errorf("key", "%s is not a normalized column name (did you mean %q?)", strictyaml.Quote(src.Key), norm)
		}
	}
	return src, l.d.Errors() == before
}

// encodingAliases are names people give the encodings, and the encoding
// each means.
var encodingAliases = map[string]prospects.Encoding{
	"utf8": prospects.UTF8, "utf16": prospects.UTF16, "utf-16le": prospects.UTF16, "utf-16be": prospects.UTF16,
	"unicode": prospects.UTF16, "ucs-2": prospects.UTF16,
	"cp1252": prospects.Windows1252, "windows1252": prospects.Windows1252, "win-1252": prospects.Windows1252,
	"ansi":   prospects.Windows1252,
	"latin1": prospects.ISO88591, "latin-1": prospects.ISO88591, "iso8859-1": prospects.ISO88591,
	"iso_8859-1": prospects.ISO88591, "l1": prospects.ISO88591,
}

// decodeEncoding decodes the encoding key of a CSV source: one of
// prospects.Encodings, exactly; another value is an error at its line that
// lists them (and names the one meant by a common alias such as latin1).
func decodeEncoding(m *strictyaml.Map, dst *prospects.Encoding) {
	var s string
	if !m.String("encoding", &s) {
		return
	}
	allowed := make([]string, len(prospects.Encodings))
	for i, e := range prospects.Encodings {
		allowed[i] = string(e)
	}
	if slices.Contains(allowed, s) {
		*dst = prospects.Encoding(s)
		return
	}
	msg := fmt.Sprintf("unknown encoding %s (want %s)", strictyaml.Quote(s), strictyaml.Or(allowed))
	e, ok := encodingAliases[strings.ToLower(s)]
	if slices.Contains(allowed, strings.ToLower(s)) {
		e, ok = prospects.Encoding(strings.ToLower(s)), true
	}
	if ok {
		msg = fmt.Sprintf("unknown encoding %s (did you mean %q? want %s)", strictyaml.Quote(s), e, strictyaml.Or(allowed))
	}
	m.Errorf("encoding", "%s", msg)
}

// normalizeHeader puts a CSV header in the form of template fields: lower
// case, every run of other characters than letters and digits as "_".
func normalizeHeader(s string) string {
	var b strings.Builder
	under := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
			under = false
		} else if !under {
			b.WriteByte('_')
			under = true
		}
	}
	return b.String()
}

func (l *loader) decodeSchedule(m *strictyaml.Map) *Schedule {
	s := &Schedule{Line: m.Line()}
	config.DecodeDays(m, "days", &s.Days)
	config.DecodeTimezone(m, "timezone", &s.Timezone, &s.Location)
	if config.DecodeHours(m, "hours", &s.Hours) && l.cfg != nil {
		for _, id := range l.c.Accounts {
			a := l.cfg.Account(id)
			if msg, ok := config.CheckWindow(s.Hours, a.Limits.MinGap); !ok {
				m.Errorf("hours", "%s of account %q", msg, id)
			}
		}
	}
	return s
}

func (l *loader) decodeABTest(m *strictyaml.Map) {
	ab := &l.c.ABTest
	ab.Line = m.Line()
	var s string
	if m.OneOf("strategy", &s, "strategy", string(StrategyThompson), string(StrategyUniform)) {
		ab.Strategy = Strategy(s)
	}
	m.Bool("include_blank", &ab.IncludeBlank)
	var n int
	if m.Int("min_samples", &n) {
		if n < 0 {
			m.Errorf("min_samples", "must not be negative, got %d", n)
		} else {
			ab.MinSamples = n
		}
	}
}

// names lists variant names for messages.
func names(vs []Variant) string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if v.Name != "" && !slices.Contains(out, v.Name) {
			out = append(out, v.Name)
		}
	}
	return strings.Join(out, ", ")
}
