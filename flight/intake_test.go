package flight

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/synth"
)

func intakeConfig(t *testing.T) (Config, string) {
	spool := t.TempDir()
	cfg := DefaultConfig()
	cfg.InsecureDevKeys = true // the test ground speaks the public development keys
	cfg.DataDir = t.TempDir()
	cfg.SpoolDir = spool
	cfg.SpoolPoll = 20 * time.Millisecond
	cfg.MetricsAddr = ""
	cfg.RadioListen, cfg.RadioPeer = "127.0.0.1:0", "127.0.0.1:9"
	cfg.Logger = testLogger(t)
	return cfg, spool
}

// Unreadable scenes go to quarantine with their reason; unfinished names
// are left alone; a scene whose detections were stored before a crash
// (still in the spool) is re-triaged without storing anything twice.
func TestSpoolQuarantineAndReTriage(t *testing.T) {
	requireTriage(t)
	cfg, spool := intakeConfig(t)
	now := time.Now()
	sc := synthScene(1, 128, now)

	// The state a crash between Put and spool removal leaves: detections
	// durable, scene still in the spool.
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Submit(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	stored := s.Stats().DetectionsStored
	if stored == 0 {
		t.Fatal("the scene gave no detections")
	}
	s.Close()

	spoolScene(t, spool, sc)
	for name, body := range map[string]string{
		"broken.skyscene": "SKYSCENE but not really",
		"notes.txt":       "not an image",
		"partial.tmp":     "camera still writing",
		".hidden":         "ignored",
	} {
		if err := os.WriteFile(filepath.Join(spool, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs := startService(t, cfg)
	defer rs.stop(t)
	waitFor(t, time.Minute, "the spool to settle", func() bool {
		es, _ := os.ReadDir(spool)
		return len(es) == 2 && rs.s.Stats().ScenesQuarantined == 2
	})
	for _, name := range []string{"partial.tmp", ".hidden"} {
		if !fileExists(filepath.Join(spool, name)) {
			t.Errorf("%s was taken from the spool", name)
		}
	}
	for _, name := range []string{"broken.skyscene", "notes.txt"} {
		q := filepath.Join(cfg.DataDir, "quarantine", name)
		if !fileExists(q) {
			t.Errorf("%s not quarantined", name)
		}
		reason, err := os.ReadFile(q + ".reason")
		if err != nil || !strings.Contains(string(reason), "scene") {
			t.Errorf("%s quarantine reason %q, %v", name, reason, err)
		}
	}
	st := rs.s.Stats()
	if st.DetectionsStored != stored || st.Duplicates != stored || st.QueueDepth != int64(stored) || st.ScenesQuarantined != 2 || st.ScenesIn != 1 {
		t.Errorf("after re-triage: %d detections stored, %d duplicates (want %d of each), queue %d (want %d), quarantined %d (want 2), scenes in %d (want 1)",
			st.DetectionsStored, st.Duplicates, stored, st.QueueDepth, stored, st.ScenesQuarantined, st.ScenesIn)
	}
}

// Above the store's high watermark, intake pauses: the scene stays in the
// spool, Stats says so, and Submit reports back-pressure.
func TestBackPressurePausesIntake(t *testing.T) {
	requireTriage(t)
	cfg, spool := intakeConfig(t)
	cfg.Store.HighWaterBytes = 1
	cfg.Store.HardLimitBytes = 1 << 20
	cfg.MetricsAddr = "127.0.0.1:0"
	now := time.Now()
	rs := startService(t, cfg)
	defer rs.stop(t)
	sea, _ := synth.Generate(synth.Spec{Seed: 77, SceneID: "sea", Satellite: "SKY-1", CaptureTime: now,
		Width: 256, Height: 256, OceanFraction: 0.9, RandomVessels: 4})
	err := rs.s.Submit(context.Background(), sea)
	if !errors.Is(err, ErrBackPressure) {
		t.Fatalf("Submit above the high watermark: %v, want ErrBackPressure", err)
	}
	sea.ID = "sea-2"
	spoolScene(t, spool, sea)
	waitFor(t, time.Minute, "intake to pause", func() bool { return rs.s.Stats().IntakePaused })
	time.Sleep(100 * time.Millisecond)
	if !fileExists(filepath.Join(spool, "sea-2.skyscene")) {
		t.Fatal("scene left the spool while its detections were refused")
	}
	base := "http://" + rs.s.MetricsAddr()
	for path, want := range map[string]string{
		"/livez":   "ok",
		"/readyz":  "ok",
		"/metrics": "skysieve_flight_intake_paused 1",
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body lacks %q", path, resp.StatusCode, want)
		}
	}
}

// A spool backlog is triaged SpoolBacklog scenes at a time through one
// pipeline: every readable scene's detections are stored (exactly those
// triage finds for it alone), a scene triage refuses in the middle of a
// group is quarantined with its reason and the rest of its group goes on.
func TestSpoolBacklog(t *testing.T) {
	requireTriage(t)
	cfg, spool := intakeConfig(t)
	cfg.SpoolBacklog = 3
	now := time.Now()
	tr, err := triage.New(cfg.Triage)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	want := map[string]bool{}
	for i := range 5 {
		sc := synthScene(20+i, 96+32*i, now)
		if i == 1 {
			sc.Bands[4] = "thermal" // triage refuses it: no SWIR-1
		} else {
			res, err := tr.Triage(context.Background(), sc)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range res.Detections {
				want[d.Record.ID] = true
			}
		}
		spoolScene(t, spool, sc)
	}
	if len(want) == 0 {
		t.Fatal("the scenes gave no detections: the test proves nothing")
	}
	rs := startService(t, cfg)
	defer rs.stop(t)
	waitFor(t, time.Minute, "the spool to empty", func() bool {
		es, _ := os.ReadDir(spool)
		return len(es) == 0
	})
	got, _ := queued(t, rs.s)
	for id := range want {
		if !got[id] {
			t.Errorf("detection %s not stored", id)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d detections stored, want %d", len(got), len(want))
	}
	st := rs.s.Stats()
	if st.ScenesIn != 4 || st.ScenesQuarantined != 1 {
		t.Errorf("scenes in %d (want 4), quarantined %d (want 1)", st.ScenesIn, st.ScenesQuarantined)
	}
	reason, err := os.ReadFile(filepath.Join(cfg.DataDir, "quarantine", "it-021.skyscene.reason"))
	if err != nil || !strings.Contains(string(reason), "swir1 is missing") {
		t.Errorf("quarantine reason %q, %v", reason, err)
	}
}
