package triage_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/scenery"
	"github.com/skysieve/skysieve/triage/synth"
	ort "github.com/yalue/onnxruntime_go"
)

// evalSeed is the fixed held-out seed of the eval test; the model's
// training seed differs (Evaluate refuses it).
const evalSeed = 4242

// TestEvalThresholds runs the full pipeline on a fixed held-out set (200
// scenes, 51,200 tiles) and checks the targets.
func TestEvalThresholds(t *testing.T) {
	if testing.Short() {
		t.Skip("the eval takes many minutes under -short's emulated arm64; it runs in full mode")
	}
	tr := newTriage(t, func(c *triage.Config) { c.Logger = discardLogger() })
	rep, err := triage.Evaluate(context.Background(), tr, evalSeed, triage.DefaultEvalScenes)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep.PerClass)
	t.Logf("per class %s; actionable recall %.4f, false discard %.4f, data reduction %.4f", b, rep.ActionableRecall, rep.FalseDiscardRate, rep.DataReduction)
	checkTargets(t, rep)
}

// floor is what the eval must reach on evalSeed: issue 3's targets
// (recall ≥ 0.97, precision ≥ 0.95, false discard ≤ 1.2%, data reduction
// ≥ 0.99). On seed 4242 (200 scenes, model 4) the false discard rate is
// 1.17%, 18 of 1,537 actionable tiles, one tile inside the target (0.88%
// on validation seeds 1000–1019): most misses are hulls under thin cloud
// the network calls water, see issue 3's notes.
type floor struct{ recall, precision float64 }

var evalFloors = map[string]floor{
	record.ClassFire:   {0.97, 0.95},
	record.ClassFlood:  {0.97, 0.95},
	record.ClassVessel: {0.97, 0.95},
}

const (
	maxFalseDiscard  = 0.012
	minDataReduction = 0.99
)

func checkTargets(t *testing.T, rep *triage.EvalReport) {
	t.Helper()
	for _, c := range []string{record.ClassFire, record.ClassFlood, record.ClassVessel} {
		m, f := rep.PerClass[c], evalFloors[c]
		if m.Truth == 0 {
			t.Errorf("%s: no truth tiles in the set", c)
		}
		if m.Recall < f.recall {
			t.Errorf("%s recall %.3f < %.2f", c, m.Recall, f.recall)
		}
		if m.Precision < f.precision {
			t.Errorf("%s precision %.3f < %.2f", c, m.Precision, f.precision)
		}
	}
	if rep.FalseDiscardRate > maxFalseDiscard {
		t.Errorf("false discard rate %.4f > %.3f", rep.FalseDiscardRate, maxFalseDiscard)
	}
	if rep.DataReduction < minDataReduction {
		t.Errorf("data reduction %.4f < %.2f", rep.DataReduction, minDataReduction)
	}
	if rep.ModelBytes > 5<<20 {
		t.Errorf("model %d bytes > 5 MB", rep.ModelBytes)
	}
}

// TestEvaluateWithScenery scores scenes of the second, independently
// designed generator: every tile is scored once, and a generator whose
// truth is labelled on another tile grid is refused.
func TestEvaluateWithScenery(t *testing.T) {
	tr := newTriage(t, nil)
	const seed, scenes = 6107, 2
	t.Logf("seed %d", seed)
	rep, err := triage.EvaluateWith(context.Background(), tr, scenery.Random, seed, scenes)
	if err != nil {
		t.Fatal(err)
	}
	var want int
	for i := range scenes {
		_, truth := scenery.Random(seed, i)
		want += len(truth.Tiles)
	}
	if rep.Tiles != want || want == 0 {
		t.Fatalf("scored %d tiles, want %d", rep.Tiles, want)
	}
	coarse := func(seed uint64, i int) (*scene.Scene, *synth.Truth) {
		s, truth := scenery.Random(seed, i)
		truth.TileSize *= 2
		return s, truth
	}
	if _, err := triage.EvaluateWith(context.Background(), tr, coarse, seed, 1); err == nil {
		t.Fatal("a truth on a 64-pixel grid was scored against 32-pixel tiles")
	}
}

func TestEvalRefusesTrainingSeed(t *testing.T) {
	tr := newTriage(t, nil)
	seed, ok := tr.Model().Meta[triage.MetaTrainSeed]
	if !ok {
		t.Fatal("default model records no training seed")
	}
	var s uint64
	if err := json.Unmarshal([]byte(seed), &s); err != nil {
		t.Fatal(err)
	}
	if _, err := triage.Evaluate(context.Background(), tr, s, 1); !errors.Is(err, triage.ErrTrainingSeed) {
		t.Fatalf("got %v, want ErrTrainingSeed", err)
	}
}

