package triage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/triage/scene"
	ort "github.com/yalue/onnxruntime_go"
)

// Config is everything a Triage needs. DefaultConfig fills every field.
type Config struct {
	// ModelPath is the ONNX model (DefaultModelPath when empty).
	ModelPath string
	// RuntimePath is the ONNX Runtime library (DefaultRuntimePath when empty).
	RuntimePath string
	// Threads is ONNX Runtime's intra-op thread count (1 when 0).
	Threads int
	// BatchSize is how many tiles go through the model per run. The
	// default, 16, keeps ONNX Runtime's activations in cache while the
	// other core fills and decides: on two cores the pipeline ran at
	// 0.89-0.93 of bare ORT with 16, 0.86-0.90 with 32 and 0.82-0.85 with
	// 64 (bare ORT itself is as fast from 16 to 64).
	BatchSize int
	// CloudDiscardFraction: tiles the model sees at least this cloudy are discarded.
	CloudDiscardFraction float64
	// Thresholds holds per detection class (fire, flood, vessel) the
	// confidence from which a tile is kept; a class without an entry uses
	// DefaultThreshold.
	Thresholds map[string]float64
	// FloodMaxRefWater: a water tile is a flood only when less than this
	// fraction of it is water in the reference water layer.
	FloodMaxRefWater float64
	// SkipFireCheck turns off the physical check on fire: by default a
	// fire tile is kept only if one of its pixels is hot: SWIR-2
	// reflectance ≥ 0.3, ≥ 1.4 × SWIR-1 and ≥ SWIR-1 + 0.2 (flaming
	// combustion outshines the sun at 2.2 µm; ordinary surfaces, bright
	// roofs and sand included, reflect less at 2.2 than at 1.6 µm), and a
	// tile the model does not see cloudy with a hot pixel is a fire
	// whatever the model says (HotPixelConfidence). A pixel passing only
	// relaxed tests (≥ 1.3 × SWIR-1 and ≥ SWIR-1 + 0.1, see candMinRatio)
	// is a candidate: a fire when the model is sure (FireTrustProb).
	// Scenes without swir1 and swir2 bands skip it.
	SkipFireCheck bool
	// SkipVesselCheck turns off the physical check on vessels: by default
	// a vessel tile is kept only if it holds a bright compact target on
	// water (see vesselTarget): a local NIR maximum at least 0.04 above
	// the mean of the water-like pixels (NIR below red, SWIR-1 not above
	// NIR) of the ring of pixels three away, where at least half of that
	// ring is water-like, standing out from its neighbours, and a tenth
	// dimmer in SWIR-1 than in NIR. Beaches, sand spits, roofs, glint,
	// cloud puffs and cloud edges fail it; a vessel close to the shore or
	// at the scene's edge passes. With a reference water layer the target
	// must also lie on or next to reference water (vessels sail the sea
	// and lakes; a bright speck in a flooded field is debris). A tile the
	// model scores at least VesselTrustProb that touches reference water
	// needs no target: a hull under thin cloud is dimmer than the cloud
	// around it, so no bright-target test can see it, while the model
	// still sees its shape. Scenes without red and nir bands skip it.
	SkipVesselCheck bool
	// SkipVesselDetect turns off the vessel detector: by default a tile
	// nothing else claims is kept as a vessel when it holds a target
	// passing the detecting test (see vesselTarget) on a pixel the
	// reference water layer calls water (never on flooded land; no layer,
	// no detector), with a contrast of at least 0.06 where the model gives
	// the tile a vessel probability of at least VesselDetectMinProb, and
	// of 0.1 where it calls the tile water (at least 0.5) or the layer
	// has water anywhere in the tile (a vessel by the shore in a tile of
	// land). The model misses small vessels under thin cloud, by the shore
	// and cut by a tile edge that a contrast test on the pixels finds. Its
	// confidence is the model's vessel and water probability together.
	SkipVesselDetect bool
	// ChipBudgetBytes bounds each evidence chip.
	ChipBudgetBytes int
	// WaterLayer is the reference water layer. When nil, WaterLayerPath is
	// loaded (LoadWaterLayer: GeoJSON water polygons or a one-band raster
	// mask); when both are empty no flood is ever called (water tiles are
	// discarded as no_water_reference).
	WaterLayer     WaterLayer
	WaterLayerPath string
	// Severity is each detection class's weight in the priority, 0..1.
	Severity map[string]float64
	// FreshnessHalfLife is the age at which a detection's priority halves.
	FreshnessHalfLife time.Duration
	// Clock tells the time for freshness (clock.Real when nil).
	Clock clock.Clock
	// Logger receives one record per scene (slog.Default when nil).
	Logger *slog.Logger
}

// DefaultThreshold is the confidence from which an actionable tile is kept,
// as OPS-SAT SmartCam keeps images. It holds for any class without its own
// entry in Config.Thresholds.
const DefaultThreshold = 0.70

// Default per-class thresholds below DefaultThreshold, tuned on held-out
// validation sets (synth.MixEval seeds 1000–1019, neither training nor eval
// seeds) for recall at ≥ 0.95 precision. A fire call must also pass the hot
// pixel check, which keeps precision at a low model threshold (small fires
// under thin cloud score 0.3–0.7). A flood call must also fall on reference
// land, so water scores from 0.5 (flood water under thin cloud or with
// debris) are safe to keep. A vessel call must also pass the vessel check
// (a bright compact target on reference water) or be trusted (see
// VesselTrustProb); with model 4 on seeds 1000–1019 it gives vessel
// recall 0.976 at precision 0.970 from 0.5, 0.973 at 0.973 from 0.7,
// and 0.978 at 0.967 from 0.4.
const (
	DefaultFireThreshold   = 0.30
	DefaultFloodThreshold  = 0.50
	DefaultVesselThreshold = 0.50
)

