package sim

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/skysieve/skysieve/triage"
)

// TestProcessesCrash runs the real bin/flight and bin/ground binaries as
// processes on the wall clock, this test acting as the lossy radio channel
// between them, and SIGKILLs flight during one pass and ground during
// another. Every detection the model finds must reach the bus exactly
// once. It takes a few minutes, so it runs with SKYSIEVE_SOAK=1 (make soak).
func TestProcessesCrash(t *testing.T) {
	if os.Getenv("SKYSIEVE_SOAK") == "" {
		t.Skip("set SKYSIEVE_SOAK=1 (make soak): runs flight and ground processes for minutes")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin, "../flight/cmd/flight", "../ground/cmd/ground")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	scn := loadDefault(t, 3*time.Hour)
	logf, err := os.Create(filepath.Join(t.TempDir(), "services.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := RunProcesses(ctx, scn, ProcessOptions{
		FlightBin: filepath.Join(bin, "flight"), GroundBin: filepath.Join(bin, "ground"),
		DataDir: t.TempDir(), Scenes: 6,
		Passes: 5, PassLength: 20 * time.Second, Gap: 10 * time.Second, StartDelay: 10 * time.Second,
		RateBitsPerSec: 400e3, Loss: 0.05, KillFlight: true, KillGround: true, RestartDelay: time.Second,
		ORTLib: triage.DefaultRuntimePath(), ModelPath: triage.DefaultModelPath(), Log: logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("expected %d, published %d, duplicates %d, missing %d, unexpected %d, kills flight %d ground %d, relay %+v, %.0f s",
		res.Expected, res.Published, res.Duplicates, len(res.Missing), res.Unexpected, res.FlightKills, res.GroundKills, res.Relay, res.WallS)
	if res.Expected == 0 {
		t.Fatal("the scenes hold no detections: nothing was tested")
	}
	if res.FlightKills != 1 || res.GroundKills != 1 {
		t.Fatalf("kills: flight %d, ground %d, want 1 each", res.FlightKills, res.GroundKills)
	}
	if res.Duplicates != 0 {
		t.Errorf("%d detections published twice", res.Duplicates)
	}
	if len(res.Missing) != 0 {
		t.Errorf("%d of %d detections never published: %v (log %s)", len(res.Missing), res.Expected, res.Missing, logf.Name())
	}
	if res.Unexpected != 0 {
		t.Errorf("%d published detections the model did not find", res.Unexpected)
	}
}
