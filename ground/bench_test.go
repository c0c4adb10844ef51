package ground

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/reassembly"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/downlink/sdls"
)

// benchFrames makes n 1 KB frames carrying 64 KB items, source symbols
// only, in order.
func benchFrames(t testing.TB, keyFile string, n int) [][]byte {
	fl := newFlight(t, keyFile, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	var frames [][]byte
	for item := 0; len(frames) < n; item++ {
		data := make([]byte, 64<<10)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		id := link.ItemID{byte(item >> 8), byte(item), 0xbe, 0xef}
		enc, err := fl.sender.Item(link.KindChip, id, data, 1)
		if err != nil {
			t.Fatal(err)
		}
		for s := 0; s < enc.K() && len(frames) < n; s++ {
			f, err := enc.AppendFrame(nil, s)
			if err != nil {
				t.Fatal(err)
			}
			frames = append(frames, f)
		}
	}
	return frames
}

// pipelineService is a Service with everything but Run: its process path
// (verify, log, reassemble, queue) can be driven directly.
func pipelineService(t testing.TB, dir, keyFile string) *Service {
	cfg := testConfig(t, dir, keyFile, "alpha")
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.pub = newPublisher(nil, s.ob, s.clk, s.log, s.m, s.st, cfg.CAPSender, cfg.OutboxMaxAttempts)
	return s
}

// processAll drives frames through s in batches as the process loop does.
func processAll(t testing.TB, s *Service, frames [][]byte) {
	now := time.Now()
	batch := make([]rxFrame, 0, batchFrames)
	for i, f := range frames {
		batch = append(batch, rxFrame{station: "alpha", data: f, rxWall: now})
		if len(batch) == batchFrames || i == len(frames)-1 {
			if err := s.processBatch(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// receiverOnly runs frames through the protocol receiver alone (verify,
// decrypt, reassemble, digest), without the durable log.
func receiverOnly(t testing.TB, keyFile string, frames [][]byte) (items int, elapsed time.Duration) {
	keys, err := sdls.LoadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	rx, err := link.NewReceiver(testLink(), keys, reassembly.Config{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, f := range frames {
		res, err := rx.Receive(f, "alpha")
		if err != nil {
			t.Fatal(err)
		}
		items += len(res.Completed)
	}
	return items, time.Since(start)
}

// TestBenchJSON writes ground.json: frames_per_s (1 KB frames → verified,
// reassembled items on one core, through the ground's durable pipeline)
// and publish_p99_ms (last symbol → JetStream ack, sync-on-write).
func TestBenchJSON(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
	tmp := t.TempDir()
	keys := writeKeys(t, tmp)
	const n = 30000
	frames := benchFrames(t, keys, n)

	prev := runtime.GOMAXPROCS(1)
	var durable, bare []float64
	var items int
	for rep := range 3 {
		s := pipelineService(t, filepath.Join(tmp, "p", string(rune('a'+rep))), keys)
		start := time.Now()
		processAll(t, s, frames)
		durable = append(durable, float64(n)/time.Since(start).Seconds())
		items = int(s.Stats().ItemsCompleted[kindChip])
		s.closeAll()
		it, el := receiverOnly(t, keys, frames)
		if it != items {
			t.Fatalf("receiver alone completed %d items, pipeline %d", it, items)
		}
		bare = append(bare, float64(n)/el.Seconds())
	}
	runtime.GOMAXPROCS(prev)
	slices.Sort(durable)
	slices.Sort(bare)

	// Publish latency: single-frame detections, one every 5 ms, through a
	// running service with the embedded server (SyncAlways).
	g := start(t, testConfig(t, filepath.Join(tmp, "g"), keys, "alpha"))
	fl := newFlight(t, keys, 1)
	const dets = 400
	for i := range dets {
		sendUDP(t, g.UDPAddr("alpha"), fl.recordFrames(detection(5000+i, record.ClassVessel)))
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, "bench detections published", 60*time.Second, func() bool { return g.Stats().Published == dets })
	st := g.Stats()

	out := map[string]any{
		"frames_per_s":               durable[1],
		"frames_per_s_receiver_only": bare[1],
		"frame_bytes":                testLink().FrameBytes,
		"frames":                     n,
		"items":                      items,
		"item_bytes":                 64 << 10,
		"publish_p99_ms":             float64(st.PublishLatencyP99.Microseconds()) / 1000,
		"publish_p50_ms":             float64(st.PublishLatencyP50.Microseconds()) / 1000,
		"publish_samples":            dets,
		"sync_always":                true,
		"gomaxprocs_frames":          1,
		"method":                     "frames_per_s: median of 3 runs of 30000 frames through the ground's process path (link.Receiver verify+decrypt+reassemble, bbolt symbol log and outbox, one fsync per batch of up to 2048 frames) at GOMAXPROCS=1; publish: 400 one-frame detections over UDP every 5 ms to a running service with embedded nats-server (sync_interval always); wall time from frame reception to JetStream ack",
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "ground.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", b)
}

// BenchmarkProcessFrames measures the durable process path (verify,
// symbol log, reassembly, outbox) on 4096 1 KB frames; service set-up is
// not timed.
func BenchmarkProcessFrames(b *testing.B) {
	tmp := b.TempDir()
	keys := writeKeys(b, tmp)
	frames := benchFrames(b, keys, 4096)
	b.SetBytes(int64(len(frames) * len(frames[0])))
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		s := pipelineService(b, filepath.Join(tmp, "b", strconv.Itoa(i)), keys)
		b.StartTimer()
		processAll(b, s, frames)
		b.StopTimer()
		s.closeAll()
	}
}