// Rules that let the physical checks speak where the model is unsure,
// tuned with the thresholds above on the same validation seeds:
//   - HotPixelConfidence: a clear tile with a pixel passing the fire check
//     is a fire whatever the model says, with at least this confidence
//     (the check is the daytime test of the Landsat active fire product,
//     whose commission error is well under 1%).
//   - FloodSpectralThreshold: a water probability from which a tile is
//     water when at least floodMinWaterLike of its pixels look like water
//     (waterLikeFraction); flood water under thin cloud scores 0.1-0.5.
//     With model 4 on seeds 1000–1019 the flood tiles the model calls
//     background hold 50–57% water, at the label's line: from 0.15 six
//     were discarded, from 0.1 five for one more false flood, from 0.05
//     four for two; from 0 the rule floods thousands of land tiles (dark
//     land passes the spectral test), so the model's say stays needed.
//   - VesselDetectMinProb: the least vessel probability that counts as the
//     model's hint for the vessel detector (see SkipVesselDetect).
//   - FireTrustProb: a fire probability from which a clear tile is kept
//     with a pixel passing only the fire check's candidate tier (see
//     candMinRatio). With model 4 on seeds 1000–1019 the strict tests
//     refused 6 true fire tiles the model called fire and 5 false ones;
//     from 0.9 the candidate tier kept 4 of the first and none of the
//     second (from 0.7, 6 and 1).
//   - VesselTrustProb: a vessel probability from which a tile touching
//     reference water is kept without a target passing the vessel check
//     (see SkipVesselCheck). With model 3 on seeds 1000–1019 the check
//     refused 31 true vessel tiles, mostly hulls under thin cloud, and 134
//     false ones; from 0.9 the rule kept 18 of the first and 5 of the
//     second (from 0.8, 26 and 22; from 0.95, 13 and 1). With model 4
//     (vessel threshold 0.5) vessel recall, precision and the false
//     discard rate are 0.960, 0.977, 1.59% without the rule; 0.970,
//     0.975, 1.28% from 0.95; 0.973, 0.975, 1.19% from 0.9; and 0.976,
//     0.970, 1.08% from 0.8. With the fire candidate tier as well: 0.976,
//     0.970, 1.00% from 0.8; 0.978, 0.966, 0.97% from 0.75; 0.978,
//     0.965, 0.95% from 0.7; 0.979, 0.956, 0.91% from 0.6. From 0.7 the
//     margins over the targets (recall 0.97, precision 0.95) are closest
//     to even (0.8 and 1.5 points; from 0.8, 0.6 and 2.0).
const (
	HotPixelConfidence     = 0.9
	FloodSpectralThreshold = 0.1
	floodMinWaterLike      = 0.5
	VesselDetectMinProb    = 0.05
	VesselTrustProb        = 0.7
	FireTrustProb          = 0.9
)

// MaxBatchSize bounds Config.BatchSize: two input tensors of that many
// 6-band 32×32 tiles take 200 MB, and a typo in a config file must not ask
// for more.
const MaxBatchSize = 4096

// DefaultConfig returns the defaults: the checked-in model, 1 ORT thread,
// batches of 16, discard at 70% cloud (but a confirmed fire), keep fire
// from 0.30, flood from 0.50 and vessels from 0.50, chips up to 2 KiB.
func DefaultConfig() Config {
	return Config{
		BatchSize:            16,
		Threads:              1,
		CloudDiscardFraction: 0.70,
		Thresholds: map[string]float64{
			record.ClassFire: DefaultFireThreshold, record.ClassFlood: DefaultFloodThreshold, record.ClassVessel: DefaultVesselThreshold,
		},
		FloodMaxRefWater:  0.25,
		ChipBudgetBytes:   2048,
		Severity:          map[string]float64{record.ClassFire: 1, record.ClassFlood: 0.8, record.ClassVessel: 0.5},
		FreshnessHalfLife: 6 * time.Hour,
	}
}

// Discard reasons in SceneLog.Discarded and TileResult.Decision.
const (
	ReasonCloud             = "cloud"
	ReasonBackground        = "background"
	ReasonOpenWater         = "open_water"         // water where the reference layer has water
	ReasonBelowThreshold    = "below_threshold"    // most likely actionable, but not confident enough
	ReasonNoWaterReference  = "no_water_reference" // water, but no reference layer to tell a flood
	ReasonFireUnconfirmed   = "fire_unconfirmed"   // the model says fire, no pixel passes the fire check
	ReasonVesselUnconfirmed = "vessel_unconfirmed" // the model says vessel, no bright target on water
)

// Errors callers can test for with errors.Is.
var (
	ErrBands  = errors.New("scene bands do not match the model")
	ErrScene  = errors.New("scene unusable")
	ErrClosed = errors.New("triage is closed")
)

// Detection is one kept tile: the record both ends of the link agree on
// and the evidence chip it describes (JPEG bytes, sent as its own item).
type Detection struct {
	Record record.Detection
	Chip   []byte
}

// TileResult is the model's view of one tile and what was decided.
type TileResult struct {
	Row, Col int // tile grid position
	X0, Y0   int // upper-left pixel
	// Probs are the model's class probabilities, in Contract.Classes order.
	Probs         []float32
	CloudFraction float32
	// RefWaterFraction is from the water layer, or -1 when not looked up.
	RefWaterFraction float64
	// Kept tells whether the tile became a detection; Decision is its class
	// if so, else the discard reason.
	Kept       bool
	Decision   string
	Confidence float64
}

// SceneLog summarises one scene: it is also logged as one slog record.
type SceneLog struct {
	SceneID     string
	TilesIn     int
	Kept        int
	KeptByClass map[string]int
	Discarded   map[string]int
	// Duration runs from the scene's first batch starting to fill to its
	// last tile decided (in a backlog, scenes next to each other overlap).
	Duration time.Duration
}

// Result is the outcome of triaging one scene.
type Result struct {
	Detections []Detection
	Tiles      []TileResult
	Log        SceneLog
}

// Triage runs one model on scenes. Its methods may be called from several
// goroutines; scenes are triaged one at a time.
type Triage struct {
	cfg    Config
	model  *Model
	batch  int
	bufs   [2]*batchBuf
	water  WaterLayer
	iProbs map[string]int // class name -> index
	mu     sync.Mutex
	closed bool
}

// batchBuf is one set of pre-allocated tensors, the input batch and the
// outputs, with an ONNX Runtime session bound to them (so a run passes no
// values across cgo: the same call as a bare benchmark makes).
type batchBuf struct {
	in      *ort.Tensor[float32]
	probs   *ort.Tensor[float32]
	cloud   *ort.Tensor[float32]
	session *ort.AdvancedSession
	job     *sceneJob // whose tiles fill it
	lo      int       // index in job.tiles of tiles[0]
	tiles   []tileRef // which tiles fill it
}

type tileRef struct{ row, col, x0, y0 int }

// sceneJob is one scene's passage through the pipeline: its tiles, the
// slots their outcomes go to, and when its work began and ended.
type sceneJob struct {
	s       *scene.Scene
	water   WaterLayer
	bandIdx []int
	tiles   []tileRef
	res     *Result
	dets    []*Detection // per tile, nil when discarded
	now     time.Time    // the injected clock when the scene began
	start   time.Time    // its first batch began filling (set by the filler)
	left    atomic.Int64 // tiles not yet decided
	end     atomic.Int64 // UnixNano when its last tile was decided
}

// span is a range of one scene's tiles, scored and waiting for decisions.
type span struct {
	j      *sceneJob
	lo, hi int
}

