package flight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/skysieve/skysieve/triage/scene/scenetest"
	"github.com/skysieve/skysieve/triage/synth"
)

// writeBenchJSON writes v as name in the bench directory and logs it.
func writeBenchJSON(t *testing.T, dir, name string, v any) {
	t.Helper()
	b, _ := json.MarshalIndent(v, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", b)
}

// cpuSeconds is the process's user + system CPU time so far.
func cpuSeconds(t *testing.T) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	tv := func(v syscall.Timeval) float64 { return float64(v.Sec) + float64(v.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// countingHandler counts the log records of a service (and drops them).
type countingHandler struct{ n *atomic.Int64 }

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(context.Context, slog.Record) error {
	h.n.Add(1)
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

// TestBenchJSONIntakeBombs measures flight's peak RSS while intake meets 20
// decompression bombs in its spool (8 deflate and 8 LZW GeoTIFFs claiming
// 16384×16384 uint16 samples, about 0.5 MB each on disk, and 4 files of a
// 1×1 image in an 8192² tile), then one good scene, and writes
// intake_bombs.json.
func TestBenchJSONIntakeBombs(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
	requireTriage(t)
	staging, spool := t.TempDir(), t.TempDir()
	deflate := scenetest.Bomb(16384, true, scenetest.Deflate, 256)
	lzw := scenetest.Bomb(16384, true, scenetest.LZW, 256)
	tile := scenetest.TileBomb(8192)
	var bombBytes int
	for i := range 20 {
		b := deflate
		switch {
		case i >= 16:
			b = tile
		case i%2 == 1:
			b = lzw
		}
		bombBytes += len(b)
		if err := os.WriteFile(filepath.Join(staging, fmt.Sprintf("bomb-%02d.tif", i)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	deflate, lzw, tile = nil, nil, nil
	runtime.GC()
	debug.FreeOSMemory()
	rssStart := rssBytes(t)

	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.SpoolDir = spool
	cfg.SpoolPoll = 100 * time.Millisecond
	cfg.MetricsAddr = ""
	cfg.RadioListen, cfg.RadioPeer = "127.0.0.1:0", "127.0.0.1:9"
	cfg.Logger = testLogger(t)
	rs := startService(t, cfg)
	defer rs.stop(t)
	runtime.GC()
	rssReady := rssBytes(t)

	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			peak.Store(max(peak.Load(), rssBytes(t)))
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	staged, _ := os.ReadDir(staging)
	for _, e := range staged {
		if err := os.Rename(filepath.Join(staging, e.Name()), filepath.Join(spool, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	// A good scene after the bombs proves intake goes on.
	spoolScene(t, spool, synthScene(1, 256, time.Now()))
	waitFor(t, 10*time.Minute, "the spool to drain", func() bool {
		es, _ := os.ReadDir(spool)
		return len(es) == 0 && rs.s.Stats().ScenesIn+rs.s.Stats().ScenesQuarantined == 21
	})
	elapsed := time.Since(start).Seconds()
	close(stop)
	wg.Wait()
	st := rs.s.Stats()
	mb := func(b int64) float64 { return float64(b) / (1 << 20) }
	writeBenchJSON(t, dir, "intake_bombs.json", map[string]any{
		"bombs":                 20,
		"bomb_bytes_on_disk":    bombBytes,
		"rss_peak_mb":           mb(peak.Load()),
		"rss_service_ready_mb":  mb(rssReady),
		"rss_before_service_mb": mb(rssStart),
		"target_mb":             256,
		"scenes_quarantined":    st.ScenesQuarantined,
		"scenes_in":             st.ScenesIn,
		"seconds":               elapsed,
		"note":                  "peak RSS of the whole test process (flight service with ONNX Runtime loaded), sampled every 10 ms while intake meets 8 deflate and 8 LZW 16384x16384 uint16 GeoTIFF bombs and 4 files of a 1x1 image in an 8192x8192 tile, then one good 256x256 scene",
	})
}

// TestBenchJSONIntakeBackPressure measures what intake costs while the store
// refuses a spool scene for back-pressure: CPU seconds of the process and
// log records per 30 s of wall time at the default spool poll, and writes
// intake_backpressure.json.
func TestBenchJSONIntakeBackPressure(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
	requireTriage(t)
	cfg, spool := intakeConfig(t)
	cfg.SpoolPoll = time.Second
	cfg.Store.HardLimitBytes = 4 << 20
	cfg.Store.HighWaterBytes = 64 << 10
	var lines atomic.Int64
	cfg.Logger = slog.New(countingHandler{&lines})
	rs := startService(t, cfg)
	defer rs.stop(t)
	now := time.Now()
	sea := func(i int) error {
		sc, _ := synth.Generate(synth.Spec{Seed: uint64(100 + i), SceneID: fmt.Sprintf("sea-%02d", i), Satellite: "SKY-1",
			CaptureTime: now, Width: 256, Height: 256, OceanFraction: 0.9, RandomVessels: 6})
		if i < 0 {
			sc.ID = "sea-spool"
			spoolScene(t, spool, sc)
			return nil
		}
		return rs.s.Submit(context.Background(), sc)
	}
	// Fill the store with vessels until it refuses some.
	for i := 0; ; i++ {
		err := sea(i)
		if errors.Is(err, ErrBackPressure) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i > 200 {
			t.Fatal("the store never pushed back")
		}
	}
	if err := sea(-1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "intake to pause", func() bool { return rs.s.Stats().IntakePaused })
	const window = 30 * time.Second
	cpu0, lines0, triaged0 := cpuSeconds(t), lines.Load(), rs.s.Stats().ScenesTriaged
	time.Sleep(window)
	cpu1, lines1, st := cpuSeconds(t), lines.Load(), rs.s.Stats()
	writeBenchJSON(t, dir, "intake_backpressure.json", map[string]any{
		"window_s":          window.Seconds(),
		"spool_poll_s":      cfg.SpoolPoll.Seconds(),
		"cpu_s":             cpu1 - cpu0,
		"log_lines":         lines1 - lines0,
		"scenes_triaged":    st.ScenesTriaged - triaged0,
		"stored_bytes":      st.StoredBytes,
		"high_water_bytes":  cfg.Store.HighWaterBytes,
		"still_paused":      st.IntakePaused,
		"spool_scene_there": fileExists(filepath.Join(spool, "sea-spool.skyscene")),
		"note":              "process CPU seconds and log records over 30 s while one spool scene's vessels are refused at the store's high watermark",
	})
}

// TestBenchJSONIntakeBudget measures flight's peak RSS while intake
// triages scenes as large as the default spool_max_scene_bytes admits
// (1390×1390 six-band, 44.2 MiB of float32 and a 3.7 MiB read buffer each, four in the spool), and
// writes intake_budget.json.
func TestBenchJSONIntakeBudget(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
	requireTriage(t)
	const scenes, side = 4, 1390
	staging, spool := t.TempDir(), t.TempDir()
	for i := range scenes {
		spoolScene(t, staging, synthScene(2000+i, side, time.Now()))
	}
	runtime.GC()
	debug.FreeOSMemory()
	rssStart := rssBytes(t)
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.SpoolDir = spool
	cfg.SpoolPoll = 100 * time.Millisecond
	cfg.MetricsAddr = ""
	cfg.RadioListen, cfg.RadioPeer = "127.0.0.1:0", "127.0.0.1:9"
	cfg.Logger = testLogger(t)
	rs := startService(t, cfg)
	defer rs.stop(t)
	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			peak.Store(max(peak.Load(), rssBytes(t)))
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	staged, _ := os.ReadDir(staging)
	for _, e := range staged {
		if err := os.Rename(filepath.Join(staging, e.Name()), filepath.Join(spool, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Minute, "the spool to drain", func() bool {
		es, _ := os.ReadDir(spool)
		return len(es) == 0 && rs.s.Stats().ScenesIn+rs.s.Stats().ScenesQuarantined == scenes
	})
	elapsed := time.Since(start).Seconds()
	close(stop)
	wg.Wait()
	st := rs.s.Stats()
	mb := func(b int64) float64 { return float64(b) / (1 << 20) }
	writeBenchJSON(t, dir, "intake_budget.json", map[string]any{
		"scenes":                scenes,
		"scene_side_px":         side,
		"scene_float32_mb":      mb(side * side * 6 * 4),
		"spool_max_scene_bytes": cfg.SpoolMaxSceneBytes,
		"rss_peak_mb":           mb(peak.Load()),
		"rss_before_service_mb": mb(rssStart),
		"target_mb":             256,
		"scenes_in":             st.ScenesIn,
		"scenes_quarantined":    st.ScenesQuarantined,
		"detections":            st.DetectionsStored,
		"seconds":               elapsed,
		"note":                  "peak RSS of the whole test process (flight service with ONNX Runtime loaded), sampled every 10 ms while intake triages four 1390x1390 six-band scenes, each just under the default spool_max_scene_bytes, so one per backlog group",
	})
}
