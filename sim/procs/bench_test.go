package procs

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBenchJSON runs the end-to-end processes scenario (both kills) once
// and writes its figures to $SKYSIEVE_BENCH_DIR/procs.json.
func TestBenchJSON(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
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
	var maxDown time.Duration
	for _, k := range res.Kills {
		maxDown = max(maxDown, k.Downtime)
	}
	out := map[string]any{
		"wall_s":               res.Wall.Seconds(),
		"scenes":               res.Scenes,
		"detections_stored":    res.Stored,
		"detections_published": res.Published,
		"duplicates_published": res.Duplicates,
		"lost_items":           res.LostItems,
		"unexpected_items":     len(res.Unexpected),
		"kills":                len(res.Kills),
		"restart_max_s":        maxDown.Seconds(),
		"ground_start_s":       res.GroundStart.Seconds(),
		"flight_start_s":       res.FlightStart.Seconds(),
		"intake_s":             res.Intake.Seconds(),
		"latency_p50_s":        res.LatencyP50.Seconds(),
		"latency_p99_s":        res.LatencyP99.Seconds(),
		"settle_after_los_s":   res.SettleAfterLOS.Seconds(),
		"rate_bits_per_sec":    res.RateBitsPerSec,
		"frames_relayed":       res.Relay.FramesIn,
		"frames_lost":          res.Relay.Lost,
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "procs.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", b)
}
