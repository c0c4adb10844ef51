package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// WriteSummary prints the side-by-side summary.
func (r *Report) WriteSummary(w io.Writer) {
	r.sanitize()
	fmt.Fprintf(w, "\nSkysieve simulation %q, seed %d: %s from %s, %d satellite(s), %d station(s), %d passes, %d scenes, %d events; %.1f s wall\n\n",
		r.Scenario, r.Seed, time.Duration(r.DurationS*float64(time.Second)), r.Start.Format(time.RFC3339),
		len(r.Satellites), len(r.Stations), r.Passes, r.Scenes, r.Events, r.Wall.S)
	s, b := r.Metrics, r.Baseline
	row := func(name, a, c string) { fmt.Fprintf(w, "  %-32s %18s %18s\n", name, a, c) }
	row("", "Skysieve", "baseline")
	row("", "--------", "--------")
	row("data reduction", pct(s.DataReduction), pct(b.DataReduction))
	row("raw captured / sent down", bytesStr(s.RawBytes)+" / "+bytesStr(s.DownlinkedBytes), bytesStr(b.RawBytes)+" / "+bytesStr(b.DownlinkedBytes))
	row("event recall (visible events)", fmt.Sprintf("%s (%d/%d)", pct(s.EventRecall), s.EventsDetected, s.EventsVisible), fmt.Sprintf("%s (%d/%d)", pct(b.EventRecall), b.EventsDetected, b.EventsVisible))
	row("detections published", fmt.Sprint(s.DetectionsPublished), fmt.Sprint(b.DetectionsPublished))
	row("  false positives (no event)", falsePositives(s), "- (truth)")
	row("duplicates published", fmt.Sprint(s.DuplicatesPublished), fmt.Sprint(b.DuplicatesPublished))
	row("lost items", fmt.Sprint(s.LostItems), fmt.Sprint(b.LostItems))
	row("still on board at end", fmt.Sprint(s.QueuedAtEnd), fmt.Sprint(b.QueuedAtEnd))
	row("critical latency p50", dur(s.CriticalLatencyP50S), dur(b.CriticalLatencyP50S))
	row("critical latency p99", dur(s.CriticalLatencyP99S), dur(b.CriticalLatencyP99S))
	row("  bound p99 (next pass + own tx)", dur(s.CriticalLatencyBoundP99S), dur(b.CriticalLatencyBoundP99S))
	row("goodput ratio (saturated passes)", goodput(s), goodput(b))
	fmt.Fprintf(w, "\n  critical p99 / bound: %.2f (target ≤ 1.10); baseline p99 / Skysieve p99: %.1f× (target ≥ 5)\n", r.LatencyToBound, r.BaselineSpeedup)
	if note := r.goodputNote(); note != "" {
		fmt.Fprintf(w, "  %s\n", note)
	}
	fmt.Fprintf(w, "  baseline detections are the ground truth of the scenes it brought down, so it has no false positives\n")
}

// goodput shows the ratio over saturated passes and how many there were,
// or that none was saturated (see goodputNote).
func goodput(m Metrics) string {
	if m.SaturatedPasses == 0 {
		return "no saturated pass"
	}
	return fmt.Sprintf("%.3f (%d passes)", m.GoodputRatio, m.SaturatedPasses)
}

// goodputNote explains a goodput row with no saturated pass on one side:
// the ratio is measured only where a pass had more queued than it could
// carry, and a side whose queue always fit has nothing to measure, which
// is not a worse figure.
func (r *Report) goodputNote() string {
	s, b := r.Metrics.SaturatedPasses, r.Baseline.SaturatedPasses
	switch {
	case s == 0 && b > 0:
		return fmt.Sprintf("goodput: no Skysieve pass was saturated (its queue always fit in the pass), while the baseline saturated %d; "+
			"goodput under saturation is measured by testdata/sim/saturated.yaml", b)
	case s == 0 && b == 0:
		return "goodput: no pass was saturated on either side (every queue fit in its pass)"
	case b == 0:
		return "goodput: no baseline pass was saturated"
	}
	return ""
}

// falsePositives shows the published detections that match no event, and
// their share.
func falsePositives(m Metrics) string {
	if m.DetectionsPublished == 0 {
		return fmt.Sprint(m.FalsePositives)
	}
	return fmt.Sprintf("%d (%s)", m.FalsePositives, pct(float64(m.FalsePositives)/float64(m.DetectionsPublished)))
}

func pct(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }

func dur(s float64) string {
	if s <= 0 {
		return "-"
	}
	d := time.Duration(s * float64(time.Second))
	if d >= time.Minute {
		d = d.Round(time.Second)
	} else {
		d = d.Round(time.Millisecond)
	}
	return d.String()
}

func bytesStr(n int64) string {
	f := float64(n)
	for _, u := range []string{"B", "kB", "MB", "GB", "TB"} {
		if f < 1000 || u == "TB" {
			if u == "B" {
				return fmt.Sprintf("%d B", n)
			}
			return fmt.Sprintf("%.1f %s", f, u)
		}
		f /= 1000
	}
	return ""
}

// Progress is the live status line. Update is cheap to call often; it
// redraws at most every 200 ms of wall time. On a non-terminal it prints a
// plain line every simulated hour instead.
type Progress struct {
	w        io.Writer
	terminal bool
	start    time.Time
	total    time.Duration

	mu       sync.Mutex
	lastDraw time.Time
	lastHour int
}

// Status is what the progress line shows.
type Status struct {
	Now        time.Time
	Scenes     int
	Detections int
	Published  int
	Queue      int
	InPass     string
}

// NewProgress returns a progress line for a run of total simulated time
// from start.
func NewProgress(w io.Writer, terminal bool, start time.Time, total time.Duration) *Progress {
	return &Progress{w: w, terminal: terminal, start: start, total: total, lastHour: -1}
}

// Update redraws the line if it is due.
func (p *Progress) Update(s Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	el := s.Now.Sub(p.start)
	if !p.terminal {
		if h := int(el / time.Hour); h != p.lastHour {
			p.lastHour = h
			fmt.Fprintf(p.w, "sim %s  scenes %d  detections %d  published %d  queue %d\n",
				clockStr(el), s.Scenes, s.Detections, s.Published, s.Queue)
		}
		return
	}
	if time.Since(p.lastDraw) < 200*time.Millisecond {
		return
	}
	p.lastDraw = time.Now()
	frac := float64(el) / float64(p.total)
	frac = max(0, min(1, frac))
	const width = 30
	n := int(frac * width)
	bar := strings.Repeat("█", n) + strings.Repeat("░", width-n)
	pass := s.InPass
	if pass == "" {
		pass = "-"
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s %s/%s  scenes %d  detections %d  published %d  queue %d  pass %s",
		bar, clockStr(el), clockStr(p.total), s.Scenes, s.Detections, s.Published, s.Queue, pass)
}

// Done ends the line.
func (p *Progress) Done() {
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}

func clockStr(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}