// New loads ONNX Runtime and the model, checks the model keeps the
// contract, and pre-allocates the tensors.
func New(cfg Config) (*Triage, error) {
	def := DefaultConfig()
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = def.BatchSize
	}
	if cfg.Threads <= 0 {
		cfg.Threads = def.Threads
	}
	if cfg.CloudDiscardFraction <= 0 {
		cfg.CloudDiscardFraction = def.CloudDiscardFraction
	}
	if cfg.FloodMaxRefWater <= 0 {
		cfg.FloodMaxRefWater = def.FloodMaxRefWater
	}
	if cfg.ChipBudgetBytes <= 0 {
		cfg.ChipBudgetBytes = def.ChipBudgetBytes
	}
	if cfg.Severity == nil {
		cfg.Severity = def.Severity
	}
	if cfg.FreshnessHalfLife <= 0 {
		cfg.FreshnessHalfLife = def.FreshnessHalfLife
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ModelPath == "" {
		cfg.ModelPath = DefaultModelPath()
	}
	if cfg.ChipBudgetBytes < MinChipBudgetBytes {
		return nil, fmt.Errorf("triage: chip budget %d bytes is below the minimum %d", cfg.ChipBudgetBytes, MinChipBudgetBytes)
	}
	if cfg.BatchSize > MaxBatchSize {
		return nil, fmt.Errorf("triage: batch size %d is above the maximum %d", cfg.BatchSize, MaxBatchSize)
	}
	for class, thr := range cfg.Thresholds {
		if !(thr >= 0 && thr <= 1) {
			return nil, fmt.Errorf("triage: threshold %v for class %s is outside [0,1]", thr, class)
		}
	}
	if err := InitRuntime(cfg.RuntimePath); err != nil {
		return nil, err
	}
	m, err := LoadModel(cfg.ModelPath)
	if err != nil {
		return nil, err
	}
	t := &Triage{cfg: cfg, model: m, batch: cfg.BatchSize, water: cfg.WaterLayer, iProbs: map[string]int{}}
	for i, c := range m.Contract.Classes {
		t.iProbs[c] = i
	}
	if t.water == nil && cfg.WaterLayerPath != "" {
		if t.water, err = LoadWaterLayer(cfg.WaterLayerPath); err != nil {
			return nil, err
		}
	}
	if m.FixedBatch > 0 {
		t.batch = int(m.FixedBatch)
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("triage: session options: %s", oneLine(err))
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(cfg.Threads); err != nil {
		return nil, fmt.Errorf("triage: %d intra-op threads: %s", cfg.Threads, oneLine(err))
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("triage: inter-op threads: %s", oneLine(err))
	}
	c := m.Contract
	for i := range t.bufs {
		b := &batchBuf{}
		t.bufs[i] = b
		ts := int64(c.TileSize)
		if b.in, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(t.batch), int64(len(c.Bands)), ts, ts)); err == nil {
			if b.probs, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(t.batch), int64(len(c.Classes)))); err == nil {
				b.cloud, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(t.batch), 1))
			}
		}
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("triage: allocate tensors: %s", oneLine(err))
		}
		b.session, err = ort.NewAdvancedSessionWithONNXData(m.Bytes, []string{c.Input}, []string{c.OutputProbs, c.OutputCloud},
			[]ort.Value{b.in}, []ort.Value{b.probs, b.cloud}, opts)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("triage model %s: ONNX Runtime refused it: %s", m.Path, oneLine(err))
		}
	}
	return t, nil
}

// Model returns the loaded model and its contract.
func (t *Triage) Model() *Model { return t.model }

// Close releases the sessions and tensors. It is safe to call twice.
func (t *Triage) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	var first error
	for _, b := range t.bufs {
		if b == nil {
			continue
		}
		if b.session != nil {
			if err := b.session.Destroy(); err != nil && first == nil {
				first = err
			}
		}
		for _, v := range []*ort.Tensor[float32]{b.in, b.probs, b.cloud} {
			if v != nil {
				_ = v.Destroy()
			}
		}
	}
	return first
}

// Triage triages scene s with the configured reference water layer.
func (t *Triage) Triage(ctx context.Context, s *scene.Scene) (*Result, error) {
	return t.TriageWithWater(ctx, s, t.water)
}

// TriageWithWater triages scene s using water as its reference water layer
// (for example the synth.Truth of a generated scene; nil: none). It cuts
// the scene into tiles (the last row and column shifted inwards so the
// whole scene is covered), runs them through the model in batches, decides
// per tile, and returns the detections with their chips and a log of what
// was discarded and why, which it also writes as one slog record.
func (t *Triage) TriageWithWater(ctx context.Context, s *scene.Scene, water WaterLayer) (*Result, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	j, err := t.newJob(s, water)
	if err != nil {
		return nil, err
	}
	if err := t.run(ctx, []*sceneJob{j}); err != nil {
		return nil, err
	}
	return j.res, nil
}

// SceneJob is one scene for TriageScenes and the reference water layer to
// judge it by (nil: the configured one).
type SceneJob struct {
	Scene *scene.Scene
	Water WaterLayer
}

// SceneOutcome is one scene's result, or the error that refused it.
type SceneOutcome struct {
	Result *Result
	Err    error
}

// TriageScenes triages scenes back to back through one pipeline: the next
// scene's first batch is filled while the last batches of the one before
// are scored and decided, so ONNX Runtime does not wait between scenes
// (a backlog of captures, as in the flight spool). Each result is what
// TriageWithWater would return for its scene, logged as one record in
// scene order. A scene the contract refuses (ErrScene, ErrBands) gets its
// error in its outcome and the others go on; a failure of the pipeline
// itself (ctx ended, ONNX Runtime, a chip) returns as the error, with no
// outcomes.
func (t *Triage) TriageScenes(ctx context.Context, jobs []SceneJob) ([]SceneOutcome, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	out := make([]SceneOutcome, len(jobs))
	var run []*sceneJob
	for i, sj := range jobs {
		w := sj.Water
		if w == nil {
			w = t.water
		}
		j, err := t.newJob(sj.Scene, w)
		if err != nil {
			out[i].Err = err
			continue
		}
		out[i].Result = j.res
		run = append(run, j)
	}
	if err := t.run(ctx, run); err != nil {
		return nil, err
	}
	return out, nil
}

// newJob checks s against the contract and lays out its tiles.
func (t *Triage) newJob(s *scene.Scene, water WaterLayer) (*sceneJob, error) {
	bandIdx, err := t.checkScene(s)
	if err != nil {
		return nil, err
	}
	tiles := tileGrid(s.Width, s.Height, t.model.Contract.TileSize)
	j := &sceneJob{s: s, water: water, bandIdx: bandIdx, tiles: tiles,
		res:  &Result{Tiles: make([]TileResult, len(tiles))},
		dets: make([]*Detection, len(tiles)),
	}
	j.res.Log = SceneLog{SceneID: s.ID, TilesIn: len(tiles), KeptByClass: map[string]int{}, Discarded: map[string]int{}}
	j.left.Store(int64(len(tiles)))
	return j, nil
}

// run triages jobs through the pipeline, then gathers and logs each one's
// result in order.
func (t *Triage) run(ctx context.Context, jobs []*sceneJob) error {
	if len(jobs) == 0 {
		return nil
	}
	for _, j := range jobs {
		j.now = t.cfg.Clock.Now()
	}
	jobs[0].start = time.Now()
	if err := t.infer(ctx, jobs); err != nil {
		return err
	}
	for _, j := range jobs {
		res := j.res
		for i, d := range j.dets {
			if d == nil {
				res.Log.Discarded[res.Tiles[i].Decision]++
				continue
			}
			res.Detections = append(res.Detections, *d)
			res.Log.Kept++
			res.Log.KeptByClass[d.Record.Class]++
		}
		j.dets = nil
		res.Log.Duration = time.Unix(0, j.end.Load()).Sub(j.start)
		t.log(ctx, res.Log)
	}
	return nil
}

