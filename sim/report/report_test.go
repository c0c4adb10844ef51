package report

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skysieve/skysieve/sim/world"
)

func TestPercentile(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		p    float64
		want float64
	}{
		{[]float64{5}, 99, 5},
		{[]float64{1, 2, 3, 4, 5}, 50, 3},
		{[]float64{5, 4, 3, 2, 1}, 0, 1},
		{[]float64{1, 2, 3, 4, 5}, 100, 5},
		{[]float64{0, 10}, 99, 9.9},
	} {
		if got := Percentile(tc.xs, tc.p); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tc.xs, tc.p, got, tc.want)
		}
	}
	if !math.IsNaN(Percentile(nil, 50)) {
		t.Error("Percentile of nothing is not NaN")
	}
}

// sampleReport is a plausible day for rendering tests.
func sampleReport() *Report {
	start := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	r := &Report{
		Metrics: Metrics{DataReduction: 0.995, EventRecall: 0.97, DetectionsPublished: 120, CriticalLatencyP50S: 2400,
			CriticalLatencyP99S: 5100, CriticalLatencyBoundP99S: 4900, GoodputRatio: math.NaN(), EventsVisible: 40, EventsDetected: 39,
			RawBytes: 3e9, DownlinkedBytes: 1.5e7, FalsePositives: 9},
		Baseline: Metrics{EventRecall: 0.6, CriticalLatencyP50S: 30000, CriticalLatencyP99S: 80000, GoodputRatio: 0.99, SaturatedPasses: 12,
			RawBytes: 3e9, DownlinkedBytes: 1.2e9},
		Wall:     Wall{S: 61.5, CaptureS: 20, SettleS: 40, SettlePolls: 1000},
		Scenario: "test <day>", Seed: 3, Start: start, DurationS: 86400, Satellites: []string{"SAT-A", "SAT-B"}, Stations: []string{"Svalbard", "Troll"},
		Counters: map[string]int64{"frames": 10},
	}
	for i := range 48 {
		at := start.Add(time.Duration(i) * 30 * time.Minute)
		r.Plot.Queue = append(r.Plot.Queue, QueuePoint{At: at, Items: i % 7, QueueBytes: int64(i%7) * 20000, StorageBytes: 1 << 20})
		r.Plot.BaselineQueue = append(r.Plot.BaselineQueue, QueuePoint{At: at, Items: i, QueueBytes: int64(i) * 5e7})
	}
	for i := range 20 {
		aos := start.Add(time.Duration(i) * 70 * time.Minute)
		r.Plot.Passes = append(r.Plot.Passes, PassBar{Satellite: []string{"SAT-A", "SAT-B"}[i%2], Station: []string{"Svalbard", "Troll"}[i%3%2], AOS: aos, LOS: aos.Add(10 * time.Minute), MaxElevationDeg: 10 + float64(i*4)})
	}
	for range 100 {
		r.Plot.Latencies = append(r.Plot.Latencies, 60+rng.Float64()*5000)
		r.Plot.BaseLatencies = append(r.Plot.BaseLatencies, 3000+rng.Float64()*80000)
	}
	r.Plot.Events = []MapEvent{{ID: "fire-000", Class: "fire", LatDeg: -15, LonDeg: 130, Visible: true, Detected: true},
		{ID: "vessel-001", Class: "vessel", LatDeg: 50, LonDeg: -5, Visible: true}, {ID: "flood-002", Class: "flood", LatDeg: 25, LonDeg: 90}}
	r.Plot.Detections = []MapDetection{{Class: "fire", LatDeg: -15, LonDeg: 130, Matched: true}, {Class: "vessel", LatDeg: 0, LonDeg: 0}}
	r.Plot.StationsAt = []MapStation{{Name: "Svalbard", LatDeg: 78.2, LonDeg: 15.4}, {Name: "Troll", LatDeg: -72, LonDeg: 2.5}}
	r.Plot.Captures = []MapPoint{{LatDeg: 10, LonDeg: 10}}
	r.Plot.Land = world.LandOutlines()
	r.LatencyToBound, r.BaselineSpeedup = 5100.0/4900, 80000.0/5100
	return r
}

