package triage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/jpeg"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

func newTriage(t testing.TB, edit func(c *triage.Config)) *triage.Triage {
	t.Helper()
	c := triage.DefaultConfig()
	c.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	if edit != nil {
		edit(&c)
	}
	tr, err := triage.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// TestTriageScene triages a generated scene with one of each event and
// checks what a consumer relies on: each event's tile kept as its class,
// valid records with stable ids, chips that decode within budget, and a log
// that accounts for every tile.
func TestTriageScene(t *testing.T) {
	capture := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	vc := clock.NewVirtual(capture.Add(3 * time.Hour))
	var logBuf bytes.Buffer
	tr := newTriage(t, func(c *triage.Config) {
		c.Clock = vc
		c.ChipBudgetBytes = 1200
		c.Logger = slog.New(slog.NewJSONHandler(&logBuf, nil))
	})
	spec := synth.Spec{Seed: 77, SceneID: "e2e", Satellite: "SKY-1", CaptureTime: capture, OceanFraction: 0.35,
		Width: 256, Height: 256, RandomFires: 2, RandomFloods: 1, RandomVessels: 2}
	s, truth := synth.Generate(spec)
	res, err := tr.TriageWithWater(context.Background(), s, truth)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, tt := range truth.Tiles {
		if tt.Actionable() {
			want[tt.Label]++
		}
	}
	got := map[string]int{}
	for _, d := range res.Detections {
		r := d.Record
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
		tt := truth.Tile(r.TileRow, r.TileCol)
		if tt.Label == r.Class {
			got[r.Class]++
		}
		if r.ID != triage.DetectionID("SKY-1", "e2e", r.TileRow, r.TileCol, r.Class) {
			t.Errorf("id %s is not the stable id", r.ID)
		}
		if len(d.Chip) > 1200 || r.ChipBytes != len(d.Chip) {
			t.Errorf("chip %d bytes (record says %d), budget 1200", len(d.Chip), r.ChipBytes)
		}
		if _, err := jpeg.Decode(bytes.NewReader(d.Chip)); err != nil {
			t.Errorf("chip does not decode: %v", err)
		}
		if r.Priority <= 0 || r.Priority >= r.Confidence {
			t.Errorf("priority %v for confidence %v three hours after capture", r.Priority, r.Confidence)
		}
	}
	for class, n := range want {
		if got[class] < n*8/10 {
			t.Errorf("%s: %d of %d truth tiles kept", class, got[class], n)
		}
	}
	l := res.Log
	sum := l.Kept
	for _, n := range l.Discarded {
		sum += n
	}
	if l.TilesIn != len(truth.Tiles) || sum != l.TilesIn {
		t.Errorf("log %+v does not account for %d tiles", l, len(truth.Tiles))
	}
	var rec map[string]any
	if err := json.Unmarshal(logBuf.Bytes(), &rec); err != nil {
		t.Fatalf("want exactly one JSON log record, got %q", logBuf.String())
	}
	if rec["tiles_in"].(float64) != float64(l.TilesIn) || rec["discarded"] == nil {
		t.Errorf("log record %v", rec)
	}
	t.Logf("truth %v, kept right %v, log %+v", want, got, l)

	// Re-triage: same ids.
	res2, err := tr.TriageWithWater(context.Background(), s, truth)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Detections) != len(res.Detections) {
		t.Fatal("re-triage changed the detections")
	}
	for i := range res.Detections {
		if res.Detections[i].Record.ID != res2.Detections[i].Record.ID {
			t.Fatal("re-triage changed an id")
		}
	}
}