// decideSpan settles the tiles of sp, each into its own slot (so the
// result is in tile order whoever decided it), and stamps the scene's end
// when its last tile is done.
func (t *Triage) decideSpan(sp span) error {
	j := sp.j
	for i := sp.lo; i < sp.hi; i++ {
		d, err := t.settle(j.s, j.water, &j.res.Tiles[i], j.now)
		if err != nil {
			return err
		}
		j.dets[i] = d
	}
	if j.left.Add(-int64(sp.hi-sp.lo)) == 0 {
		j.end.Store(time.Now().UnixNano())
	}
	return nil
}

// decideChunk is how many tiles the decision workers take at a time.
const decideChunk = 8

// settle decides one tile and, if kept, returns its detection.
func (t *Triage) settle(s *scene.Scene, water WaterLayer, tr *TileResult, now time.Time) (*Detection, error) {
	t.decide(s, water, tr)
	if !tr.Kept {
		return nil, nil
	}
	d, err := t.detection(s, tr, now)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (t *Triage) log(ctx context.Context, l SceneLog) {
	disc := make([]any, 0, 2*len(l.Discarded))
	for _, r := range []string{ReasonCloud, ReasonBackground, ReasonOpenWater, ReasonBelowThreshold, ReasonNoWaterReference, ReasonFireUnconfirmed, ReasonVesselUnconfirmed} {
		disc = append(disc, slog.Int(r, l.Discarded[r]))
	}
	kept := make([]any, 0, 3)
	for _, c := range []string{record.ClassFire, record.ClassFlood, record.ClassVessel} {
		kept = append(kept, slog.Int(c, l.KeptByClass[c]))
	}
	t.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "triage scene",
		slog.String("scene", l.SceneID), slog.Int("tiles_in", l.TilesIn), slog.Int("kept", l.Kept),
		slog.Group("kept_by_class", kept...), slog.Group("discarded", disc...),
		slog.Duration("duration", l.Duration))
}

// checkScene validates s against the contract and returns, per contract
// band, the scene's band index.
func (t *Triage) checkScene(s *scene.Scene) ([]int, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil scene", ErrScene)
	}
	c := t.model.Contract
	if s.Width < c.TileSize || s.Height < c.TileSize {
		return nil, fmt.Errorf("%w: scene %q is %d×%d pixels, smaller than one %d-pixel tile", ErrScene, s.ID, s.Width, s.Height, c.TileSize)
	}
	if len(s.Data) != len(s.Bands) {
		return nil, fmt.Errorf("%w: scene %q names %d bands but holds %d planes", ErrScene, s.ID, len(s.Bands), len(s.Data))
	}
	for b, p := range s.Data {
		if len(p) != s.Width*s.Height {
			return nil, fmt.Errorf("%w: scene %q band %s has %d values, want %d×%d", ErrScene, s.ID, s.Bands[b], len(p), s.Width, s.Height)
		}
	}
	if err := s.Geo.Validate(); err != nil {
		return nil, fmt.Errorf("%w: scene %q georeference: %v", ErrScene, s.ID, err)
	}
	if s.CaptureTime.IsZero() {
		return nil, fmt.Errorf("%w: scene %q has no capture time", ErrScene, s.ID)
	}
	idx := make([]int, len(c.Bands))
	for i, want := range c.Bands {
		idx[i] = -1
		for j, have := range s.Bands {
			if have == want {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			return nil, fmt.Errorf("%w: model needs bands %v, scene %q has %v: %s is missing", ErrBands, c.Bands, s.ID, s.Bands, want)
		}
	}
	return idx, nil
}

// tileGrid cuts w×h into tile×tile windows, the last row and column moved
// inwards to end at the edge.
func tileGrid(w, h, tile int) []tileRef {
	cols, rows := (w+tile-1)/tile, (h+tile-1)/tile
	out := make([]tileRef, 0, rows*cols)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			out = append(out, tileRef{row: r, col: c, x0: min(c*tile, w-tile), y0: min(r*tile, h-tile)})
		}
	}
	return out
}

// infer runs every job's tiles through the model in batches (a batch
// holds one scene's tiles) and has t.decideSpan called on every tile range
// it scored, each once. ONNX Runtime runs on the calling goroutine; one
// helper goroutine normalises the next batch into its tensor meanwhile
// (crossing into the next scene as soon as a scene's last batch is filled)
// and, while it waits for a free tensor, decides the tiles already scored.
// Only one goroutine works beside the runtime's thread, so two cores are
// never asked for three threads' work (a filler and a decider apart could
// both run while the runtime did). Once the last batch is scored the
// caller decides beside the helper. On error nothing decides after infer
// returns.
func (t *Triage) infer(ctx context.Context, jobs []*sceneJob) error {
	spans := 0 // the most spans scoreAll can send: ready never blocks it
	for _, j := range jobs {
		spans += len(j.tiles)/decideChunk + (len(j.tiles)+t.batch-1)/t.batch
	}
	free := make(chan *batchBuf, len(t.bufs))
	full := make(chan *batchBuf, len(t.bufs))
	ready := make(chan span, spans+1)
	stop := make(chan struct{})
	helped := make(chan error, 1)
	free <- t.bufs[1]
	// The first batch is filled by both goroutines, half each: nothing
	// else can run until it is ready.
	first := t.bufs[0]
	first.job, first.lo, first.tiles = jobs[0], 0, jobs[0].tiles[:min(t.batch, len(jobs[0].tiles))]
	half := (len(first.tiles) + 1) / 2
	go func() {
		var err error
		take := func(sp span) {
			if err == nil {
				err = t.decideSpan(sp)
			}
		}
		// freeBuf waits for a free tensor, deciding scored tiles meanwhile;
		// nil once stopped. The runtime waits on the next batch, not on
		// decisions: a free tensor is taken first.
		freeBuf := func() *batchBuf {
			for {
				select {
				case b := <-free:
					return b
				default:
				}
				select {
				case b := <-free:
					return b
				case sp := <-ready:
					take(sp)
				case <-stop:
					return nil
				}
			}
		}
		defer func() { helped <- err }()
		for ji, j := range jobs {
			for lo := 0; lo < len(j.tiles); lo += t.batch {
				b := first
				if ji == 0 && lo == 0 {
					t.fill(b, half, len(b.tiles))
				} else {
					if b = freeBuf(); b == nil {
						return
					}
					if lo == 0 {
						j.start = time.Now()
					}
					b.job, b.lo, b.tiles = j, lo, j.tiles[lo:min(lo+t.batch, len(j.tiles))]
					t.fill(b, 0, len(b.tiles))
				}
				select {
				case full <- b:
				case <-stop:
					return
				}
			}
		}
		close(full)
		for {
			select {
			case sp, ok := <-ready:
				if !ok {
					return
				}
				take(sp)
			case <-stop:
				return
			}
		}
	}()
	err := t.scoreAll(ctx, jobs, first, half, full, free, ready)
	if err != nil {
		close(stop)
		<-helped
		return err
	}
	close(ready)
	for sp := range ready {
		if err = t.decideSpan(sp); err != nil {
			close(stop)
			break
		}
	}
	if herr := <-helped; err == nil {
		err = herr
	}
	return err
}

