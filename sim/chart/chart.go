package chart

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/outreach-scheduler/outreach/sim"
)

// Format is a file format of the chart.
type Format string

// The formats.
const (
	SVG Format = "svg"
	PNG Format = "png"
)

// FormatOf is the format a file name's extension asks for: .svg or .png,
// in any case.
func FormatOf(name string) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".svg":
		return SVG, nil
	case ".png":
		return PNG, nil
	}
	return "", fmt.Errorf("%q: the chart's file name must end in .svg or .png", name)
}

// MaxPanels bounds the picture's height: past it, the accounts' panels
// are left out first, then the last campaigns'.
const MaxPanels = 24

// The picture's size: a panel per row.
const (
	width        = 8 * vg.Inch
	panelHeight  = 2.6 * vg.Inch
	legendHeight = 0.4 * vg.Inch
	dpi          = 96 // PNG pixels per inch
)

// Options configure Write.
type Options struct {
	Format   Format
	Location *time.Location // the dates' zone; nil: UTC
}

// Summary says what Write drew.
type Summary struct {
	Campaigns, Accounts int      // panels drawn
	Omitted             []string // panels left out past MaxPanels: "campaign NAME", "account ID"
}

// The curves' colours (a colour-blind-safe palette) and the cap's dashes.
var (
	blue   = color.RGBA{0x00, 0x72, 0xb2, 0xff}
	green  = color.RGBA{0x00, 0x9e, 0x73, 0xff}
	orange = color.RGBA{0xe6, 0x9f, 0x00, 0xff}
	grey   = color.RGBA{0x66, 0x66, 0x66, 0xff}
)

// Write draws res to w in opt.Format: a panel per campaign, then one per
// account that invited anyone, up to MaxPanels.
func Write(w io.Writer, res *sim.Result, opt Options) (Summary, error) {
	if opt.Format != SVG && opt.Format != PNG {
		return Summary{}, fmt.Errorf("chart: unknown format %q: want svg or png", opt.Format)
	}
	if len(res.Campaigns) == 0 {
		return Summary{}, errors.New("chart: nothing to draw: no campaign")
	}
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	var sum Summary
	var plots []*plot.Plot
	for _, c := range res.Campaigns {
		if len(plots) == MaxPanels {
			sum.Omitted = append(sum.Omitted, "campaign "+c.Name)
			continue
		}
		p, err := panel(res, loc, "campaign "+c.Name, c.Days, nil)
		if err != nil {
			return Summary{}, err
		}
		plots = append(plots, p)
		sum.Campaigns++
	}
	for _, a := range res.Accounts {
		if a.Invited == 0 {
			continue
		}
		if len(plots) == MaxPanels {
			sum.Omitted = append(sum.Omitted, "account "+a.ID)
			continue
		}
		p, err := panel(res, loc, "account "+a.ID, a.Days, a.Weeks)
		if err != nil {
			return Summary{}, err
		}
		plots = append(plots, p)
		sum.Accounts++
	}

	height := legendHeight + panelHeight*vg.Length(len(plots))
	var canvas interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch opt.Format {
	case SVG:
		canvas = vgsvg.New(width, height)
	case PNG:
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi),
			vgimg.UseBackgroundColor(color.White))}
	}
	dc := draw.New(canvas)
	dc.SetColor(color.White) // the legend too is on white, in a dark page as well
	dc.Fill(dc.Rectangle.Path())
	legend(draw.Crop(dc, 0, 0, height-legendHeight, 0), sum.Accounts > 0)
	dc = draw.Crop(dc, 0, 0, 0, -legendHeight)
	rows := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6),
		PadLeft: vg.Points(6), PadRight: vg.Points(12), PadY: vg.Points(10)}
	for i, row := range plot.Align(rows, tiles, dc) {
		plots[i].Draw(row[0])
	}
	if _, err := canvas.WriteTo(w); err != nil {
		return Summary{}, fmt.Errorf("chart: %w", err)
	}
	return sum, nil
}

// panel is the plot of one campaign or account: the cumulative curves of
// its days and, for an account (weeks given), its weekly cap's cumulative
// capacity.
func panel(res *sim.Result, loc *time.Location, title string, days []sim.Counts, weeks []sim.Week) (*plot.Plot, error) {
	p := plot.New()
	sans(p)
	p.Title.Text = title
	p.Y.Label.Text = "people"
	p.Y.Min = 0
	p.X.Min, p.X.Max = unix(res.Start), unix(res.End)
	p.X.Tick.Marker = weekTicks(res.Start, res.End, loc)
	p.Y.Tick.Marker = plot.TickerFunc(countTicks)
	p.Add(plotter.NewGrid())

	inv, acc, pend := plotter.XYs{{X: unix(res.Start)}}, plotter.XYs{{X: unix(res.Start)}}, plotter.XYs{{X: unix(res.Start)}}
	top := 0
	for i, d := range days {
		x := unix(res.Start.AddDate(0, 0, i+1))
		inv = append(inv, plotter.XY{X: x, Y: float64(d.Invited)})
		acc = append(acc, plotter.XY{X: x, Y: float64(d.Accepted)})
		pend = append(pend, plotter.XY{X: x, Y: float64(d.Pending)})
		top = max(top, d.Invited, d.Pending)
	}
	for _, s := range []struct {
		name string
		xys  plotter.XYs
		c    color.Color
	}{{"invited", inv, blue}, {"accepted", acc, green}, {"pending", pend, orange}} {
		l, err := plotter.NewLine(s.xys)
		if err != nil {
			return nil, fmt.Errorf("chart: %s: %s: %w", title, s.name, err)
		}
		l.LineStyle = curveStyle(s.c)
		p.Add(l)
	}
	if len(weeks) > 0 {
		l, label, err := capLine(res, weeks)
		if err != nil {
			return nil, fmt.Errorf("chart: %s: %w", title, err)
		}
		p.Add(l)
		p.Title.Text += ", weekly cap " + label
		// The cap's first week shows; later weeks rise out of the panel
		// when the account sends far below its cap.
		top = max(top, weeks[0].WeeklyCap)
	}
	p.Y.Max = float64(max(top, 1)) * 1.12
	return p, nil
}