func TestWriteJSONKeys(t *testing.T) {
	r := sampleReport()
	path := filepath.Join(t.TempDir(), "r.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := []string{"data_reduction", "event_recall", "detections_published", "duplicates_published", "lost_items",
		"critical_latency_p50_s", "critical_latency_p99_s", "critical_latency_bound_p99_s", "goodput_ratio"}
	base, ok := m["baseline"].(map[string]any)
	if !ok {
		t.Fatal("no baseline object")
	}
	for _, k := range keys {
		if _, ok := m[k].(float64); !ok {
			t.Errorf("key %s missing or not a number", k)
		}
		if _, ok := base[k].(float64); !ok {
			t.Errorf("baseline key %s missing or not a number", k)
		}
	}
	if m["goodput_ratio"].(float64) != 0 {
		t.Error("NaN goodput not written as 0")
	}
	if w, ok := m["wall"].(map[string]any); !ok || w["s"].(float64) != 61.5 {
		t.Errorf("wall = %v, want its own object with s 61.5", m["wall"])
	}
	fig, err := r.FiguresJSON()
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(fig, &f); err != nil {
		t.Fatal(err)
	}
	if w := f["wall"].(map[string]any); w["s"].(float64) != 0 || w["settle_polls"].(float64) != 0 {
		t.Errorf("FiguresJSON keeps wall time: %v", w)
	}
	if f["detections_published"].(float64) != 120 || r.Wall.S != 61.5 {
		t.Error("FiguresJSON lost a figure or changed the report")
	}
}

func TestWriteHTML(t *testing.T) {
	r := sampleReport()
	dir := t.TempDir()
	path, err := r.WriteHTML(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if dir := os.Getenv("SKYSIEVE_REPORT_SAMPLE"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "index.html"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(s, "<svg"); n != 5 {
		t.Fatalf("%d SVG plots, want 5", n)
	}
	for _, want := range []string{"test &lt;day&gt;", "Svalbard", "fire-000", "baseline raw queue", "bound p99",
		"9 (7.50%)", "no saturated pass", "no Skysieve pass was saturated", "0.990 (12 passes)"} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Each detection's cross is drawn on a white halo, so a matched one
	// stays visible on its event's circle of the same colour.
	if n, want := strings.Count(s, `class="det"`), 2*len(r.Plot.Detections); n != want {
		t.Errorf("%d detection strokes on the map, want %d (halo and cross each)", n, want)
	}
	if !strings.Contains(s, `stroke="#fff" stroke-width="3.2"`) {
		t.Error("detections drawn without their halo")
	}
	if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
		t.Error("page holds NaN or Inf coordinates")
	}
	if strings.Contains(s, "http://") && strings.Count(s, "http://") != strings.Count(s, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("page refers to outside resources")
	}
}

func TestSummaryAndProgress(t *testing.T) {
	r := sampleReport()
	var b strings.Builder
	r.WriteSummary(&b)
	for _, want := range []string{"Skysieve", "baseline", "99.50%", "critical latency p99", "1h25m0s",
		"false positives", "9 (7.50%)", "no saturated pass", "no Skysieve pass was saturated", "0.990 (12 passes)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	var pb strings.Builder
	p := NewProgress(&pb, false, r.Start, 24*time.Hour)
	for h := range 3 {
		p.Update(Status{Now: r.Start.Add(time.Duration(h)*time.Hour + time.Minute), Scenes: h})
		p.Update(Status{Now: r.Start.Add(time.Duration(h)*time.Hour + 2*time.Minute), Scenes: h})
	}
	if n := strings.Count(pb.String(), "\n"); n != 3 {
		t.Fatalf("plain progress printed %d lines for 3 hours:\n%s", n, pb.String())
	}
}