// scoreAll fills its half of the first batch, then runs every filled batch
// through ONNX Runtime, writes each tile's scores into its job's result,
// hands the tensor back to free and the scored tile ranges to ready.
func (t *Triage) scoreAll(ctx context.Context, jobs []*sceneJob, first *batchBuf, half int, full <-chan *batchBuf, free chan<- *batchBuf, ready chan<- span) error {
	t.fill(first, 0, half)
	nc := len(t.model.Contract.Classes)
	var all int
	for _, j := range jobs {
		all += len(j.tiles)
	}
	slab := make([]float32, all*nc) // all tiles' probabilities, one allocation
	done := 0
	for b := range full {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := b.session.Run(); err != nil {
			return fmt.Errorf("triage: ONNX Runtime run: %s", oneLine(err))
		}
		probs, cloud := b.probs.GetData(), b.cloud.GetData()
		j, lo, n := b.job, b.lo, len(b.tiles) // b is the helper's once handed back
		copy(slab[done*nc:], probs[:n*nc])
		for k, tr := range b.tiles {
			j.res.Tiles[lo+k] = TileResult{
				Row: tr.row, Col: tr.col, X0: tr.x0, Y0: tr.y0,
				Probs:            slab[(done+k)*nc : (done+k+1)*nc : (done+k+1)*nc],
				CloudFraction:    cloud[k],
				RefWaterFraction: -1,
			}
		}
		free <- b
		for c := lo; c < lo+n; c += decideChunk {
			ready <- span{j, c, min(c+decideChunk, lo+n)}
		}
		done += n
	}
	if done != all {
		return fmt.Errorf("triage: %d of %d tiles inferred", done, all)
	}
	return nil
}

// fill normalises b's tiles k0..k1-1 into its input tensor; the call that
// fills the last tile also zero-pads a short batch.
func (t *Triage) fill(b *batchBuf, k0, k1 int) {
	c := t.model.Contract
	ts := c.TileSize
	s := b.job.s
	x := b.in.GetData()
	per := len(c.Bands) * ts * ts
	// Band by band and row by row across the batch's tiles, so the scene
	// is read in long runs (a batch's tiles sit side by side in it).
	for bi, sb := range b.job.bandIdx {
		m, inv := c.Mean[bi], 1/c.Std[bi]
		src := s.Data[sb]
		for y := 0; y < ts; y++ {
			for k := k0; k < k1; k++ {
				tr := b.tiles[k]
				row := src[(tr.y0+y)*s.Width+tr.x0 : (tr.y0+y)*s.Width+tr.x0+ts]
				o := x[k*per+(bi*ts+y)*ts : k*per+(bi*ts+y+1)*ts]
				o = o[:len(row)] // one bounds check per row, none per pixel
				for i, v := range row {
					if v != v { // NaN: no data, read as dark
						v = 0
					}
					o[i] = (v - m) * inv
				}
			}
		}
	}
	if k1 == len(b.tiles) {
		clear(x[len(b.tiles)*per:])
	}
}

// decide applies the keep/discard policy to one tile. A water layer that
// fails for the tile (does not cover it) counts as no reference there.
func (t *Triage) decide(s *scene.Scene, water WaterLayer, tr *TileResult) {
	p := func(class string) float64 {
		if i, ok := t.iProbs[class]; ok {
			return float64(tr.Probs[i])
		}
		return 0
	}
	thr := func(class string) float64 {
		if v, ok := t.cfg.Thresholds[class]; ok {
			return v
		}
		return DefaultThreshold
	}
	ts := t.model.Contract.TileSize
	pf := p(ClassFire)
	// level: the fire check's grade of the tile's hottest pixel (hot: a
	// pixel passes the strict tests); hotKnown: the scene has the bands to
	// tell. Cloudy tiles look only when the model says fire.
	level, hotKnown := fireNone, false
	cloudy := float64(tr.CloudFraction) >= t.cfg.CloudDiscardFraction
	if !t.cfg.SkipFireCheck && (!cloudy || pf >= thr(record.ClassFire)) {
		level, hotKnown = firePixel(s, tr.X0, tr.Y0, ts)
	}
	hot := level == fireHot
	if cloudy {
		// A fire seen through a gap in the cloud is still a fire: a tile
		// the model calls fire with a pixel passing the hot check is kept
		// however cloudy the model thinks it is (the model's cloud fraction
		// runs a few points above the truth on broken cloud, and fire
		// tiles are rare and urgent). Anything else cloudy is discarded.
		if pf >= thr(record.ClassFire) && (hot || !hotKnown) {
			tr.Kept, tr.Decision, tr.Confidence = true, record.ClassFire, pf
			return
		}
		tr.Decision = ReasonCloud
		return
	}
	best, bestP := "", 0.0
	consider := func(class string, prob float64) {
		if prob >= thr(class) && prob > bestP {
			best, bestP = class, prob
		}
	}
	unconfirmed, unconfirmedVessel := false, false
	switch {
	case hot:
		// A hot pixel on a clear tile is a fire whatever the model says
		// (the model scores small fires under thin cloud low; the check
		// is the Landsat active fire product's own test).
		best, bestP = record.ClassFire, max(pf, HotPixelConfidence)
	case pf >= thr(record.ClassFire) && level == fireCandidate && pf >= FireTrustProb:
		// A candidate the model is sure of: small fires and fires under
		// thin cloud fall short of the strict tests.
		best, bestP = record.ClassFire, pf
	case pf >= thr(record.ClassFire) && hotKnown:
		unconfirmed = true
	default:
		consider(record.ClassFire, pf)
	}
	pv := p(ClassVessel)
	if pv >= thr(record.ClassVessel) {
		if t.cfg.SkipVesselCheck {
			consider(record.ClassVessel, pv)
		} else if tg, ok := vesselTarget(s, tr.X0, tr.Y0, ts, false, water, 1); !ok || tg.Contrast > 0 ||
			pv >= VesselTrustProb && water != nil && touchesWater(s, water, tr.X0, tr.Y0, ts) {
			consider(record.ClassVessel, pv)
		} else {
			unconfirmedVessel = true
		}
	}
	consider(record.ClassFlood, p(ClassFlood))
	waterReason := ""
	pw := p(ClassWater)
	if pw > bestP && (pw >= thr(record.ClassFlood) || pw >= FloodSpectralThreshold && waterLikeFraction(s, tr.X0, tr.Y0, ts) >= floodMinWaterLike) {
		if water == nil {
			waterReason = ReasonNoWaterReference
		} else {
			f, err := water.WaterFraction(s, tr.X0, tr.Y0, tr.X0+ts, tr.Y0+ts)
			switch {
			case err != nil:
				// A layer that does not cover the tile cannot tell a
				// flood from the sea: never call one there.
				waterReason = ReasonNoWaterReference
			case f < t.cfg.FloodMaxRefWater:
				tr.RefWaterFraction = f
				best, bestP = record.ClassFlood, pw
			default:
				tr.RefWaterFraction = f
				waterReason = ReasonOpenWater
			}
		}
	}
	if hint := pv >= VesselDetectMinProb; best == "" && !t.cfg.SkipVesselDetect && water != nil && (hint || pw >= vesselAloneMinWater || touchesWater(s, water, tr.X0, tr.Y0, ts)) {
		// The detector may call a vessel on reference water (the sea, a
		// lake), never on flooded land: with a hint from the model from
		// the detecting test's contrast, on a tile the model calls water
		// from vesselAloneContrast.
		if tg, ok := vesselTarget(s, tr.X0, tr.Y0, ts, true, water, 0); ok && tg.Contrast > 0 && (hint || tg.Contrast >= vesselAloneContrast) {
			best, bestP = record.ClassVessel, min(1, pv+pw)
		}
	}
	if best != "" {
		tr.Kept, tr.Decision, tr.Confidence = true, best, bestP
		return
	}
	top, topP := ClassBackground, -1.0
	for c, i := range t.iProbs {
		if v := float64(tr.Probs[i]); v > topP || (v == topP && c < top) {
			top, topP = c, v
		}
	}
	tr.Confidence = topP
	switch {
	case unconfirmed:
		tr.Decision = ReasonFireUnconfirmed
	case unconfirmedVessel:
		tr.Decision = ReasonVesselUnconfirmed
	case top == ClassCloud:
		tr.Decision = ReasonCloud
	case top == ClassWater && waterReason != "":
		tr.Decision = waterReason
	case top == ClassWater && water == nil:
		tr.Decision = ReasonNoWaterReference
	case top == ClassWater:
		f, err := water.WaterFraction(s, tr.X0, tr.Y0, tr.X0+ts, tr.Y0+ts)
		switch {
		case err != nil:
			tr.Decision = ReasonNoWaterReference
		case f < t.cfg.FloodMaxRefWater:
			tr.RefWaterFraction, tr.Decision = f, ReasonBelowThreshold
		default:
			tr.RefWaterFraction, tr.Decision = f, ReasonOpenWater
		}
	case top == ClassFire || top == ClassVessel || top == ClassFlood:
		tr.Decision = ReasonBelowThreshold
	default:
		tr.Decision = ReasonBackground
	}
}