// capLine is the weekly cap's cumulative capacity: at any time, the most
// invitations the weekly caps of the weeks begun so far allow, a step per
// week; and its legend label.
func capLine(res *sim.Result, weeks []sim.Week) (*plotter.Line, string, error) {
	// The steps are drawn point by point: the plot clips the line's
	// segments before it would draw plotter's own steps, which would bend
	// a step that leaves the panel.
	var xys plotter.XYs
	lo, hi, total := weeks[0].WeeklyCap, weeks[0].WeeklyCap, 0
	for _, w := range weeks {
		x := unix(w.Start)
		xys = append(xys, plotter.XY{X: x, Y: float64(total)})
		total += w.WeeklyCap
		xys = append(xys, plotter.XY{X: x, Y: float64(total)})
		lo, hi = min(lo, w.WeeklyCap), max(hi, w.WeeklyCap)
	}
	xys = append(xys, plotter.XY{X: unix(res.End), Y: float64(total)})
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, "", err
	}
	l.LineStyle = capStyle
	label := fmt.Sprint(hi)
	if lo != hi {
		label = fmt.Sprintf("%d to %d", lo, hi)
	}
	return l, label, nil
}

// The lines' styles.
func curveStyle(c color.Color) draw.LineStyle { return draw.LineStyle{Color: c, Width: vg.Points(1.6)} }

var capStyle = draw.LineStyle{Color: grey, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}

// legend draws, in c (a strip across the top), what the lines mean, once
// for every panel.
func legend(c draw.Canvas, cap bool) {
	sty := draw.TextStyle{Color: color.Black, Font: font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, vg.Points(10)),
		Handler: plot.DefaultTextHandler, YAlign: draw.YCenter}
	type entry struct {
		label string
		line  draw.LineStyle
	}
	entries := []entry{{"invited (cumulative)", curveStyle(blue)}, {"accepted (cumulative)", curveStyle(green)}, {"pending", curveStyle(orange)}}
	if cap {
		entries = append(entries, entry{"weekly cap: the most it allows since the start", capStyle})
	}
	x, y := c.Min.X+vg.Points(12), (c.Min.Y+c.Max.Y)/2
	for _, e := range entries {
		c.StrokeLine2(e.line, x, y, x+vg.Points(22), y)
		x += vg.Points(26)
		c.FillText(sty, vg.Point{X: x, Y: y}, e.label)
		x += sty.Width(e.label) + vg.Points(14)
	}
}

// weekTicks marks the forecast's weeks from start, labelled with their
// dates in loc; when there are many, only every n-th is labelled.
func weekTicks(start, end time.Time, loc *time.Location) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		n := int(end.Sub(start)/(7*24*time.Hour)) + 1
		every := max(1, (n+9)/10)
		var ticks []plot.Tick
		year := 0
		for k := 0; ; k++ {
			t := start.AddDate(0, 0, 7*k).In(loc)
			x := unix(t)
			if x > hi {
				return ticks
			}
			label := ""
			if k%every == 0 {
				label = t.Format("Jan 2")
				if t.Year() != year { // the year on the first label and at a new year
					label, year = t.Format("Jan 2 2006"), t.Year()
				}
			}
			ticks = append(ticks, plot.Tick{Value: x, Label: label})
		}
	})
}

// countTicks marks whole numbers from 0 to hi, labelled at a round step
// (1, 2 or 5 times a power of ten) that gives at most six labels.
func countTicks(_, hi float64) []plot.Tick {
	step := 1.0
	for i := 0; hi/step > 5; i++ {
		step *= []float64{2, 2.5, 2}[i%3] // 1, 2, 5, 10, 20, 50, ...
	}
	var ticks []plot.Tick
	for v := 0.0; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ticks
}

// sans sets every text of p in Liberation Sans.
func sans(p *plot.Plot) {
	f := func(s *font.Font) { s.Variant = "Sans" }
	f(&p.Title.TextStyle.Font)
	f(&p.X.Label.TextStyle.Font)
	f(&p.Y.Label.TextStyle.Font)
	f(&p.X.Tick.Label.Font)
	f(&p.Y.Tick.Label.Font)
	f(&p.Legend.TextStyle.Font)
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Legend.TextStyle.Font.Size = vg.Points(10)
}

// unix is t as the x axis holds it: seconds since the epoch.
func unix(t time.Time) float64 { return float64(t.Unix()) }
