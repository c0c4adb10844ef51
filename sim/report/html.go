package report

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Colours by class and by series.
var classColour = map[string]string{"fire": "#d7301f", "flood": "#2171b5", "vessel": "#238b45"}

const (
	colSkysieve = "#6a3d9a"
	colBaseline = "#ff7f00"
)

// WriteHTML writes dir/index.html, a self-contained page, and returns its
// path.
func (r *Report) WriteHTML(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	r.sanitize()
	var buf bytes.Buffer
	data := map[string]any{
		"R":           r,
		"Summary":     r.summaryText(),
		"Queue":       template.HTML(r.queueSVG()),
		"Depth":       template.HTML(r.depthSVG()),
		"Timeline":    template.HTML(r.timelineSVG()),
		"CDF":         template.HTML(r.cdfSVG()),
		"Map":         template.HTML(r.mapSVG()),
		"Cards":       r.cards(),
		"GoodputS":    goodput(r.Metrics),
		"GoodputB":    goodput(r.Baseline),
		"GoodputNote": r.goodputNote(),
		"FalsePosS":   falsePositives(r.Metrics),
	}
	if err := page.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("report: render: %w", err)
	}
	path := filepath.Join(dir, "index.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return path, nil
}

type card struct{ Title, Value, Note string }

func (r *Report) cards() []card {
	s, b := r.Metrics, r.Baseline
	return []card{
		{"Critical detections, p99 latency", dur(s.CriticalLatencyP99S), fmt.Sprintf("baseline %s (%.0f× slower)", dur(b.CriticalLatencyP99S), r.BaselineSpeedup)},
		{"Event recall", pct(s.EventRecall), fmt.Sprintf("%d of %d visible events reached responders", s.EventsDetected, s.EventsVisible)},
		{"Data reduction", pct(s.DataReduction), fmt.Sprintf("%s sent instead of %s", bytesStr(s.DownlinkedBytes), bytesStr(s.RawBytes))},
		{"Published once", fmt.Sprintf("%d", s.DetectionsPublished), fmt.Sprintf("%d duplicates, %d lost", s.DuplicatesPublished, s.LostItems)},
	}
}

func (r *Report) summaryText() string {
	var b strings.Builder
	r.WriteSummary(&b)
	return b.String()
}

// chart is a plot area with margins and linear or log axes.
type chart struct {
	w, h, left, right, top, bottom float64
	x0, x1, y0, y1                 float64
	logX, logY                     bool
	b                              strings.Builder
}

func newChart(w, h float64) *chart {
	c := &chart{w: w, h: h, left: 70, right: 20, top: 20, bottom: 40}
	fmt.Fprintf(&c.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="100%%" font-family="sans-serif" font-size="12">`, w, h)
	return c
}

func (c *chart) tx(v float64) float64 {
	a, b := c.x0, c.x1
	if c.logX {
		v, a, b = math.Log10(v), math.Log10(a), math.Log10(b)
	}
	return c.left + (v-a)/(b-a)*(c.w-c.left-c.right)
}

func (c *chart) ty(v float64) float64 {
	a, b := c.y0, c.y1
	if c.logY {
		v, a, b = math.Log10(math.Max(v, c.y0)), math.Log10(a), math.Log10(b)
	}
	return c.h - c.bottom - (v-a)/(b-a)*(c.h-c.top-c.bottom)
}

func (c *chart) frame(xLabel, yLabel string) {
	fmt.Fprintf(&c.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#fafafa" stroke="#999"/>`,
		c.left, c.top, c.w-c.left-c.right, c.h-c.top-c.bottom)
	fmt.Fprintf(&c.b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, (c.left+c.w-c.right)/2, c.h-6, html.EscapeString(xLabel))
	fmt.Fprintf(&c.b, `<text transform="translate(14 %.1f) rotate(-90)" text-anchor="middle">%s</text>`, (c.top+c.h-c.bottom)/2, html.EscapeString(yLabel))
}

