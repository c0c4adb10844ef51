package flight

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

// testLogger keeps test output quiet unless -v.
func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// requireTriage skips when the model or ONNX Runtime is not provisioned
// (`make ort`; the model is checked in under testdata/model).
func requireTriage(t *testing.T) {
	t.Helper()
	if !fileExists(triage.DefaultModelPath()) {
		t.Skipf("triage model %s missing", triage.DefaultModelPath())
	}
	if err := triage.InitRuntime(""); err != nil {
		t.Skipf("ONNX Runtime not available: %v", err)
	}
}

// synthScene draws a scene with fires on land and vessels at sea.
func synthScene(i int, size int, capture time.Time) *scene.Scene {
	sc, _ := synth.Generate(synth.Spec{
		Seed: uint64(100 + i), SceneID: fmt.Sprintf("it-%03d", i), Satellite: "SKY-1",
		CaptureTime: capture, Width: size, Height: size,
		OceanFraction: 0.35, RandomFires: 3, RandomVessels: 2,
	})
	return sc
}

// spoolScene writes a scene the way the camera does: a temporary name,
// then an atomic rename.
func spoolScene(t *testing.T, dir string, sc *scene.Scene) {
	t.Helper()
	tmp := filepath.Join(dir, sc.ID+".tmp")
	if err := scene.WriteFile(tmp, sc); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, sc.ID+".skyscene")); err != nil {
		t.Fatal(err)
	}
}

// lineContact is a contact with a constant rate and expected loss.
func lineContact(start time.Time, dur time.Duration, rateBitsPerSec, loss float64) contact.Contact {
	return contact.Contact{
		Station: "test", AOS: start, LOS: start.Add(dur), TCA: start.Add(dur / 2),
		Samples: []contact.Sample{
			{OffsetSec: 0, ElevationDeg: 10, RateBitsPerSec: rateBitsPerSec, Loss: loss},
			{OffsetSec: dur.Seconds(), ElevationDeg: 10, RateBitsPerSec: rateBitsPerSec, Loss: loss},
		},
	}
}

// runningService is a Service running in a goroutine.
type runningService struct {
	s      *Service
	cancel context.CancelFunc
	done   chan error
}

