package sim

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skysieve/skysieve/sim/report"
	"github.com/skysieve/skysieve/sim/scenario"
)

func loadDefault(t *testing.T, d time.Duration) *scenario.Scenario {
	t.Helper()
	scn, err := scenario.Load(filepath.Join("..", "testdata", "sim", "default.yaml"), "..")
	if err != nil {
		t.Fatal(err)
	}
	scn.Duration = d
	return scn
}

// TestRunShort runs three simulated hours of the default scenario end to
// end: real triage on ONNX Runtime, real flight and ground services, the
// lossy UDP channel, embedded NATS. Whatever the model finds, every
// detection flight stored must be published exactly once or still be on
// board: nothing lost, nothing published twice.
func TestRunShort(t *testing.T) {
	scn := loadDefault(t, 3*time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	rep, err := Run(ctx, scn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Metrics
	t.Logf("scenes %d, passes %d, published %d, recall %.3f, data reduction %.4f, critical p99 %.0f s (bound %.0f s), wall %.1f s",
		rep.Scenes, rep.Passes, m.DetectionsPublished, m.EventRecall, m.DataReduction, m.CriticalLatencyP99S, m.CriticalLatencyBoundP99S, rep.WallS)
	if m.DuplicatesPublished != 0 {
		t.Errorf("%d detections published twice", m.DuplicatesPublished)
	}
	if m.LostItems != 0 {
		t.Errorf("%d detections lost (counters %v)", m.LostItems, rep.Counters)
	}
	if rep.Scenes == 0 || rep.Passes == 0 || m.DetectionsPublished == 0 {
		t.Fatalf("nothing happened: %d scenes, %d passes, %d published", rep.Scenes, rep.Passes, m.DetectionsPublished)
	}
	if got := rep.Counters["flight_detections_stored"]; got != int64(m.DetectionsPublished+m.QueuedAtEnd)+rep.Counters["ground_outbox_at_end"] {
		t.Errorf("stored %d ≠ published %d + on board %d + in ground outbox %d", got, m.DetectionsPublished, m.QueuedAtEnd, rep.Counters["ground_outbox_at_end"])
	}
	if rep.Counters["channel_lost"] == 0 || rep.Counters["channel_corrupted"] == 0 {
		t.Errorf("the channel lost %d and corrupted %d frames: the lossy path was not exercised", rep.Counters["channel_lost"], rep.Counters["channel_corrupted"])
	}
	if m.EventsVisible == 0 || m.EventsDetected == 0 {
		t.Errorf("recall over %d visible events: %d detected", m.EventsVisible, m.EventsDetected)
	}
	if rep.Baseline.DataReduction != 0 || rep.Baseline.DownlinkedBytes == 0 {
		t.Errorf("baseline: reduction %v, downlinked %d", rep.Baseline.DataReduction, rep.Baseline.DownlinkedBytes)
	}
}

// TestBenchJSON runs a six-hour slice of the default scenario and writes
// its figures to SKYSIEVE_BENCH_DIR/sim.json (make bench).
func TestBenchJSON(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
	scn := loadDefault(t, 6*time.Hour)
	rep, err := Run(context.Background(), scn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sim.json")
	if err := rep.WriteJSON(path); err != nil {
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
	m["simulated_s"] = scn.Duration.Seconds()
	m["wall_per_simulated_day_s"] = rep.WallS * 86400 / scn.Duration.Seconds()
	delete(m, "counters")
	// The default slice has no saturated pass: goodput comes from the
	// stress scenario built for it.
	sat, err := scenario.Load(filepath.Join("..", "testdata", "sim", "saturated.yaml"), "..")
	if err != nil {
		t.Fatal(err)
	}
	srep, err := Run(context.Background(), sat, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m["saturated_goodput_ratio"] = srep.Metrics.GoodputRatio
	m["saturated_passes"] = srep.Metrics.SaturatedPasses
	m["saturated_duplicates_published"] = srep.Metrics.DuplicatesPublished
	m["saturated_lost_items"] = srep.Metrics.LostItems
	out, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRunSameSeedSameCounts: two runs of the same seed see the same world
// and publish the same detections (latencies may differ by a clock step:
// see the package doc).
func TestRunSameSeedSameCounts(t *testing.T) {
	var got [2]*report.Report
	for i := range got {
		scn := loadDefault(t, 90*time.Minute)
		rep, err := Run(context.Background(), scn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got[i] = rep
	}
	a, b := got[0], got[1]
	if a.Scenes != b.Scenes || a.Events != b.Events || a.Passes != b.Passes ||
		a.Metrics.DetectionsPublished != b.Metrics.DetectionsPublished ||
		a.Metrics.EventsVisible != b.Metrics.EventsVisible || a.Metrics.EventsDetected != b.Metrics.EventsDetected ||
		a.Counters["flight_detections_stored"] != b.Counters["flight_detections_stored"] ||
		a.Baseline.DetectionsPublished != b.Baseline.DetectionsPublished {
		t.Fatalf("same seed, different counts:\n%+v\n%+v", a.Metrics, b.Metrics)
	}
	if a.Metrics.DetectionsPublished == 0 {
		t.Fatal("nothing published in 90 minutes: nothing compared")
	}
}