// The fire check's thresholds, after the daytime tests of the Landsat
// active fire algorithm (Schroeder et al. 2016, Remote Sensing of
// Environment 185:210–220): a hot pixel has SWIR-2 reflectance at least
// hotMinSWIR2, hotMinRatio times its SWIR-1, and hotMinExcess above it.
// Bright roofs, sand, dark water and shadows fail one test or another.
const (
	hotMinSWIR2  = 0.3
	hotMinRatio  = 1.4
	hotMinExcess = 0.2
)

// fireLevel grades a window's hottest evidence: fireNone, fireCandidate
// (a pixel passes the relaxed tests candMinRatio and candMinExcess but
// not the strict ones: a small or partly hidden fire, or a warm surface)
// or fireHot (a pixel passes the strict tests).
type fireLevel int

const (
	fireNone fireLevel = iota
	fireCandidate
	fireHot
)

// The fire candidate tier, after the potential-fire tier of the same
// algorithm, whose candidates need context to be called fires: SWIR-2 at
// least hotMinSWIR2, candMinRatio times SWIR-1 and candMinExcess above it.
// Here the context is the model (see FireTrustProb). On seeds 1000–1019
// the four small fires the model called at ≥ 0.95 and the strict tests
// refused had ratios 1.32–1.59 and excesses 0.10–0.19.
const (
	candMinRatio  = 1.3
	candMinExcess = 0.1
)

// firePixel grades the size×size window at (x0, y0) by its hottest pixel;
// ok is false when the scene lacks either SWIR band.
func firePixel(s *scene.Scene, x0, y0, size int) (level fireLevel, ok bool) {
	i1, i2 := slices.Index(s.Bands, scene.BandSWIR1), slices.Index(s.Bands, scene.BandSWIR2)
	if i1 < 0 || i2 < 0 {
		return fireNone, false
	}
	for y := y0; y < y0+size; y++ {
		r1 := s.Data[i1][y*s.Width+x0 : y*s.Width+x0+size]
		r2 := s.Data[i2][y*s.Width+x0 : y*s.Width+x0+size]
		for x, v := range r2 {
			if v < hotMinSWIR2 || v < candMinRatio*r1[x] || v-r1[x] < candMinExcess {
				continue
			}
			if v >= hotMinRatio*r1[x] && v-r1[x] >= hotMinExcess {
				return fireHot, true
			}
			level = fireCandidate
		}
	}
	return level, true
}

// waterLikeFraction is the fraction of the size×size window at (x0, y0)
// whose pixels look like water: NIR below red and SWIR-1 not above NIR
// (open water absorbs in the NIR and more so at 1.6 µm; land, vegetation
// and even hazy land reflect more there). It is 0 when the scene lacks
// red or NIR.
func waterLikeFraction(s *scene.Scene, x0, y0, size int) float64 {
	ir, in, i1 := slices.Index(s.Bands, scene.BandRed), slices.Index(s.Bands, scene.BandNIR), slices.Index(s.Bands, scene.BandSWIR1)
	if ir < 0 || in < 0 {
		return 0
	}
	var n int
	for y := y0; y < y0+size; y++ {
		o := y*s.Width + x0
		red, nir := s.Data[ir][o:o+size], s.Data[in][o:o+size]
		for x, v := range nir {
			if v < red[x] && (i1 < 0 || s.Data[i1][o+x] <= v) {
				n++
			}
		}
	}
	return float64(n) / float64(size*size)
}