// TestNoWaterLayerNoFlood: without a reference layer the open sea must not
// become a flood.
func TestNoWaterLayerNoFlood(t *testing.T) {
	tr := newTriage(t, nil)
	s, _ := synth.Generate(synth.Spec{Seed: 3, SceneID: "sea", CaptureTime: time.Now(), OceanFraction: 0.8, Width: 192, Height: 192})
	res, err := tr.Triage(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res.Detections {
		if d.Record.Class == record.ClassFlood {
			t.Fatalf("flood called without a water layer: %+v", d.Record)
		}
	}
	if res.Log.Discarded[triage.ReasonNoWaterReference] == 0 {
		t.Errorf("sea tiles not discarded as %s: %+v", triage.ReasonNoWaterReference, res.Log)
	}
	// A layer that does not cover the scene behaves the same, and does not fail it.
	far := s.Geo
	far.OriginX += 20
	layer, err := triage.NewRasterWater(far, 10, 10, make([]bool, 100))
	if err != nil {
		t.Fatal(err)
	}
	res2, err := tr.TriageWithWater(context.Background(), s, layer)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Log.Discarded[triage.ReasonNoWaterReference] != res.Log.Discarded[triage.ReasonNoWaterReference] {
		t.Errorf("layer outside the scene: %+v, want as without a layer %+v", res2.Log, res.Log)
	}
}

func TestSceneErrors(t *testing.T) {
	tr := newTriage(t, nil)
	good := func() *scene.Scene {
		s, _ := synth.Generate(synth.Spec{Seed: 1, Width: 64, Height: 64, CaptureTime: time.Now()})
		return s
	}
	cases := []struct {
		name string
		edit func(s *scene.Scene)
		err  error
		want string
	}{
		{"missing band", func(s *scene.Scene) { s.Bands[5] = "thermal" }, triage.ErrBands, "swir2 is missing"},
		{"too small", func(s *scene.Scene) { s.Width, s.Height = 16, 16 }, triage.ErrScene, "smaller than one 32-pixel tile"},
		{"short plane", func(s *scene.Scene) { s.Data[2] = s.Data[2][:100] }, triage.ErrScene, "band red has 100 values"},
		{"no georeference", func(s *scene.Scene) { s.Geo = scene.Geo{} }, triage.ErrScene, "georeference"},
		{"no capture time", func(s *scene.Scene) { s.CaptureTime = time.Time{} }, triage.ErrScene, "no capture time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := good()
			c.edit(s)
			_, err := tr.Triage(context.Background(), s)
			if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %v mentioning %q", err, c.err, c.want)
			}
		})
	}
	// Bands in another order are matched by name.
	s := good()
	s.Bands[0], s.Bands[1] = s.Bands[1], s.Bands[0]
	s.Data[0], s.Data[1] = s.Data[1], s.Data[0]
	if _, err := tr.Triage(context.Background(), s); err != nil {
		t.Fatalf("reordered bands: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(c *triage.Config)
		want string
	}{
		{"threshold", func(c *triage.Config) { c.Thresholds = map[string]float64{"fire": 1.5} }, "threshold 1.5"},
		{"chip budget", func(c *triage.Config) { c.ChipBudgetBytes = 100 }, "below the minimum"},
		{"batch size", func(c *triage.Config) { c.BatchSize = 1 << 30 }, "batch size 1073741824 is above the maximum"},
		{"model", func(c *triage.Config) { c.ModelPath = "/nonexistent/model.onnx" }, "not found"},
		{"water layer", func(c *triage.Config) { c.WaterLayerPath = "/nonexistent/water.geojson" }, "water layer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := triage.DefaultConfig()
			c.edit(&cfg)
			if _, err := triage.New(cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

func TestPriority(t *testing.T) {
	for _, c := range []struct {
		sev, conf float64
		age       time.Duration
		want      float64
	}{
		{1, 0.9, 0, 0.9},
		{1, 0.9, 6 * time.Hour, 0.45},
		{0.5, 0.8, 12 * time.Hour, 0.1},
		{1, 1, -time.Hour, 1},
	} {
		if got := triage.Priority(c.sev, c.conf, c.age, 6*time.Hour); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Priority(%v, %v, %v) = %v, want %v", c.sev, c.conf, c.age, got, c.want)
		}
	}
}

func TestChipBudget(t *testing.T) {
	s, _ := synth.Generate(synth.Spec{Seed: 4, Width: 64, Height: 64})
	for _, budget := range []int{1024, 1500, 2048, 8192} {
		b, err := triage.Chip(s, scene.DefaultBands, 0, 0, 64, budget)
		if err != nil {
			t.Fatalf("budget %d: %v", budget, err)
		}
		if len(b) > budget {
			t.Fatalf("budget %d: chip %d bytes", budget, len(b))
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("budget %d: %d bytes, %v", budget, len(b), img.Bounds().Size())
	}
	if _, err := triage.Chip(s, scene.DefaultBands, 0, 0, 64, 100); err == nil {
		t.Fatal("budget below minimum accepted")
	}
}

// TestLandsatOlinda triages the real Landsat-7 scene of Olinda, Brazil
// (coast, town, vegetation, no fire that day) with the ocean polygon as the
// reference water layer: no fire, and no flood on the open ocean.
func TestLandsatOlinda(t *testing.T) {
	path := filepath.Join("..", ".cache", "landsat", "L7_ETMs.tif")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s missing: run `make landsat` (%v)", path, err)
	}
	s, err := scene.Open(path, scene.WithSatellite("LANDSAT_7"), scene.WithCaptureTime(time.Date(2002, 7, 9, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	tr := newTriage(t, func(c *triage.Config) {
		c.WaterLayerPath = filepath.Join("..", "testdata", "model", "olinda-water.geojson")
	})
	res, err := tr.Triage(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	ocean, err := triage.LoadPolygonWater(filepath.Join("..", "testdata", "model", "olinda-water.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res.Detections {
		r := d.Record
		t.Logf("kept %s %.2f at tile (%d,%d) %v", r.Class, r.Confidence, r.TileRow, r.TileCol, r.Footprint[0])
		if r.Class == record.ClassFire {
			t.Errorf("fire called on Olinda (no fire that day): tile (%d,%d) %.2f", r.TileRow, r.TileCol, r.Confidence)
		}
		if r.Class == record.ClassFlood {
			var lon, lat float64
			for _, p := range r.Footprint[:4] {
				lon, lat = lon+p[0]/4, lat+p[1]/4
			}
			if ocean.Contains(lon, lat) {
				t.Errorf("flood called on the open ocean: tile (%d,%d)", r.TileRow, r.TileCol)
			}
		}
	}
	t.Logf("Olinda: %+v", res.Log)
}

type sceneT = scene.Scene

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// cancelAfter is a context whose Err turns to context.Canceled from its
// n+1th call: triage checks it once per batch, so a scene is cut off
// after n batches, halfway through its decisions.
type cancelAfter struct {
	context.Context
	n int
}

func (c *cancelAfter) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

// TestTriageCancelled: a scene cancelled between batches returns the
// context's error, leaves no goroutine behind, and the next scene on the
// same Triage comes out as if nothing had happened.
func TestTriageCancelled(t *testing.T) {
	tr := newTriage(t, func(c *triage.Config) { c.Logger = discardLogger() })
	s, truth := synth.Generate(synth.Spec{Seed: 5, SceneID: "cut", Satellite: "SKY-1", CaptureTime: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		OceanFraction: 0.4, Width: 512, Height: 512, RandomFires: 3, RandomVessels: 4})
	want, err := tr.TriageWithWater(context.Background(), s, truth)
	if err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	for n := range 3 {
		if _, err := tr.TriageWithWater(&cancelAfter{context.Background(), n}, s, truth); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled after %d batches: err %v, want context.Canceled", n, err)
		}
	}
	for i := 0; runtime.NumGoroutine() > base && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > base {
		t.Errorf("%d goroutines after the cancelled scenes, %d before", g, base)
	}
	got, err := tr.TriageWithWater(context.Background(), s, truth)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Detections) != len(want.Detections) || len(got.Tiles) != len(want.Tiles) {
		t.Fatalf("after cancelled scenes: %d detections of %d tiles, want %d of %d", len(got.Detections), len(got.Tiles), len(want.Detections), len(want.Tiles))
	}
	for i := range want.Tiles {
		if got.Tiles[i].Decision != want.Tiles[i].Decision {
			t.Errorf("tile %d: %s after cancelled scenes, %s before", i, got.Tiles[i].Decision, want.Tiles[i].Decision)
		}
	}
}

// TestTriageScenes: scenes triaged back to back through one pipeline come
// out exactly as triaged one by one, whatever their sizes (short last
// batches, a scene of one tile), with the configured water layer when a
// job names none; a scene the contract refuses gets its own error and the
// scenes after it are unchanged; a cancelled run returns the context's
// error and leaves no goroutine behind.
func TestTriageScenes(t *testing.T) {
	tr := newTriage(t, func(c *triage.Config) { c.Logger = discardLogger() })
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var jobs []triage.SceneJob
	for i, wh := range [][2]int{{512, 512}, {100, 70}, {32, 32}, {256, 160}, {300, 300}} {
		s, truth := synth.Generate(synth.Spec{Seed: uint64(40 + i), SceneID: "s" + string(rune('a'+i)), Satellite: "SKY-1", CaptureTime: at,
			OceanFraction: 0.4, Width: wh[0], Height: wh[1], RandomFires: 2, RandomVessels: 3, RandomFloods: 1})
		jobs = append(jobs, triage.SceneJob{Scene: s, Water: truth})
	}
	jobs[2].Water = nil // the configured layer: none here
	bad, _ := synth.Generate(synth.Spec{Seed: 9, Width: 64, Height: 64, CaptureTime: at})
	bad.Bands[5] = "thermal"
	jobs = append(jobs[:3], append([]triage.SceneJob{{Scene: bad}}, jobs[3:]...)...)

	got, err := tr.TriageScenes(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(jobs) {
		t.Fatalf("%d outcomes for %d jobs", len(got), len(jobs))
	}
	kept := 0
	for i, j := range jobs {
		want, werr := tr.TriageWithWater(context.Background(), j.Scene, j.Water)
		if werr != nil {
			if !errors.Is(got[i].Err, triage.ErrBands) || got[i].Result != nil {
				t.Errorf("job %d: outcome %+v, want ErrBands as alone (%v)", i, got[i], werr)
			}
			continue
		}
		g := got[i].Result
		if got[i].Err != nil || g == nil {
			t.Fatalf("job %d: outcome %+v", i, got[i])
		}
		if len(g.Tiles) != len(want.Tiles) || len(g.Detections) != len(want.Detections) {
			t.Fatalf("job %d: %d tiles, %d detections; alone %d, %d", i, len(g.Tiles), len(g.Detections), len(want.Tiles), len(want.Detections))
		}
		for k := range want.Tiles {
			a, b := g.Tiles[k], want.Tiles[k]
			if a.Row != b.Row || a.Col != b.Col || a.Decision != b.Decision || a.Kept != b.Kept || a.Confidence != b.Confidence || a.CloudFraction != b.CloudFraction {
				t.Errorf("job %d tile %d: %+v in the run, %+v alone", i, k, a, b)
			}
		}
		for k := range want.Detections {
			if g.Detections[k].Record.ID != want.Detections[k].Record.ID || !bytes.Equal(g.Detections[k].Chip, want.Detections[k].Chip) {
				t.Errorf("job %d detection %d: %s in the run, %s alone", i, k, g.Detections[k].Record.ID, want.Detections[k].Record.ID)
			}
		}
		if g.Log.TilesIn != len(g.Tiles) || g.Log.Kept != len(g.Detections) || g.Log.Duration <= 0 {
			t.Errorf("job %d: log %+v", i, g.Log)
		}
		kept += len(g.Detections)
	}
	if kept == 0 {
		t.Fatal("no detections at all: the comparison proves nothing")
	}

	base := runtime.NumGoroutine()
	for _, n := range []int{0, 5, 17, 20} { // 16 batches in the first scene
		if _, err := tr.TriageScenes(&cancelAfter{context.Background(), n}, jobs); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled after %d batches: err %v, want context.Canceled", n, err)
		}
	}
	for i := 0; runtime.NumGoroutine() > base && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > base {
		t.Errorf("%d goroutines after the cancelled runs, %d before", g, base)
	}
	if out, err := tr.TriageScenes(context.Background(), nil); err != nil || len(out) != 0 {
		t.Errorf("no jobs: %v, %v", out, err)
	}
}