// TestBenchJSON measures the pipeline against bare ONNX Runtime on the same
// model and batches, and the eval, for `make bench`.
func TestBenchJSON(t *testing.T) {
	dir := os.Getenv("SKYSIEVE_BENCH_DIR")
	if dir == "" {
		t.Skip("set SKYSIEVE_BENCH_DIR (make bench)")
	}
	tr := newTriage(t, func(c *triage.Config) { c.Logger = discardLogger() })
	const scenes = 12
	type gen struct {
		s     *sceneT
		truth *synth.Truth
	}
	var in []gen
	for i := 0; i < scenes; i++ {
		s, truth := synth.Generate(synth.RandomSpec(synth.MixEval, 99, i))
		in = append(in, gen{s, truth})
	}
	// Pipeline: the scenes as a backlog through TriageScenes, as the flight
	// spool hands them over (tiling, normalising, ORT, decisions, chips).
	// Also one TriageWithWater call per scene, each draining the pipeline.
	jobs := make([]triage.SceneJob, len(in))
	for i, g := range in {
		jobs[i] = triage.SceneJob{Scene: g.s, Water: g.truth}
	}
	var tiles int
	pipelineRun := func() time.Duration {
		tiles = 0
		start := time.Now()
		out, err := tr.TriageScenes(context.Background(), jobs)
		if err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		for _, o := range out {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			tiles += len(o.Result.Tiles)
		}
		return d
	}
	perSceneRun := func() time.Duration {
		start := time.Now()
		for _, g := range in {
			if _, err := tr.TriageWithWater(context.Background(), g.s, g.truth); err != nil {
				t.Fatal(err)
			}
		}
		return time.Since(start)
	}
	pipelineRun()
	perSceneRun()
	// Bare ORT: Run alone on the same batches, as the pipeline filled them
	// (copied into the bound input tensor untimed).
	var batches [][]float32
	for _, g := range in {
		bs, err := tr.NormalisedBatches(g.s)
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, bs...)
	}
	m := tr.Model()
	c := m.Contract
	batch := int64(triage.DefaultConfig().BatchSize)
	ts := int64(c.TileSize)
	x := make([]float32, batch*int64(len(c.Bands))*ts*ts)
	inT, _ := ort.NewTensor(ort.NewShape(batch, int64(len(c.Bands)), ts, ts), x)
	defer inT.Destroy()
	probs, _ := ort.NewEmptyTensor[float32](ort.NewShape(batch, int64(len(c.Classes))))
	defer probs.Destroy()
	cloud, _ := ort.NewEmptyTensor[float32](ort.NewShape(batch, 1))
	defer cloud.Destroy()
	opts, _ := ort.NewSessionOptions()
	opts.SetIntraOpNumThreads(1)
	opts.SetInterOpNumThreads(1)
	sess, err := ort.NewAdvancedSessionWithONNXData(m.Bytes, []string{c.Input}, []string{c.OutputProbs, c.OutputCloud}, []ort.Value{inT}, []ort.Value{probs, cloud}, opts)
	opts.Destroy()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Destroy()
	bareRun := func() time.Duration {
		var d time.Duration
		for _, b := range batches {
			copy(inT.GetData(), b)
			start := time.Now()
			if err := sess.Run(); err != nil {
				t.Fatal(err)
			}
			d += time.Since(start)
		}
		return d
	}
	// Alternate the two so both see the same load on a shared machine. The
	// ratio is the median over rounds of each round's pair (a host that
	// slows for a while slows both halves of a pair); the rates are each
	// side's best round.
	const rounds = 15
	pipeline, bare := time.Duration(1<<63-1), time.Duration(1<<63-1)
	var ratios, perScene []float64
	for range rounds {
		p, b, q := pipelineRun(), bareRun(), perSceneRun()
		pipeline, bare = min(pipeline, p), min(bare, b)
		ratios = append(ratios, b.Seconds()/p.Seconds())
		perScene = append(perScene, b.Seconds()/q.Seconds())
	}
	slices.Sort(ratios)
	slices.Sort(perScene)
	pipeTPS := float64(tiles) / pipeline.Seconds()
	bareTPS := float64(tiles) / bare.Seconds()
	ratio := ratios[rounds/2]

	evalStart := time.Now()
	rep, err := triage.Evaluate(context.Background(), tr, evalSeed, triage.DefaultEvalScenes)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{
		"pipeline_tiles_per_s":   pipeTPS,
		"bare_ort_tiles_per_s":   bareTPS,
		"pipeline_to_bare_ratio": ratio,
		"ratio_best_rounds":      pipeTPS / bareTPS,
		"ratio_rounds":           ratios,
		"per_scene_calls_ratio":  perScene[rounds/2],
		"scenes":                 scenes,
		"batch_size":             batch,
		"ort_threads":            1,
		"tiles":                  tiles,
		"eval":                   rep,
		"eval_seconds":           time.Since(evalStart).Seconds(),
	}
	write := func(name string, v any) {
		b, _ := json.MarshalIndent(v, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("triage.json", out)
	write("triage_eval.json", rep)
	t.Logf("pipeline %.0f tiles/s, bare ORT %.0f tiles/s, ratio %.3f (best rounds %.3f; rounds %.3f; one call per scene %.3f); eval %+v", pipeTPS, bareTPS, ratio, pipeTPS/bareTPS, ratios, perScene[rounds/2], rep.PerClass)
}

func BenchmarkTriage(b *testing.B) {
	tr := newTriage(b, func(c *triage.Config) { c.Logger = discardLogger() })
	s, truth := synth.Generate(synth.RandomSpec(synth.MixEval, 99, 1))
	b.SetBytes(int64(s.Width * s.Height * len(s.Bands) * 4))
	for b.Loop() {
		if _, err := tr.TriageWithWater(context.Background(), s, truth); err != nil {
			b.Fatal(err)
		}
	}
}