// The vessel check looks for a bright compact target on water, the way
// optical ship detectors do (a constant-false-alarm-rate test against the
// local sea, then shape and spectrum tests on what stands out). A target
// pixel:
//   - is bright in NIR (the sea is dark there), at least a tenth dimmer
//     in SWIR-1 than in NIR (soil, sand, roofs and laterite are as bright
//     or brighter at 1.6 µm, a painted hull and a cloud are not), and in
//     NIR at least vesselMinNIRRed of its red (whitecaps, surf on a reef
//     and wakes are foam, whose water absorbs in the NIR: they are far
//     dimmer there than in the visible; a hull is not);
//   - is a local maximum: brighter by vesselMinPeak of its contrast than
//     both neighbours along at least one of the four axes through it (the
//     shoulder of a cloud edge is not);
//   - is compact: its NIR stands vesselMinCompact of its contrast above
//     the mean of its eight neighbours (a hull is a pixel or two wide; a
//     cloud puff or a glint patch rises over several pixels). Neighbours
//     that are land (NIR above vesselLandNIRRed of red: vegetation; or
//     SWIR-1 above NIR: soil, sand, roofs) are left out of this test and
//     the last, so a hull moored against a green shore still stands out;
//   - stands on water: at least vesselMinRingWaterNum/Den of the ring of
//     pixels vesselRingPx away is water-like (NIR below red and SWIR-1 not
//     above NIR: water, glint and haze over water), and its contrast, its
//     NIR above the mean of those ring pixels, is at least
//     vesselMinContrast. Counting ring pixels rather than averaging the
//     ring keeps a vessel within three pixels of the shore.
//
// When the model already says vessel that confirms it. When the model says
// water the detector must make the case alone, so it asks more: the
// contrast over a plane fitted to the ring's water (see detectContrast: a
// haze gradient or a cloud edge tilts the sea under a hull) reaches
// vesselDetectContrast and vesselDetectSigmas standard deviations of the
// ring about that plane (its brightest quarter left out, so a long hull
// crossing the ring does not inflate it; floored at the sensor noise
// vesselNoiseFloor), and the target is grey: its red excess over the
// ring's plane is within vesselGreyLow..vesselGreyHigh times its NIR
// excess (vegetation on a spit is far redder in NIR, whitecaps and foam
// far dimmer). Without the model's hint the detecting test's contrast must
// reach vesselAloneContrast: with model 4 on seeds 1000–1019, from 0.09
// rather than 0.1 it finds 2 more true vessel tiles for 2 false ones
// (from 0.08, 3 for 10; from 0.07, 5 for 18: glint and thin cloud puffs).
const (
	vesselMinContrast     = 0.04
	vesselMaxSWIR1Ratio   = 0.9
	vesselMinNIRRed       = 0.75
	vesselMinPeak         = 0.2
	vesselMinCompact      = 0.5
	vesselLandNIRRed      = 1.5
	vesselRingPx          = 3
	vesselMinRingWaterNum = 1
	vesselMinRingWaterDen = 2

	vesselAloneMinWater  = 0.5
	vesselDetectContrast = 0.06
	vesselAloneContrast  = 0.09
	vesselDetectSigmas   = 3
	vesselPlaneMinPx     = 8
	vesselNoiseFloor     = 0.005
	vesselGreyLow        = 0.6
	vesselGreyHigh       = 1.4
)

// vesselTarget returns the strongest bright compact target on water in the
// size×size window at (x0, y0) (a zero Contrast if there is none) by the
// confirming test or, when detect is set, the stricter detecting test.
// With a water layer only targets on its water, or within margin pixels of
// it, count (see onWater): a brighter one on land, a roof on a flooded
// field, does not hide a hull in the harbour. ok is false when the scene
// lacks red or NIR and nothing can be said.
func vesselTarget(s *scene.Scene, x0, y0, size int, detect bool, water WaterLayer, margin int) (tg vesselHit, ok bool) {
	ir, in, i1 := slices.Index(s.Bands, scene.BandRed), slices.Index(s.Bands, scene.BandNIR), slices.Index(s.Bands, scene.BandSWIR1)
	if ir < 0 || in < 0 {
		return tg, false
	}
	red, nir := s.Data[ir], s.Data[in]
	var swir1 []float32
	if i1 >= 0 {
		swir1 = s.Data[i1]
	}
	w, h := s.Width, s.Height
	const d = vesselRingPx
	// The ring's pixels as offsets from its centre, each once.
	var ring [8 * d][2]int
	k := 0
	for j := -d; j < d; j++ {
		ring[k], ring[k+1], ring[k+2], ring[k+3] = [2]int{j, -d}, [2]int{-j, d}, [2]int{d, j}, [2]int{-d, -j}
		k += 4
	}
	var ringNIR, ringRed [8 * d]float32
	var ringOff [8 * d][2]int
	for y := y0; y < y0+size; y++ {
		for x := x0; x < x0+size; x++ {
			i := y*w + x
			v := nir[i]
			if v < vesselMinContrast || v < vesselMinNIRRed*red[i] || (swir1 != nil && swir1[i] > vesselMaxSWIR1Ratio*v) {
				continue
			}
			// The compactness test below needs some neighbour at least
			// vesselMinCompact × vesselMinContrast dimmer: a cheap first
			// look at the eight NIR neighbours of an inner pixel turns away
			// most of a hazy sea or a cloud without the full tests.
			if x > 0 && y > 0 && x < w-1 && y < h-1 {
				const floor = vesselMinCompact * vesselMinContrast
				up, dn := nir[i-w-1:i-w+2], nir[i+w-1:i+w+2]
				lo := min(up[0], up[1], up[2], dn[0], dn[1], dn[2], nir[i-1], nir[i+1])
				if v-lo < floor {
					continue
				}
			}
			// Neighbours and ring pixels off the scene's edge are left
			// out, so a vessel at the edge is still seen, and so are
			// neighbours that are land, so a hull against the shore is.
			var peak, sum8 float32 = -1, 0
			n8 := 0
			for _, o := range [4][2]int{{1, 0}, {0, 1}, {1, 1}, {1, -1}} {
				hi, both := float32(0), true
				for _, sgn := range [2]int{1, -1} {
					nx, ny := x+sgn*o[0], y+sgn*o[1]
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						both = false
						continue
					}
					a := nir[ny*w+nx]
					if a > vesselLandNIRRed*red[ny*w+nx] || swir1 != nil && swir1[ny*w+nx] > a {
						both = false
						continue
					}
					hi = max(hi, a)
					sum8 += a
					n8++
				}
				if both {
					peak = max(peak, v-hi)
				}
			}
			// A target stands vesselMinCompact × its contrast, and so at
			// least that × vesselMinContrast, above its neighbours: most
			// pixels of a smooth sea or cloud stop here.
			if n8 == 0 {
				continue
			}
			compact := v - sum8/float32(n8)
			if peak <= 0 || compact < vesselMinCompact*vesselMinContrast {
				continue
			}
			n, nIn := 0, 0
			var sum float32
			for _, o := range ring {
				rx, ry := x+o[0], y+o[1]
				if rx < 0 || ry < 0 || rx >= w || ry >= h {
					continue
				}
				nIn++
				j := ry*w + rx
				if nir[j] < red[j] && (swir1 == nil || swir1[j] <= nir[j]) {
					ringNIR[n], ringRed[n], ringOff[n] = nir[j], red[j], o
					sum += nir[j]
					n++
				}
			}
			if 2*nIn < len(ring) || vesselMinRingWaterDen*n < vesselMinRingWaterNum*nIn {
				continue
			}
			c := v - sum/float32(n)
			if detect {
				var ok bool
				if c, ok = detectContrast(v, red[i], ringNIR[:n], ringRed[:n], ringOff[:n]); !ok {
					continue
				}
			}
			if c < vesselMinContrast || peak < vesselMinPeak*c || compact < vesselMinCompact*c {
				continue
			}
			if c > tg.Contrast && onWater(s, water, vesselHit{X: x, Y: y}, margin) {
				tg = vesselHit{Contrast: c, X: x, Y: y}
			}
		}
	}
	return tg, true
}

// touchesWater reports whether any of the size×size tile at (x0, y0) is
// reference water (a lake or the sea): a vessel by the shore may sail in
// a tile the model calls land.
func touchesWater(s *scene.Scene, water WaterLayer, x0, y0, size int) bool {
	f, err := water.WaterFraction(s, x0, y0, x0+size, y0+size)
	return err == nil && f > 0
}

