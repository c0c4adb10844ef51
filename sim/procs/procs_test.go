package procs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/skysieve/skysieve/triage"
)

// binaries builds bin/flight and bin/ground once per test binary run.
var binaries struct {
	once           sync.Once
	dir            string
	flight, ground string
	err            error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
	os.Exit(code)
}

// buildBinaries returns the paths of freshly built flight and ground
// binaries, skipping when ONNX Runtime or the model is not provisioned.
func buildBinaries(t *testing.T) (flight, ground string) {
	t.Helper()
	if _, err := os.Stat(triage.DefaultRuntimePath()); err != nil {
		t.Skipf("ONNX Runtime library not provisioned (make ort): %v", err)
	}
	if _, err := os.Stat(triage.DefaultModelPath()); err != nil {
		t.Skipf("triage model missing: %v", err)
	}
	binaries.once.Do(func() {
		binaries.dir, binaries.err = os.MkdirTemp("", "skysieve-procs-bin-")
		if binaries.err != nil {
			return
		}
		binaries.flight = filepath.Join(binaries.dir, "flight")
		binaries.ground = filepath.Join(binaries.dir, "ground")
		for out, pkg := range map[string]string{
			binaries.flight: "github.com/skysieve/skysieve/flight/cmd/flight",
			binaries.ground: "github.com/skysieve/skysieve/ground/cmd/ground",
		} {
			b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput()
			if err != nil {
				binaries.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
				return
			}
		}
	})
	if binaries.err != nil {
		t.Fatal(binaries.err)
	}
	return binaries.flight, binaries.ground
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("test", t.Name())
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// checkExactlyOnce asserts the processes-mode guarantees on a result:
// something was stored, every stored detection is on the stream exactly
// once, nothing else is, and the responder saw each once.
func checkExactlyOnce(t *testing.T, res *Result) {
	t.Helper()
	t.Logf("scenes %d, stored %d (acked %d, held %d, other %v), published %d, messages %d, duplicates %d, lost %d, unexpected %d; rate %.0f bit/s; relay %+v",
		res.Scenes, res.Stored, res.Acknowledged, res.HeldAtEnd, res.ReleasedOther, res.Published, res.Messages, res.Duplicates,
		len(res.Lost), len(res.Unexpected), res.RateBitsPerSec, res.Relay)
	t.Logf("wall %s, ground start %s, flight start %s, intake %s, latency p50 %s p99 %s max %s, settle %s, kills %+v",
		res.Wall.Round(time.Millisecond), res.GroundStart.Round(time.Millisecond), res.FlightStart.Round(time.Millisecond),
		res.Intake.Round(time.Millisecond), res.LatencyP50.Round(time.Millisecond), res.LatencyP99.Round(time.Millisecond),
		res.LatencyMax.Round(time.Millisecond), res.SettleAfterLOS.Round(time.Millisecond), res.Kills)
	if res.Stored == 0 {
		t.Fatal("flight stored no detection; the scenes must hold actionable content")
	}
	if res.ScenesQuarantined != 0 {
		t.Errorf("%d scenes quarantined", res.ScenesQuarantined)
	}
	if res.Duplicates != 0 || len(res.DuplicateIDs) != 0 {
		t.Errorf("%d duplicate messages on the DETECTIONS stream: %v", res.Duplicates, res.DuplicateIDs)
	}
	if len(res.Lost) != 0 {
		t.Errorf("%d of %d stored detections never published: %v", len(res.Lost), res.Stored, res.Lost)
	}
	if len(res.Unexpected) != 0 {
		t.Errorf("%d published detections flight never stored: %v", len(res.Unexpected), res.Unexpected)
	}
	if res.Published != res.Stored || res.Messages != res.Stored {
		t.Errorf("published %d in %d messages, stored %d", res.Published, res.Messages, res.Stored)
	}
	if res.ConsumerDuplicates != 0 {
		t.Errorf("the responder read %d duplicates", res.ConsumerDuplicates)
	}
	if res.ConsumerSeen != res.Published {
		t.Errorf("the responder read %d detections, the stream holds %d", res.ConsumerSeen, res.Published)
	}
	if len(res.ReleasedOther) != 0 {
		t.Errorf("flight released detections other than by acknowledgement: %v", res.ReleasedOther)
	}
	if res.Relay.Delivered == 0 || res.Relay.ReportsUp == 0 {
		t.Errorf("the relay carried %d frames down and %d reports up", res.Relay.Delivered, res.Relay.ReportsUp)
	}
}

// TestProcessesEndToEnd is issue 9's processes-mode test: the real
// binaries, a batch of scenes with fires and vessels, four 8-second windows
// of real time, flight killed with SIGKILL during the first and ground
// during the second, each restarted on its data dir. Every detection
// flight stored must be on the DETECTIONS stream exactly once.
func TestProcessesEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binaries and runs for about a minute")
	}
	t.Parallel()
	flight, ground := buildBinaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	res, err := Run(ctx, Options{
		FlightBin: flight, GroundBin: ground, Dir: t.TempDir(),
		Kills:  []Kill{{Target: Flight, Contact: 0, After: 3 * time.Second}, {Target: Ground, Contact: 1, After: 3 * time.Second}},
		Logger: testLogger(t),
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkExactlyOnce(t, res)
	if len(res.Kills) != 2 {
		t.Fatalf("%d kills done, want 2", len(res.Kills))
	}
	for _, k := range res.Kills {
		w := res.Windows[k.Contact]
		if k.At.Before(w.AOS) || !k.At.Before(w.LOS) {
			t.Errorf("%s killed at %s, outside its window %s..%s", k.Target, k.At, w.AOS, w.LOS)
		}
		// The queue is sized to need more than one window: each kill
		// strikes while detections are still on their way.
		if k.FramesBefore == 0 || k.PublishedBefore >= res.Stored {
			t.Errorf("%s killed after %d frames with %d of %d detections published: not mid-downlink", k.Target, k.FramesBefore, k.PublishedBefore, res.Stored)
		}
	}
}

// TestProcessesCrash kills flight and ground, in turn, at random moments
// of every window but the last. Normally four scenes, four windows and six
// kills; SKYSIEVE_SOAK=1 runs sixteen scenes and sixteen windows with three
// kills in each of the first fifteen.
func TestProcessesCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binaries and runs for about a minute")
	}
	t.Parallel()
	flight, ground := buildBinaries(t)
	windows, perWindow, scenes := 4, 2, 4
	if os.Getenv("SKYSIEVE_SOAK") == "1" {
		windows, perWindow, scenes = 16, 3, 16
	}
	const dur = 8 * time.Second
	rng := rand.New(rand.NewPCG(7, 7))
	var kills []Kill
	for w := range windows - 1 { // the last window delivers what is left
		for i := range perWindow {
			target := Flight
			if (w+i)%2 == 1 {
				target = Ground
			}
			kills = append(kills, Kill{Target: target, Contact: w, After: time.Duration(rng.Int64N(int64(dur - time.Second)))})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(windows)*time.Minute+2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Options{
		FlightBin: flight, GroundBin: ground, Dir: t.TempDir(), Seed: 2, SceneCount: scenes,
		Contacts: windows, ContactDuration: dur, QueueContacts: float64(windows) / 2.5,
		Kills: kills, Logger: testLogger(t),
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkExactlyOnce(t, res)
	if len(res.Kills) != len(kills) {
		t.Fatalf("%d kills done, want %d", len(res.Kills), len(kills))
	}
	midDownlink := map[Target]int{}
	for _, k := range res.Kills {
		if k.FramesBefore > 0 && k.PublishedBefore < res.Stored {
			midDownlink[k.Target]++
		}
	}
	if midDownlink[Flight] == 0 || midDownlink[Ground] == 0 {
		t.Errorf("kills that struck mid-downlink, by target: %v; want both", midDownlink)
	}
}