func (c *chart) xTick(v float64, label string) {
	x := c.tx(v)
	fmt.Fprintf(&c.b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="middle" fill="#444">%s</text>`,
		x, x, c.top, c.h-c.bottom, x, c.h-c.bottom+15, html.EscapeString(label))
}

func (c *chart) yTick(v float64, label string) {
	y := c.ty(v)
	fmt.Fprintf(&c.b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="end" fill="#444">%s</text>`,
		c.left, c.w-c.right, y, y, c.left-5, y+4, html.EscapeString(label))
}

func (c *chart) line(xs, ys []float64, colour string, step bool) {
	if len(xs) == 0 {
		return
	}
	var p strings.Builder
	for i := range xs {
		x, y := c.tx(xs[i]), c.ty(ys[i])
		switch {
		case i == 0:
			fmt.Fprintf(&p, "M%.1f %.1f", x, y)
		case step:
			fmt.Fprintf(&p, " H%.1f V%.1f", x, y)
		default:
			fmt.Fprintf(&p, " L%.1f %.1f", x, y)
		}
	}
	fmt.Fprintf(&c.b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`, p.String(), colour)
}

func (c *chart) legend(items ...[2]string) {
	x := c.left + 10
	for _, it := range items {
		fmt.Fprintf(&c.b, `<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s"/><text x="%.1f" y="%.1f">%s</text>`,
			x, c.top+8, it[1], x+16, c.top+18, html.EscapeString(it[0]))
		x += 22 + 7*float64(len(it[0]))
	}
}

func (c *chart) done() string {
	c.b.WriteString(`</svg>`)
	return c.b.String()
}

func (r *Report) hoursTicks(c *chart) {
	total := r.DurationS / 3600
	step := math.Max(1, math.Ceil(total/12))
	for h := 0.0; h <= total+1e-9; h += step {
		c.xTick(h, fmt.Sprintf("%gh", h))
	}
}

func (r *Report) hours(t time.Time) float64 { return t.Sub(r.Start).Hours() }

// queueSVG draws bytes waiting on board, both approaches, log scale.
func (r *Report) queueSVG() string {
	c := newChart(1000, 300)
	c.x0, c.x1 = 0, math.Max(r.DurationS/3600, 1e-3)
	c.logY = true
	maxB := 1e3
	for _, q := range append(append([]QueuePoint(nil), r.Plot.Queue...), r.Plot.BaselineQueue...) {
		maxB = math.Max(maxB, float64(max(q.QueueBytes, q.StorageBytes)))
	}
	c.y0, c.y1 = 1e3, math.Pow(10, math.Ceil(math.Log10(maxB)))
	c.frame("simulated time (hours)", "bytes on board (log)")
	for e := 3.0; e <= math.Log10(c.y1); e++ {
		c.yTick(math.Pow(10, e), bytesStr(int64(math.Pow(10, e))))
	}
	r.hoursTicks(c)
	for _, pb := range r.Plot.Passes {
		x0, x1 := c.tx(r.hours(pb.AOS)), c.tx(r.hours(pb.LOS))
		fmt.Fprintf(&c.b, `<rect x="%.1f" y="%.1f" width="%.2f" height="%.1f" fill="#9ecae1" opacity="0.35"/>`, x0, c.top, math.Max(x1-x0, 0.8), c.h-c.top-c.bottom)
	}
	series := func(qs []QueuePoint, f func(QueuePoint) int64, colour string) {
		var xs, ys []float64
		for _, q := range qs {
			xs = append(xs, r.hours(q.At))
			ys = append(ys, math.Max(float64(f(q)), c.y0))
		}
		c.line(xs, ys, colour, true)
	}
	series(r.Plot.BaselineQueue, func(q QueuePoint) int64 { return q.QueueBytes }, colBaseline)
	series(r.Plot.Queue, func(q QueuePoint) int64 { return q.StorageBytes }, "#b2abd2")
	series(r.Plot.Queue, func(q QueuePoint) int64 { return q.QueueBytes }, colSkysieve)
	c.legend([2]string{"baseline raw queue", colBaseline}, [2]string{"Skysieve queue", colSkysieve},
		[2]string{"Skysieve store file", "#b2abd2"}, [2]string{"pass in progress", "#9ecae1"})
	return c.done()
}