// onWater reports whether target tg lies on reference water (the sea or a
// lake, not flooded land), or within margin pixels of it. Without a layer
// (nil) it does; a layer that does not cover the pixels says no.
func onWater(s *scene.Scene, water WaterLayer, tg vesselHit, margin int) bool {
	if water == nil {
		return true
	}
	f, err := water.WaterFraction(s, max(tg.X-margin, 0), max(tg.Y-margin, 0), min(tg.X+margin+1, s.Width), min(tg.Y+margin+1, s.Height))
	return err == nil && f > 0
}

// vesselHit is the strongest target vesselTarget found: its contrast (0
// when none) and pixel.
type vesselHit struct {
	Contrast float32
	X, Y     int
}

// detectContrast is the detecting test's contrast of a target with NIR v
// and red r against the water-like ring pixels nir and red at offsets off
// from it: v above the background fitted to the ring, a plane when at
// least vesselPlaneMinPx ring pixels are water (so a target under a haze
// gradient or a cloud's edge is measured against the sea right under it,
// and the ring's spread is its scatter about the slope, not the slope),
// a level otherwise. The ring's brightest quarter about the first fit (a
// long hull or a wake crossing the ring) is left out of the second. ok is
// false when the target is not vesselDetectSigmas standard deviations of
// the residuals (floored at vesselNoiseFloor) above that background, not
// vesselDetectContrast above it, or not grey.
func detectContrast(v, r float32, nir, red []float32, off [][2]int) (c float32, ok bool) {
	if len(nir) == 0 {
		return 0, false
	}
	cf, grey, sd := ringBackground(v, r, nir, red, off)
	if cf < vesselDetectContrast || cf < vesselDetectSigmas*sd || grey < vesselGreyLow*cf || grey > vesselGreyHigh*cf {
		return 0, false
	}
	return float32(cf), true
}

// ringBackground returns a target's NIR contrast cf and red excess grey
// over the background fitted to its ring, and the ring's scatter sd about
// that background (see detectContrast). nir must not be empty.
func ringBackground(v, r float32, nir, red []float32, off [][2]int) (cf, grey, sd float64) {
	n := len(nir)
	slope := n >= vesselPlaneMinPx
	var use [8 * vesselRingPx]bool
	var res [8 * vesselRingPx]float64
	for q := range n {
		use[q] = true
	}
	fitRing(nir, off, use[:n], slope, res[:n])
	for range n / 4 {
		top := -1
		for q := range n {
			if use[q] && (top < 0 || res[q] > res[top]) {
				top = q
			}
		}
		use[top] = false
	}
	bn := fitRing(nir, off, use[:n], slope, res[:n])
	var ss float64
	k := 0
	for q := range n {
		if use[q] {
			ss += res[q] * res[q]
			k++
		}
	}
	dof := k - 1
	if slope {
		dof = k - 3
	}
	sd = math.Max(math.Sqrt(ss/float64(max(dof, 1))), vesselNoiseFloor)
	br := fitRing(red, off, use[:n], slope, res[:n])
	return float64(v) - bn, float64(r) - br, sd
}

// fitRing fits z over the used ring pixels at offsets off by least
// squares, a plane a + b·dx + c·dy when slope is set and a level a
// otherwise, writes every pixel's residual into res and returns a: the
// background at the ring's centre.
func fitRing(z []float32, off [][2]int, use []bool, slope bool, res []float64) float64 {
	// Normal equations: [n Σx Σy; Σx Σxx Σxy; Σy Σxy Σyy]·(a b c) = (Σz Σxz Σyz).
	var m [3][4]float64
	for q, u := range use {
		if !u {
			continue
		}
		row := [3]float64{1, float64(off[q][0]), float64(off[q][1])}
		for i := range 3 {
			for j := range 3 {
				m[i][j] += row[i] * row[j]
			}
			m[i][3] += row[i] * float64(z[q])
		}
	}
	var a, b, c float64
	if slope {
		a, b, c = solve3(m)
	} else if m[0][0] > 0 {
		a = m[0][3] / m[0][0]
	}
	for q := range z {
		res[q] = float64(z[q]) - (a + b*float64(off[q][0]) + c*float64(off[q][1]))
	}
	return a
}

// solve3 solves the 3×3 system in augmented matrix m by Gaussian
// elimination with partial pivoting. A singular system (the used ring
// pixels on one line) gets a level: slopes 0, a their mean.
func solve3(m [3][4]float64) (a, b, c float64) {
	level := m
	for col := range 3 {
		p := col
		for r := col + 1; r < 3; r++ {
			if math.Abs(m[r][col]) > math.Abs(m[p][col]) {
				p = r
			}
		}
		if math.Abs(m[p][col]) < 1e-9 {
			if level[0][0] == 0 {
				return 0, 0, 0
			}
			return level[0][3] / level[0][0], 0, 0
		}
		m[col], m[p] = m[p], m[col]
		for r := range 3 {
			if r != col {
				f := m[r][col] / m[col][col]
				for k := col; k < 4; k++ {
					m[r][k] -= f * m[col][k]
				}
			}
		}
	}
	return m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]
}

// DetectionID is the stable id of a detection: the first 32 hex digits of
// SHA-256 over satellite, scene, tile position and class.
func DetectionID(satellite, sceneID string, row, col int, class string) string {
	h := sha256.New()
	for _, f := range []string{satellite, sceneID, strconv.Itoa(row), strconv.Itoa(col), class} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Priority is severity × confidence × freshness, where freshness halves
// every halfLife of age (age below zero counts as zero).
func Priority(severity, confidence float64, age, halfLife time.Duration) float64 {
	fresh := 1.0
	if age > 0 && halfLife > 0 {
		fresh = math.Exp2(-float64(age) / float64(halfLife))
	}
	return math.Min(1, math.Max(0, severity*confidence*fresh))
}

func (t *Triage) detection(s *scene.Scene, tr *TileResult, now time.Time) (Detection, error) {
	ts := t.model.Contract.TileSize
	chip, err := Chip(s, t.model.Contract.Bands, tr.X0, tr.Y0, ts, t.cfg.ChipBudgetBytes)
	if err != nil {
		return Detection{}, err
	}
	sum := sha256.Sum256(chip)
	sev, ok := t.cfg.Severity[tr.Decision]
	if !ok {
		sev = 0.5
	}
	d := record.Detection{
		ID:          DetectionID(s.Satellite, s.ID, tr.Row, tr.Col, tr.Decision),
		Class:       tr.Decision,
		Confidence:  tr.Confidence,
		Priority:    Priority(sev, tr.Confidence, now.Sub(s.CaptureTime), t.cfg.FreshnessHalfLife),
		Footprint:   scene.Footprint(s.Geo, tr.X0, tr.Y0, ts, ts),
		CaptureTime: s.CaptureTime,
		Satellite:   s.Satellite,
		SceneID:     s.ID,
		TileRow:     tr.Row,
		TileCol:     tr.Col,
		ChipFormat:  "jpeg",
		ChipBytes:   len(chip),
		ChipSHA256:  hex.EncodeToString(sum[:]),
	}
	if err := d.Validate(); err != nil {
		return Detection{}, fmt.Errorf("triage scene %q tile (%d,%d): %w", s.ID, tr.Row, tr.Col, err)
	}
	return Detection{Record: d, Chip: chip}, nil
}
