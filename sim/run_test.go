package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

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
// lossy channel, embedded NATS. Whatever the model finds, every detection
// flight stored must be published exactly once or still be on board:
// nothing lost, nothing published twice. The run is deterministic, so the
// seed's channel losses are the same every time.
func TestRunShort(t *testing.T) {
	scn := loadDefault(t, 3*time.Hour)
	rep, err := Run(context.Background(), scn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Metrics
	t.Logf("scenes %d, passes %d, published %d, recall %.3f, data reduction %.4f, critical p99 %.0f s (bound %.0f s), wall %.1f s",
		rep.Scenes, rep.Passes, m.DetectionsPublished, m.EventRecall, m.DataReduction, m.CriticalLatencyP99S, m.CriticalLatencyBoundP99S, rep.Wall.S)
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
	m["wall_per_simulated_day_s"] = rep.Wall.S * 86400 / scn.Duration.Seconds()
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

// TestRunReproducible runs 90 simulated minutes of the default scenario
// twice, the second time with a child process spinning on every core, and
// wants the same report.json byte for byte apart from its wall-clock part:
// the in-process simulation is a discrete-event simulation, so neither the
// machine's load nor how goroutines are scheduled reaches the figures.
func TestRunReproducible(t *testing.T) {
	figures := func() []byte {
		rep, err := Run(context.Background(), loadDefault(t, 90*time.Minute), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Metrics.DetectionsPublished == 0 || rep.Counters["channel_lost"] == 0 || rep.Counters["flight_reports"] == 0 {
			t.Fatalf("too little happened to compare: %d published, %d frames lost, %d reports", rep.Metrics.DetectionsPublished, rep.Counters["channel_lost"], rep.Counters["flight_reports"])
		}
		b, err := rep.FiguresJSON()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("wall %.1f s", rep.Wall.S)
		return b
	}
	calm := figures()
	stop := spinCores(t)
	loaded := figures()
	stop()
	if !bytes.Equal(calm, loaded) {
		a, b := strings.Split(string(calm), "\n"), strings.Split(string(loaded), "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Errorf("report line %d:\n  calm:   %s\n  loaded: %s", i+1, a[i], b[i])
			}
		}
		t.Fatalf("the same seed gave different reports (%d and %d bytes)", len(calm), len(loaded))
	}
}

// spinEnv makes the test binary a CPU burner (see TestMain).
const spinEnv = "SKYSIEVE_SIM_SPIN"

// TestMain lets spinCores start this test binary as a child that keeps
// every core busy until killed.
func TestMain(m *testing.M) {
	if os.Getenv(spinEnv) == "1" {
		for range runtime.NumCPU() - 1 {
			go spin()
		}
		spin()
	}
	os.Exit(m.Run())
}

func spin() {
	x := uint64(1)
	for {
		x = x*6364136223846793005 + 1442695040888963407
	}
}

// spinCores starts a child process spinning on every core and returns
// what stops it. A child, not goroutines here: the driver watches this
// process's goroutines to tell when the services are at rest.
func spinCores(t *testing.T) (stop func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), spinEnv+"=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("spinning on %d cores in process %d", runtime.NumCPU(), cmd.Process.Pid)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(stop)
	return stop
}