// depthSVG draws the number of items waiting on board: Skysieve's
// detections and the baseline's raw scenes.
func (r *Report) depthSVG() string {
	c := newChart(1000, 240)
	c.x0, c.x1 = 0, math.Max(r.DurationS/3600, 1e-3)
	maxN := 1
	for _, q := range append(append([]QueuePoint(nil), r.Plot.Queue...), r.Plot.BaselineQueue...) {
		maxN = max(maxN, q.Items)
	}
	step := math.Pow(10, math.Floor(math.Log10(float64(maxN))))
	c.y0, c.y1 = 0, step*math.Ceil(float64(maxN)/step)
	c.frame("simulated time (hours)", "items on board")
	for v := 0.0; v <= c.y1; v += step {
		c.yTick(v, fmt.Sprintf("%g", v))
	}
	r.hoursTicks(c)
	series := func(qs []QueuePoint, colour string) {
		var xs, ys []float64
		for _, q := range qs {
			xs = append(xs, r.hours(q.At))
			ys = append(ys, float64(q.Items))
		}
		c.line(xs, ys, colour, true)
	}
	series(r.Plot.BaselineQueue, colBaseline)
	series(r.Plot.Queue, colSkysieve)
	c.legend([2]string{"baseline: raw scenes", colBaseline}, [2]string{"Skysieve: detections", colSkysieve})
	return c.done()
}

// timelineSVG draws passes per station, coloured by satellite.
func (r *Report) timelineSVG() string {
	stations := map[string]bool{}
	sats := map[string]bool{}
	for _, p := range r.Plot.Passes {
		stations[p.Station] = true
		sats[p.Satellite] = true
	}
	names := sortedSet(stations)
	satNames := sortedSet(sats)
	palette := []string{"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"}
	satColour := map[string]string{}
	for i, s := range satNames {
		satColour[s] = palette[i%len(palette)]
	}
	rowH := 22.0
	c := newChart(1000, 80+rowH*float64(max(len(names), 1)))
	c.left, c.top = 130, 36
	c.x0, c.x1 = 0, math.Max(r.DurationS/3600, 1e-3)
	c.y0, c.y1 = 0, float64(max(len(names), 1))
	c.frame("simulated time (hours)", "")
	r.hoursTicks(c)
	row := map[string]int{}
	for i, n := range names {
		row[n] = i
		fmt.Fprintf(&c.b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, c.left-6, c.ty(float64(i)+0.5)+4, html.EscapeString(n))
	}
	for _, p := range r.Plot.Passes {
		x0, x1 := c.tx(r.hours(p.AOS)), c.tx(r.hours(p.LOS))
		y := c.ty(float64(row[p.Station]) + 0.9)
		fmt.Fprintf(&c.b, `<rect x="%.1f" y="%.1f" width="%.2f" height="%.1f" fill="%s" opacity="%.2f"><title>%s over %s, max elevation %.0f°</title></rect>`,
			x0, y, math.Max(x1-x0, 1.5), rowH*0.8, satColour[p.Satellite], 0.4+0.6*math.Min(1, p.MaxElevationDeg/90),
			html.EscapeString(p.Satellite), html.EscapeString(p.Station), p.MaxElevationDeg)
	}
	var leg [][2]string
	for _, s := range satNames {
		leg = append(leg, [2]string{s, satColour[s]})
	}
	if len(leg) > 0 {
		c.top = 2 // the legend goes above the plot area
		c.legend(leg...)
	}
	return c.done()
}

