package flight

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/downlink/link"
)

// rssBytes reads the process's resident set size.
func rssBytes(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// TestBenchJSON measures flight's memory while it triages a batch of
// scenes from the spool and transmits during a contact at the same time,
// and writes flight.json. ONNX Runtime's share (library, session and the
// arena its first inference allocates) is measured as the RSS growth from
// creating the service to the end of a warm-up scene, and subtracted.
func TestBenchJSON(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
	requireTriage(t)
	const scenes, size, loss = 40, 512, 0.2
	lcfg := link.DefaultConfig()
	g := newTestGround(t, lcfg, loss, 11)
	// Scenes are generated before measuring (the generator is not flight)
	// and renamed into the spool after the warm-up.
	staging, spool := t.TempDir(), t.TempDir()
	now := time.Now()
	for i := range scenes {
		spoolScene(t, staging, synthScene(1000+i, size, now))
	}
	runtime.GC()
	debug.FreeOSMemory()
	rssStart := rssBytes(t)

	cfg := DefaultConfig()
	cfg.InsecureDevKeys = true // the test ground speaks the public development keys
	cfg.DataDir = t.TempDir()
	cfg.SpoolDir = spool
	cfg.SpoolPoll = 100 * time.Millisecond
	cfg.MetricsAddr = ""
	cfg.RadioListen, cfg.RadioPeer = "127.0.0.1:0", g.addr()
	cfg.Link = lcfg
	cfg.Logger = testLogger(t)
	rs := startService(t, cfg)
	if err := rs.s.Submit(context.Background(), synthScene(999, size, now)); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	rssWarm := rssBytes(t)

	// A contact for the whole run at 8 Mbit/s, and the spool opened.
	rs.s.SetContacts([]contact.Contact{lineContact(time.Now(), 10*time.Minute, 8e6, loss)})
	var (
		mu       sync.Mutex
		peak     int64
		heapPeak uint64
	)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			r := rssBytes(t)
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak, heapPeak = max(peak, r), max(heapPeak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	staged, err := os.ReadDir(staging)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range staged {
		if err := os.Rename(filepath.Join(staging, e.Name()), filepath.Join(spool, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Minute, "the spool to drain", func() bool {
		es, _ := os.ReadDir(spool)
		return len(es) == 0
	})
	triageSec := time.Since(start).Seconds()
	waitFor(t, 5*time.Minute, "the queue to drain", func() bool { return rs.s.Stats().QueueDepth == 0 })
	elapsed := time.Since(start).Seconds()
	close(stop)
	<-sampled
	st := rs.s.Stats()
	rs.stop(t)

	mb := func(b int64) float64 { return float64(b) / (1 << 20) }
	ort := rssWarm - rssStart
	out := map[string]any{
		"rss_excl_ort_mb":       mb(peak - ort),
		"rss_peak_mb":           mb(peak),
		"ort_and_startup_mb":    mb(ort),
		"rss_before_service_mb": mb(rssStart),
		"go_heap_inuse_peak_mb": mb(int64(heapPeak)),
		"target_mb":             256,
		"scenes":                scenes,
		"scene_pixels":          size * size,
		"triage_scenes_per_s":   float64(scenes) / triageSec,
		"detections":            st.DetectionsStored,
		"frames_sent":           st.FramesSent,
		"acknowledged":          st.Acked,
		"seconds":               elapsed,
		"goarch":                runtime.GOARCH,
		"note":                  "peak RSS sampled every 20 ms while the spool is triaged and a contact transmits (8 Mbit/s, 20% loss, real link Receiver on UDP); ORT's share is the RSS growth from New to the end of a warm-up scene",
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "flight.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", b)
}