func startService(t *testing.T, cfg Config) *runningService {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runningService{s: s, cancel: cancel, done: make(chan error, 1)}
	go func() { rs.done <- s.Run(ctx) }()
	select {
	case <-s.Ready():
	case err := <-rs.done:
		t.Fatalf("Run ended before ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("service not ready after 30s")
	}
	return rs
}

// stop shuts the service down as SIGTERM does and waits for Run.
func (rs *runningService) stop(t *testing.T) {
	t.Helper()
	rs.cancel()
	select {
	case err := <-rs.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return 30s after cancel")
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// queued lists the store's detections: id → has a chip, and the frames the
// queue needs with no loss.
func queued(t *testing.T, s *Service) (map[string]bool, int) {
	t.Helper()
	es, err := s.store.Next(1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	frames := 0
	for _, e := range es {
		out[e.Item.ID] = len(e.Item.Chip) > 0
		for _, part := range [][]byte{e.Item.Record, e.Item.Chip} {
			if len(part) > 0 {
				k, err := s.cfg.Link.SourceSymbols(len(part))
				if err != nil {
					t.Fatal(err)
				}
				frames += k
			}
		}
	}
	return out, frames
}

// TestDeliveryAcrossRestart is issue 7's integration test: flight runs
// in-process with real triage, the real store and the real link; the
// ground is the real link Receiver on loopback UDP behind a channel that
// drops 20% of frames. A batch of scenes goes through the spool; a first
// contact carries part of it, flight restarts, a second contact carries
// the rest. Every detection's record and chip must reach the ground, each
// reassembled exactly once, and flight must end with an empty queue
// (custody passed for everything).
func TestDeliveryAcrossRestart(t *testing.T) {
	requireTriage(t)
	scenes, size := 6, 256
	if testing.Short() {
		scenes, size = 2, 128
	}
	const loss = 0.2
	lcfg := link.DefaultConfig()
	lcfg.FrameBytes = 1024
	g := newTestGround(t, lcfg, loss, 7)

	dataDir, spool := t.TempDir(), t.TempDir()
	now := time.Now()
	for i := range scenes {
		spoolScene(t, spool, synthScene(i, size, now))
	}
	cfg := DefaultConfig()
	cfg.InsecureDevKeys = true // the test ground speaks the public development keys
	cfg.DataDir, cfg.SpoolDir = dataDir, spool
	cfg.SpoolPoll = 50 * time.Millisecond
	cfg.MetricsAddr = ""
	cfg.RadioListen, cfg.RadioPeer = "127.0.0.1:0", g.addr()
	cfg.Link = lcfg
	cfg.ReplanIdle = 100 * time.Millisecond
	cfg.HousekeepingEvery = time.Hour
	cfg.Logger = testLogger(t)

	rs := startService(t, cfg)
	waitFor(t, 5*time.Minute, "the spool to drain", func() bool {
		es, _ := os.ReadDir(spool)
		return len(es) == 0
	})
	want, frames := queued(t, rs.s)
	if len(want) == 0 {
		t.Fatal("triage kept no detection from the batch; the test needs some")
	}
	if _, _, sent, _ := g.snapshot(); sent != 0 {
		t.Fatalf("%d frames sent outside any contact", sent)
	}
	t.Logf("%d detections, %d frames with no loss", len(want), frames)

	// Contact 1 carries about half of the queue at 20% loss.
	frameBits := float64(lcfg.FrameBytes * 8)
	dur1 := 1500 * time.Millisecond
	rate1 := float64(frames) * 0.5 / (1 - loss) * frameBits / dur1.Seconds()
	c1 := lineContact(time.Now().Add(200*time.Millisecond), dur1, rate1, loss)
	rs.s.SetContacts([]contact.Contact{c1})
	waitFor(t, time.Minute, "contact 1 to end", func() bool { return time.Now().After(c1.LOS.Add(500 * time.Millisecond)) })
	st1 := rs.s.Stats()
	if st1.LastPass.Name == "" || st1.LastPass.Frames == 0 || st1.LastPass.Frames != st1.FramesSent || st1.ScenesTriaged == 0 || st1.TriageSeconds <= 0 {
		t.Fatalf("pass and triage stats after contact 1: %+v", st1)
	}
	done1, _, sent1, _ := g.snapshot()
	if capFrames := int(rate1*dur1.Seconds()/frameBits) + 1; sent1 > capFrames {
		t.Fatalf("contact 1 carried %d frames, its capacity is %d", sent1, capFrames)
	}
	parts := 0
	for _, hasChip := range want {
		parts += 1 + map[bool]int{true: 1}[hasChip]
	}
	got1 := 0
	for ref := range done1 {
		if ref.Kind != link.KindHousekeeping {
			got1++
		}
	}
	if got1 == 0 || got1 >= parts {
		t.Fatalf("after contact 1 the ground holds %d of %d items; want some but not all", got1, parts)
	}
	rs.stop(t)

	// Restart flight on the same data dir; contact 2 has room for all.
	cfg.Contacts = nil
	rs = startService(t, cfg)
	defer rs.stop(t)
	if _, _, sent, _ := g.snapshot(); sent != sent1 {
		t.Fatalf("%d frames sent between contacts", sent-sent1)
	}
	// Generous, so a loaded machine (race detector, qemu) that cannot keep
	// the pace still finishes; the wait ends as soon as the queue is empty.
	dur2 := 20 * time.Second
	rate2 := float64(frames) * 1.5 * frameBits
	c2 := lineContact(time.Now().Add(200*time.Millisecond), dur2, rate2, loss)
	rs.s.SetContacts([]contact.Contact{c2})
	waitFor(t, time.Minute, "every detection acknowledged", func() bool {
		return rs.s.Stats().QueueDepth == 0 || time.Now().After(c2.LOS.Add(2*time.Second))
	})
	completed, data, sent, dropped := g.snapshot()
	t.Logf("frames sent %d, dropped by the channel %d (%.1f%%), flight stats after contact 1 %+v", sent, dropped, 100*float64(dropped)/float64(sent), st1)
	for id, hasChip := range want {
		ref, err := link.ParseDetectionID(id)
		if err != nil {
			t.Fatal(err)
		}
		rec := link.ItemRef{Kind: link.KindRecord, ID: ref}
		if n := completed[rec]; n != 1 {
			t.Errorf("record %s reassembled %d times, want exactly once", id, n)
			continue
		}
		d, err := record.Unmarshal(data[rec])
		if err != nil || d.ID != id {
			t.Errorf("record %s decodes to %v, %v", id, d, err)
		}
		chip := link.ItemRef{Kind: link.KindChip, ID: ref}
		if hasChip && completed[chip] != 1 {
			t.Errorf("chip %s reassembled %d times, want exactly once", id, completed[chip])
		}
	}
	hk := 0
	for ref, n := range completed {
		if n != 1 {
			t.Errorf("%v reassembled %d times", ref, n)
		}
		if ref.Kind == link.KindHousekeeping {
			var st Stats
			if err := json.Unmarshal(data[ref], &st); err != nil {
				t.Errorf("housekeeping %v: %v", ref, err)
			}
			hk++
		}
	}
	if hk == 0 {
		t.Error("no housekeeping packet reached the ground")
	}
	if st := rs.s.Stats(); st.QueueDepth != 0 {
		t.Errorf("flight still holds %d detections after contact 2 (acked %d)", st.QueueDepth, st.Acked)
		es, _ := rs.s.store.Next(100, 0)
		for _, e := range es {
			t.Logf("left: %s state %v sent %+v", e.Item.ID, e.State, e.Sent)
		}
		t.Logf("ground needs %+v", g.rx.Reassembler().Needs())
	}
}