// cdfSVG draws the critical-latency CDFs on a log time axis.
func (r *Report) cdfSVG() string {
	c := newChart(1000, 340)
	c.logX = true
	lo, hi := math.Inf(1), 0.0
	for _, xs := range [][]float64{r.Plot.Latencies, r.Plot.BaseLatencies} {
		for _, x := range xs {
			if x > 0 {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 1, 10
	}
	c.x0 = math.Pow(10, math.Floor(math.Log10(lo)))
	c.x1 = math.Pow(10, math.Ceil(math.Log10(hi*1.01)))
	c.y0, c.y1 = 0, 1
	c.frame("latency from capture to responder (log scale)", "fraction of critical detections")
	for _, v := range []float64{0.01, 0.1, 1, 10, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400} {
		if v >= c.x0 && v <= c.x1 {
			c.xTick(v, tickDur(v))
		}
	}
	for _, y := range []float64{0, 0.25, 0.5, 0.75, 0.99} {
		c.yTick(y, fmt.Sprintf("%g", y))
	}
	cdf := func(xs []float64, colour string) {
		s := append([]float64(nil), xs...)
		sort.Float64s(s)
		var px, py []float64
		for i, x := range s {
			px = append(px, math.Max(x, c.x0))
			py = append(py, float64(i+1)/float64(len(s)))
		}
		c.line(px, py, colour, true)
	}
	cdf(r.Plot.BaseLatencies, colBaseline)
	cdf(r.Plot.Latencies, colSkysieve)
	if b := r.Metrics.CriticalLatencyBoundP99S; b > 0 {
		x := c.tx(math.Max(b, c.x0))
		fmt.Fprintf(&c.b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#555" stroke-dasharray="4 3"/><text x="%.1f" y="%.1f" fill="#555">bound p99</text>`,
			x, x, c.top, c.h-c.bottom, x+4, c.ty(0.1))
	}
	c.legend([2]string{fmt.Sprintf("Skysieve (%d)", len(r.Plot.Latencies)), colSkysieve},
		[2]string{fmt.Sprintf("baseline (%d)", len(r.Plot.BaseLatencies)), colBaseline})
	return c.done()
}

// tickDur labels a time axis tick compactly.
func tickDur(s float64) string {
	switch {
	case s < 1:
		return fmt.Sprintf("%gms", s*1000)
	case s < 60:
		return fmt.Sprintf("%gs", s)
	case s < 3600:
		return fmt.Sprintf("%gmin", s/60)
	case s < 86400:
		return fmt.Sprintf("%gh", s/3600)
	default:
		return fmt.Sprintf("%gd", s/86400)
	}
}

// mapSVG draws the world (equirectangular) with captures, stations, events
// and detections.
func (r *Report) mapSVG() string {
	const w, h = 1000.0, 500.0
	px := func(lon float64) float64 { return (lon + 180) / 360 * w }
	py := func(lat float64) float64 { return (90 - lat) / 180 * h }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="100%%" font-family="sans-serif" font-size="11">`, w, h)
	fmt.Fprintf(&b, `<rect width="%.0f" height="%.0f" fill="#dceefb"/>`, w, h)
	for _, poly := range r.Plot.Land {
		var p strings.Builder
		for i, pt := range poly {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&p, "%s%.1f %.1f ", cmd, px(pt[0]), py(pt[1]))
		}
		fmt.Fprintf(&b, `<path d="%sZ" fill="#f2efe6" stroke="#b8b39f" stroke-width="0.6"/>`, p.String())
	}
	for lat := -60.0; lat <= 60; lat += 30 {
		fmt.Fprintf(&b, `<line x1="0" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#b0c8dc" stroke-width="0.5"/>`, w, py(lat), py(lat))
	}
	for _, cp := range r.Plot.Captures {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="1.2" fill="#888" opacity="0.6"/>`, px(cp.LonDeg), py(cp.LatDeg))
	}
	for _, s := range r.Plot.StationsAt {
		x, y := px(s.LonDeg), py(s.LatDeg)
		anchor, tx := "start", x+6
		if x > w-90 {
			anchor, tx = "end", x-6
		}
		fmt.Fprintf(&b, `<path d="M%.1f %.1f l5 9 h-10 z" fill="#333"><title>%s</title></path><text x="%.1f" y="%.1f" fill="#333" text-anchor="%s">%s</text>`,
			x, y-6, html.EscapeString(s.Name), tx, y+3, anchor, html.EscapeString(s.Name))
	}
	for _, e := range r.Plot.Events {
		col := classColour[e.Class]
		fill, op := col, "0.9"
		if !e.Visible {
			fill, op = "none", "0.7"
		}
		state := "not visible (cloud)"
		switch {
		case e.Detected:
			state = "detected"
		case e.Visible:
			state = "visible, missed"
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="5" fill="%s" stroke="%s" stroke-width="1.5" opacity="%s"><title>%s (%s): %s</title></circle>`,
			px(e.LonDeg), py(e.LatDeg), fill, col, op, html.EscapeString(e.ID), html.EscapeString(e.Class), state)
		if e.Visible && !e.Detected {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="8" fill="none" stroke="#000" stroke-width="1"/>`, px(e.LonDeg), py(e.LatDeg))
		}
	}
	for _, d := range r.Plot.Detections {
		col := classColour[d.Class]
		if !d.Matched {
			col = "#000"
		}
		x, y := px(d.LonDeg), py(d.LatDeg)
		// A white halo keeps the cross visible on its event's circle, which
		// is filled with the same colour.
		fmt.Fprintf(&b, `<path class="det" d="M%.1f %.1f l4 4 m-4 0 l4 -4" stroke="#fff" stroke-width="3.2"/>`, x-2, y-2)
		fmt.Fprintf(&b, `<path class="det" d="M%.1f %.1f l4 4 m-4 0 l4 -4" stroke="%s" stroke-width="1.4"/>`, x-2, y-2, col)
	}
	leg := []struct{ name, col string }{{"fire", classColour["fire"]}, {"flood", classColour["flood"]}, {"vessel", classColour["vessel"]}}
	x := 10.0
	fmt.Fprintf(&b, `<rect x="5" y="%.0f" width="640" height="22" fill="#fff" opacity="0.85"/>`, h-27)
	for _, l := range leg {
		fmt.Fprintf(&b, `<circle cx="%.0f" cy="%.0f" r="5" fill="%s"/><text x="%.0f" y="%.0f">%s</text>`, x+5, h-16, l.col, x+13, h-12, l.name)
		x += 60
	}
	fmt.Fprintf(&b, `<circle cx="%.0f" cy="%.0f" r="5" fill="none" stroke="#555"/><text x="%.0f" y="%.0f">event under cloud</text>`, x+5, h-16, x+13, h-12)
	x += 120
	fmt.Fprintf(&b, `<path d="M%.0f %.0f l4 4 m-4 0 l4 -4" stroke="#000"/><text x="%.0f" y="%.0f">detection (black: no event)</text>`, x, h-18, x+10, h-12)
	x += 170
	fmt.Fprintf(&b, `<circle cx="%.0f" cy="%.0f" r="1.5" fill="#888"/><text x="%.0f" y="%.0f">scene</text>`, x, h-16, x+6, h-12)
	x += 50
	fmt.Fprintf(&b, `<path d="M%.0f %.0f l4 8 h-8 z" fill="#333"/><text x="%.0f" y="%.0f">station</text>`, x, h-21, x+8, h-12)
	b.WriteString(`</svg>`)
	return b.String()
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Skysieve simulation — {{.R.Scenario}}, seed {{.R.Seed}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1040px;color:#222;line-height:1.4}
h1{font-size:24px;margin-bottom:4px} h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#555;margin-top:0}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{flex:1 1 220px;border:1px solid #ddd;border-radius:8px;padding:10px 14px;background:#fcfcff}
.card .t{font-size:13px;color:#555}.card .v{font-size:28px;font-weight:600;color:#6a3d9a}.card .n{font-size:12px;color:#666}
table{border-collapse:collapse;font-size:14px} td,th{padding:4px 12px;border-bottom:1px solid #eee;text-align:right} td:first-child,th:first-child{text-align:left}
pre{background:#f6f6f6;padding:10px;font-size:12px;overflow-x:auto}
.note{font-size:13px;color:#555}
</style></head><body>
<h1>Skysieve: a day in orbit</h1>
<p class="sub">Scenario <b>{{.R.Scenario}}</b>, seed {{.R.Seed}}, from {{.R.Start.Format "2006-01-02 15:04 UTC"}} for {{printf "%.0f" .R.DurationS}} s simulated;
{{len .R.Satellites}} satellite(s), {{len .R.Stations}} ground station(s), {{.R.Passes}} passes, {{.R.Scenes}} scenes, {{.R.Events}} ground-truth events. Ran in {{printf "%.1f" .R.Wall.S}} s.</p>
<div class="cards">{{range .Cards}}<div class="card"><div class="t">{{.Title}}</div><div class="v">{{.Value}}</div><div class="n">{{.Note}}</div></div>{{end}}</div>

<h2>Skysieve against the old way</h2>
<table>
<tr><th></th><th>Skysieve</th><th>baseline (raw, FIFO)</th></tr>
<tr><td>data reduction</td><td>{{printf "%.4f" .R.Metrics.DataReduction}}</td><td>{{printf "%.4f" .R.Baseline.DataReduction}}</td></tr>
<tr><td>event recall (visible events)</td><td>{{printf "%.3f" .R.Metrics.EventRecall}} ({{.R.Metrics.EventsDetected}}/{{.R.Metrics.EventsVisible}})</td><td>{{printf "%.3f" .R.Baseline.EventRecall}} ({{.R.Baseline.EventsDetected}}/{{.R.Baseline.EventsVisible}})</td></tr>
<tr><td>detections published</td><td>{{.R.Metrics.DetectionsPublished}}</td><td>{{.R.Baseline.DetectionsPublished}}</td></tr>
<tr><td>of which false positives (matching no event)</td><td>{{.FalsePosS}}</td><td>– (ground truth)</td></tr>
<tr><td>duplicates published</td><td>{{.R.Metrics.DuplicatesPublished}}</td><td>{{.R.Baseline.DuplicatesPublished}}</td></tr>
<tr><td>lost items</td><td>{{.R.Metrics.LostItems}}</td><td>{{.R.Baseline.LostItems}}</td></tr>
<tr><td>critical latency p50 (s)</td><td>{{printf "%.1f" .R.Metrics.CriticalLatencyP50S}}</td><td>{{printf "%.1f" .R.Baseline.CriticalLatencyP50S}}</td></tr>
<tr><td>critical latency p99 (s)</td><td>{{printf "%.1f" .R.Metrics.CriticalLatencyP99S}}</td><td>{{printf "%.1f" .R.Baseline.CriticalLatencyP99S}}</td></tr>
<tr><td>bound p99: next pass + own transmission (s)</td><td>{{printf "%.1f" .R.Metrics.CriticalLatencyBoundP99S}}</td><td>{{printf "%.1f" .R.Baseline.CriticalLatencyBoundP99S}}</td></tr>
<tr><td>goodput ratio (passes whose queue exceeded them)</td><td>{{.GoodputS}}</td><td>{{.GoodputB}}</td></tr>
</table>
{{if .GoodputNote}}<p class="note">{{.GoodputNote}}.</p>{{end}}
<p class="note">The baseline's detections are the ground truth of the scenes it brought down, so it has no false positives.</p>

<h2>Critical detections: time from capture to responder</h2>
{{.CDF}}
<p class="note">Cumulative distribution of latency for critical detections (fire and flood). The dashed line is the p99 of the bound: the next pass after capture plus the detection's own transmission time, as if nothing else were queued.</p>

<h2>What waits on board</h2>
{{.Queue}}
<p class="note">Bytes waiting for downlink. The baseline keeps every raw scene until a pass carries it down, first in first out; Skysieve keeps only its detections and evidence chips.</p>
{{.Depth}}
<p class="note">Queue depth: items waiting on board (Skysieve: detections, queued or awaiting the ground's acknowledgement; baseline: raw scenes).</p>

<h2>Passes</h2>
{{.Timeline}}

<h2>Events and detections</h2>
{{.Map}}
<p class="note">Filled circles: ground-truth events visible in at least one scene; hollow: hidden by cloud in every scene; a black ring marks a visible event no detection reached. Crosses are published detections. Grey dots are scene centres along the ground tracks.</p>

<h2>Terminal summary</h2>
<pre>{{.Summary}}</pre>
</body></html>
`))
