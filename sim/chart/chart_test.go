package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/sim"
)

func TestFormatOf(t *testing.T) {
	for name, want := range map[string]Format{"f.svg": SVG, "out/F.SVG": SVG, "a.b.png": PNG, "x.Png": PNG} {
		if got, err := FormatOf(name); got != want || err != nil {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"f.jpg", "f.pdf", "f", "", "svg", "f.svg.txt", "f.svgz", ".png/"} {
		if got, err := FormatOf(name); err == nil || got != "" || !strings.Contains(err.Error(), "must end in .svg or .png") {
			t.Errorf("FormatOf(%q) = %q, %v; want refused", name, got, err)
		}
	}
}

// forecast is a hand-made result of campaigns (one with nothing
// happening) and accounts (one that sent nothing and gets no panel), over
// days days.
func forecast(campaigns, days int) *sim.Result {
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	res := &sim.Result{Start: start, End: start.AddDate(0, 0, days)}
	curve := func(scale int) []sim.Counts {
		d := make([]sim.Counts, days)
		for i := range d {
			inv := scale * min(i+1, 10)
			acc := inv * 3 / 10 * min(i, 20) / 20
			d[i] = sim.Counts{Invited: inv, Accepted: acc, Pending: inv - acc - inv*min(i, 25)/50}
		}
		return d
	}
	for i := range campaigns {
		c := sim.CampaignResult{Name: fmt.Sprintf("c%d", i), Days: curve(i + 1)}
		if i == 1 {
			c.Days = make([]sim.Counts, days) // nothing happens
		}
		res.Campaigns = append(res.Campaigns, c)
	}
	a := sim.AccountResult{ID: "alice", Days: curve(3), Counts: sim.Counts{Invited: 30}}
	for k := 0; k*7 < days; k++ {
		a.Weeks = append(a.Weeks, sim.Week{Start: start.AddDate(0, 0, 7*k), WeeklyCap: min(20*(k+1), 100)})
	}
	res.Accounts = []sim.AccountResult{a, {ID: "bob", Days: make([]sim.Counts, days)}}
	return res
}

// svgTexts are the texts of an SVG document, and the number of paths
// stroked in each colour.
func svgTexts(t *testing.T, doc []byte) (texts []string, strokes map[string]int) {
	t.Helper()
	strokes = map[string]int{}
	d := xml.NewDecoder(bytes.NewReader(doc))
	inText := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return texts, strokes
		}
		if err != nil {
			t.Fatalf("the SVG does not parse: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			inText = e.Name.Local == "text"
			if e.Name.Local == "path" {
				for _, a := range e.Attr {
					if _, after, ok := strings.Cut(a.Value, "stroke:"); a.Name.Local == "style" && ok {
						strokes[strings.SplitN(after, ";", 2)[0]]++
					}
				}
			}
		case xml.CharData:
			if inText {
				texts = append(texts, strings.TrimSpace(string(e)))
			}
		case xml.EndElement:
			inText = false
		}
	}
}

func TestWriteSVG(t *testing.T) {
	var buf bytes.Buffer
	sum, err := Write(&buf, forecast(3, 45), Options{Format: SVG})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Campaigns != 3 || sum.Accounts != 1 || sum.Omitted != nil {
		t.Errorf("summary %+v, want 3 campaigns and 1 account (bob sent nothing)", sum)
	}
	if n := buf.Len(); n < 1<<10 || n > 2<<20 {
		t.Errorf("%d bytes: want between 1 KB and 2 MB", n)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`<svg width="576pt" height="777.6pt"`)) { // 8 in; (0.4 in + 4 panels of 2.6 in) x 72 pt
		t.Errorf("size: %s", buf.Bytes()[:min(buf.Len(), 200)])
	}
	texts, strokes := svgTexts(t, buf.Bytes())
	for _, want := range []string{"campaign c0", "campaign c1", "campaign c2", "account alice, weekly cap 20 to 100",
		"invited (cumulative)", "accepted (cumulative)", "pending", "weekly cap: the most it allows since the start",
		"Nov 23 2026", "Nov 30", "Jan 4 2027"} {
		if n := count(texts, want); n != 1 && !strings.HasPrefix(want, "Nov") && !strings.HasPrefix(want, "Jan") || n == 0 {
			t.Errorf("text %q appears %d times in %q", want, n, texts)
		}
	}
	if slices.Contains(texts, "account bob, weekly cap 0") {
		t.Error("bob sent nothing and still has a panel")
	}
	// One line a colour per panel, plus the legend's sample; the cap in
	// the account's panel only.
	for colour, want := range map[string]int{"#0072B2": 5, "#009E73": 5, "#E69F00": 5, "#666666": 2} {
		if strokes[colour] != want {
			t.Errorf("%d paths stroked %s, want %d (strokes: %v)", strokes[colour], colour, want, strokes)
		}
	}
	var again bytes.Buffer
	if _, err := Write(&again, forecast(3, 45), Options{Format: SVG}); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("the same forecast drew a different SVG (%v)", err)
	}
}

func count(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

func TestWritePNG(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Write(&buf, forecast(2, 90), Options{Format: PNG, Location: time.FixedZone("JST", 9*3600)}); err != nil {
		t.Fatal(err)
	}
	if n := buf.Len(); n < 1<<10 || n > 2<<20 {
		t.Errorf("%d bytes: want between 1 KB and 2 MB", n)
	}
	img, err := png.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	b := img.Bounds()
	wantH := (0.4 + 3*2.6) * dpi // the legend and 3 panels (2 campaigns, alice)
	if b.Dx() != 8*dpi || math.Abs(float64(b.Dy())-wantH) > 1 {
		t.Errorf("%dx%d pixels, want %dx%.0f", b.Dx(), b.Dy(), 8*dpi, wantH)
	}
	// Not blank: the curves' colours are there.
	blue := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 0x20 && g>>8 > 0x60 && g>>8 < 0x80 && bl>>8 > 0xa0 && bl>>8 < 0xc0 {
				blue++
			}
		}
	}
	if blue < 200 {
		t.Errorf("%d pixels of the invited curve's blue: the curves are missing", blue)
	}
}

// TestWriteTooMany: past MaxPanels the accounts go first, then the last
// campaigns; the summary names them.
func TestWriteTooMany(t *testing.T) {
	var buf bytes.Buffer
	sum, err := Write(&buf, forecast(MaxPanels+2, 14), Options{Format: SVG})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("campaign c%d", MaxPanels), fmt.Sprintf("campaign c%d", MaxPanels+1), "account alice"}
	if sum.Campaigns != MaxPanels || sum.Accounts != 0 || !slices.Equal(sum.Omitted, want) {
		t.Errorf("summary %+v, want %d campaigns drawn and %q left out", sum, MaxPanels, want)
	}
	if n := buf.Len(); n > 2<<20 {
		t.Errorf("%d bytes: want under 2 MB", n)
	}
}

func TestWriteRefuses(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Write(&buf, forecast(1, 7), Options{Format: "jpg"}); err == nil || buf.Len() > 0 {
		t.Errorf("format jpg: err %v, %d bytes written", err, buf.Len())
	}
	if _, err := Write(&buf, forecast(0, 7), Options{Format: PNG}); err == nil || !strings.Contains(err.Error(), "nothing to draw") || buf.Len() > 0 {
		t.Errorf("no campaign: err %v, %d bytes written", err, buf.Len())
	}
}
