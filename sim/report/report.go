package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"time"
)

// Metrics are the figures one approach achieved. The JSON names are the
// ones issue 9 specifies.
type Metrics struct {
	// DataReduction is 1 − bytes sent down ÷ raw bytes captured.
	DataReduction float64 `json:"data_reduction"`
	// EventRecall is the fraction of visible events (clear of cloud in at
	// least one scene) that reached responders by the end.
	EventRecall         float64 `json:"event_recall"`
	DetectionsPublished int     `json:"detections_published"`
	DuplicatesPublished int     `json:"duplicates_published"`
	// LostItems counts items accepted on board that neither reached the
	// ground nor remain queued.
	LostItems int `json:"lost_items"`
	// Critical latencies: capture to responder, seconds.
	CriticalLatencyP50S float64 `json:"critical_latency_p50_s"`
	CriticalLatencyP99S float64 `json:"critical_latency_p99_s"`
	// CriticalLatencyBoundP99S is the p99 over the same detections of the
	// next pass after capture plus their own transmission time.
	CriticalLatencyBoundP99S float64 `json:"critical_latency_bound_p99_s"`
	// GoodputRatio is useful bytes delivered ÷ bytes the contacts could
	// carry after loss, over the contacts whose queue held more than they
	// could carry (SaturatedPasses); 0 when none did.
	GoodputRatio float64 `json:"goodput_ratio"`

	EventsVisible       int     `json:"events_visible"`
	EventsDetected      int     `json:"events_detected"`
	CriticalCount       int     `json:"critical_detections"`
	FalsePositives      int     `json:"false_positives"`
	RawBytes            int64   `json:"raw_bytes"`
	DownlinkedBytes     int64   `json:"downlinked_bytes"`
	QueuedAtEnd         int     `json:"queued_at_end"`
	SaturatedPasses     int     `json:"saturated_passes"`
	GoodputAllPasses    float64 `json:"goodput_ratio_all_passes"`
	CriticalLatencyMaxS float64 `json:"critical_latency_max_s"`
	// Saturated lists the passes GoodputRatio is made of.
	Saturated []SaturatedPass `json:"saturated_pass_detail,omitempty"`
}

// SaturatedPass is one pass whose queue held more than it could carry.
type SaturatedPass struct {
	Station string    `json:"station"`
	AOS     time.Time `json:"aos"`
	// QueueBytes is what was queued on board at its start.
	QueueBytes int64 `json:"queue_bytes"`
	// CapacityBytes is what it could carry after LossRate, the share of
	// its frames on air the ground did not get intact.
	CapacityBytes float64 `json:"capacity_bytes"`
	LossRate      float64 `json:"loss_rate"`
	UsefulBytes   float64 `json:"useful_bytes"`
}

// Report is one run, Skysieve and baseline.
type Report struct {
	Metrics
	Baseline Metrics `json:"baseline"`

	Scenario   string    `json:"scenario"`
	Seed       int64     `json:"seed"`
	Start      time.Time `json:"start"`
	DurationS  float64   `json:"duration_s"`
	Satellites []string  `json:"satellites"`
	Stations   []string  `json:"stations"`
	Scenes     int       `json:"scenes"`
	Passes     int       `json:"passes"`
	Events     int       `json:"events"`
	// Channel and service counters, by name.
	Counters map[string]int64 `json:"counters"`

	// Ratios against the targets, for a quick read.
	LatencyToBound  float64 `json:"critical_p99_to_bound"`
	BaselineSpeedup float64 `json:"critical_p99_speedup_vs_baseline"`
	Plot            Plot    `json:"-"`

	// Wall is where the machine's time went: the only part of a report
	// that differs between runs of the same scenario and seed.
	Wall Wall `json:"wall"`
}

// Wall is the wall-clock cost of a run.
type Wall struct {
	// S is the whole run, seconds.
	S float64 `json:"s"`
	// CaptureS went into rendering and triaging the captures, SettleS
	// into the services' work between clock steps and waiting for them
	// to rest; SettlePolls is how often the driver looked.
	CaptureS    float64 `json:"capture_s"`
	SettleS     float64 `json:"settle_s"`
	SettlePolls int64   `json:"settle_polls"`
}

// Plot is what the HTML page draws.
type Plot struct {
	Queue         []QueuePoint
	BaselineQueue []QueuePoint
	Passes        []PassBar
	Latencies     []float64 // Skysieve critical latencies, seconds
	BaseLatencies []float64 // baseline critical latencies, seconds
	Events        []MapEvent
	Detections    []MapDetection
	Captures      []MapPoint
	StationsAt    []MapStation
	Land          [][][2]float64
}

// QueuePoint is the on-board queue at one time.
type QueuePoint struct {
	At           time.Time
	Items        int
	QueueBytes   int64
	StorageBytes int64
}

// PassBar is one pass on the timeline.
type PassBar struct {
	Satellite, Station string
	AOS, LOS           time.Time
	MaxElevationDeg    float64
}

// MapEvent is a ground-truth event on the map.
type MapEvent struct {
	ID, Class         string
	LatDeg, LonDeg    float64
	Visible, Detected bool
}

// MapDetection is a published detection on the map.
type MapDetection struct {
	Class          string
	LatDeg, LonDeg float64
	Matched        bool
}

// MapPoint is a capture centre.
type MapPoint struct{ LatDeg, LonDeg float64 }

// MapStation is a ground station.
type MapStation struct {
	Name           string
	LatDeg, LonDeg float64
}

// Percentile returns the p-th percentile (0..100) of xs by linear
// interpolation between order statistics; NaN for no data.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 1 {
		return s[0]
	}
	r := p / 100 * float64(len(s)-1)
	i := int(math.Floor(r))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (s[i+1]-s[i])*(r-float64(i))
}

// finite replaces NaN and infinities by 0 so the JSON stays valid.
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

func (m *Metrics) sanitize() {
	for _, p := range []*float64{&m.DataReduction, &m.EventRecall, &m.CriticalLatencyP50S, &m.CriticalLatencyP99S,
		&m.CriticalLatencyBoundP99S, &m.GoodputRatio, &m.GoodputAllPasses, &m.CriticalLatencyMaxS} {
		*p = finite(*p)
	}
}

// sanitize replaces figures that could not be computed (no data) by 0.
func (r *Report) sanitize() {
	r.Metrics.sanitize()
	r.Baseline.sanitize()
	r.LatencyToBound, r.BaselineSpeedup = finite(r.LatencyToBound), finite(r.BaselineSpeedup)
}

// JSON returns the report as WriteJSON writes it.
func (r *Report) JSON() ([]byte, error) {
	r.sanitize()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: encode: %w", err)
	}
	return append(b, '\n'), nil
}

// FiguresJSON is JSON without the wall-clock part (Wall zero): what the
// same scenario and seed reproduce byte for byte in the in-process mode.
func (r *Report) FiguresJSON() ([]byte, error) {
	c := *r
	c.Wall = Wall{}
	return c.JSON()
}

// WriteJSON writes the report to path (indented; figures without data are 0).
func (r *Report) WriteJSON(path string) error {
	b, err := r.JSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	return nil
}
