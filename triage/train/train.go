package train

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

// Classes are the default model's output classes, in order. Floods are
// trained as water: only the reference water layer tells them apart.
var Classes = []string{triage.ClassBackground, triage.ClassCloud, triage.ClassWater, triage.ClassFire, triage.ClassVessel}

// Config is everything that determines a trained model. The same Config
// gives the same model bytes on the same platform.
type Config struct {
	// Seed draws the training scenes (synth.MixTrain) and the initial
	// weights. The eval refuses this seed.
	Seed uint64
	Arch Arch
	// Scenes is how many training scenes to draw.
	Scenes int
	// Rules label the training tiles (synth.EvalRules by default).
	Rules synth.Rules
	// WindowsPerEvent tiles are cut around each event at random offsets,
	// RandomWindows more anywhere in each scene, and CoastWindows on the
	// coastline (surf, beaches and harbours are the vessel look-alikes).
	WindowsPerEvent, RandomWindows, CoastWindows int
	// VesselWindows more tiles are cut around each vessel, its centre
	// anywhere in the tile, edges included (small vessels under thin cloud
	// and vessels cut by a tile edge are the misses), and CloudWaterWindows
	// where water lies under thin cloud or a cloud edge (puffs and edges of
	// cloud over the sea are the false vessels).
	VesselWindows, CloudWaterWindows int
	// Steps of Adam on minibatches of BatchSize tiles, class-balanced by
	// ClassWeights (in Classes order), with a cosine-decayed LearnRate.
	Steps, BatchSize int
	ClassWeights     []float64
	LearnRate        float64
	// GainJitter scales each training tile's reflectance by a random
	// factor in [1−GainJitter, 1+GainJitter] (calibration and sun-angle
	// differences between scenes and sensors).
	GainJitter float64
	// CloudWeight scales the cloud-fraction loss against the class loss.
	CloudWeight float64
	// Workers split each minibatch; part of the config because it fixes
	// the order gradients are summed in.
	Workers      int
	ModelVersion string
}

// DefaultConfig is the configuration of the checked-in default model.
func DefaultConfig() Config {
	return Config{
		Seed:              20261122,
		Arch:              Arch{Bands: 6, Tile: 32, C1: 16, C2: 32, C3: 48, Hidden: 64, Classes: len(Classes)},
		Scenes:            560,
		Rules:             synth.EvalRules,
		WindowsPerEvent:   3,
		RandomWindows:     24,
		CoastWindows:      8,
		VesselWindows:     12,
		CloudWaterWindows: 12,
		Steps:             40000,
		BatchSize:         32,
		ClassWeights:      []float64{0.22, 0.14, 0.2, 0.18, 0.26},
		GainJitter:        0.1,
		LearnRate:         3e-3,
		CloudWeight:       1,
		Workers:           2,
		ModelVersion:      "4",
	}
}

// Hash is the SHA-256 of the config's canonical JSON; the model records it.
func (c Config) Hash() string {
	b, _ := json.Marshal(c)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Metadata keys recording how a model was built.
const (
	MetaTrainSeed       = "skysieve.train_seed"
	MetaTrainConfigHash = "skysieve.train_config_sha256"
	MetaTrainConfig     = "skysieve.train_config"
)

// sample is one training tile: reflectance×10000 as uint16, CHW.
type sample struct {
	x     []uint16
	label int
	cloud float32
}

func classOf(label string) int {
	switch label {
	case synth.LabelCloud:
		return 1
	case synth.LabelWater, synth.LabelFlood:
		return 2
	case synth.LabelFire:
		return 3
	case synth.LabelVessel:
		return 4
	}
	return 0
}

// dataset draws the training scenes and cuts labelled windows from them.
func dataset(c Config) []sample {
	t := c.Arch.Tile
	var out []sample
	for i := 0; i < c.Scenes; i++ {
		spec := synth.RandomSpec(synth.MixTrain, c.Seed, i)
		s, tr := synth.Generate(spec)
		rng := rand.New(rand.NewPCG(c.Seed^0xda7a, uint64(i)))
		cut := func(x0, y0 int) {
			x0 = min(max(x0, 0), s.Width-t)
			y0 = min(max(y0, 0), s.Height-t)
			tt := tr.LabelWith(c.Rules, x0, y0, t, t)
			sm := sample{x: make([]uint16, len(s.Bands)*t*t), label: classOf(tt.Label), cloud: float32(tt.CloudFraction)}
			for b := range s.Bands {
				for y := 0; y < t; y++ {
					row := s.Data[b][(y0+y)*s.Width+x0:]
					for x := 0; x < t; x++ {
						sm.x[(b*t+y)*t+x] = uint16(min(max(row[x]*10000, 0), 65535))
					}
				}
			}
			out = append(out, sm)
		}
		for _, ev := range tr.Events {
			for k := 0; k < c.WindowsPerEvent; k++ {
				cut(int(ev.Col)-t/2+rng.IntN(t)-t/2, int(ev.Row)-t/2+rng.IntN(t)-t/2)
			}
		}
		for k := 0; k < c.RandomWindows; k++ {
			cut(rng.IntN(s.Width-t+1), rng.IntN(s.Height-t+1))
		}
		for _, ev := range tr.Events {
			if ev.Class != synth.LabelVessel {
				continue
			}
			for k := 0; k < c.VesselWindows; k++ {
				cut(int(ev.Col)-rng.IntN(t), int(ev.Row)-rng.IntN(t))
			}
		}
		for k := 0; k < c.CloudWaterWindows; k++ {
			for try := 0; try < 200; try++ {
				x, y := rng.IntN(s.Width), rng.IntN(s.Height)
				if a := tr.Cloud[y*s.Width+x]; tr.Water[y*s.Width+x] && a > 0.05 && a < 0.7 {
					cut(x-rng.IntN(t), y-rng.IntN(t))
					break
				}
			}
		}
		for k := 0; k < c.CoastWindows; k++ {
			for try := 0; try < 200; try++ {
				x, y := rng.IntN(s.Width-4), rng.IntN(s.Height)
				if tr.RefWater[y*s.Width+x] != tr.RefWater[y*s.Width+x+4] {
					cut(x-rng.IntN(t), y-rng.IntN(t))
					break
				}
			}
		}
	}
	return out
}

// Result is a trained model and how it was made.
type Result struct {
	Model    []byte
	Net      *Net
	Contract triage.Contract
	// Tiles counts the training tiles per class (Classes order).
	Tiles []int
	// FinalLoss is the mean loss over the last 5% of steps.
	FinalLoss float64
}

// Provenance is what the model file's FILE.json records beside it: the
// config that built it (and its hash) and what the training saw.
func (r *Result) Provenance(c Config) map[string]any {
	return map[string]any{
		"seed":               c.Seed,
		"config_sha256":      c.Hash(),
		"config":             c,
		"model_bytes":        len(r.Model),
		"params":             c.Arch.NumParams(),
		"training_tiles":     r.Tiles,
		"final_loss":         r.FinalLoss,
		"normalisation_mean": r.Contract.Mean,
		"normalisation_std":  r.Contract.Std,
	}
}

// Build draws the training set, trains the net and exports it as ONNX with
// the contract and provenance in its metadata. logf, if not nil, receives
// progress lines. The result is a pure function of c.
func Build(c Config, logf func(format string, args ...any)) (*Result, error) {
	if c.Steps <= 0 || c.BatchSize <= 0 || c.Workers <= 0 || c.Scenes <= 0 || len(c.ClassWeights) != c.Arch.Classes {
		return nil, fmt.Errorf("train: bad config %+v", c)
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	data := dataset(c)
	byClass := make([][]int, c.Arch.Classes)
	for i, s := range data {
		byClass[s.label] = append(byClass[s.label], i)
	}
	res := &Result{Tiles: make([]int, c.Arch.Classes)}
	for k := range byClass {
		res.Tiles[k] = len(byClass[k])
		if len(byClass[k]) == 0 {
			return nil, fmt.Errorf("train: no training tiles of class %s; draw more scenes", Classes[k])
		}
	}
	logf("training set: %d tiles from %d scenes, per class %v", len(data), c.Scenes, res.Tiles)

	// Normalisation: per-band mean and standard deviation over all tiles.
	a := c.Arch
	plane := a.Tile * a.Tile
	mean, std := make([]float32, a.Bands), make([]float32, a.Bands)
	for b := 0; b < a.Bands; b++ {
		var s, s2 float64
		for _, sm := range data {
			for _, v := range sm.x[b*plane : (b+1)*plane] {
				f := float64(v) / 10000
				s += f
				s2 += f * f
			}
		}
		n := float64(len(data) * plane)
		m := s / n
		mean[b] = float32(m)
		std[b] = float32(math.Sqrt(math.Max(s2/n-m*m, 1e-8)))
	}

	rng := rand.New(rand.NewPCG(c.Seed, 0x7a1))
	net := NewNet(a, rng)
	grads := make([]*Net, c.Workers)
	works := make([]*work, c.Workers)
	for k := range grads {
		grads[k] = &Net{Arch: a, Params: make([]float32, a.NumParams())}
		grads[k].bind(grads[k].Params)
		works[k] = newWork(a)
	}
	m1 := make([]float64, len(net.Params))
	m2 := make([]float64, len(net.Params))
	xs := make([][]float32, c.BatchSize)
	for i := range xs {
		xs[i] = make([]float32, a.Bands*plane)
	}
	labels := make([]int, c.BatchSize)
	clouds := make([]float32, c.BatchSize)
	losses := make([]float64, c.Workers)
	var cum float64
	var tail float64
	var tailN int
	var totalW float64
	for _, w := range c.ClassWeights {
		totalW += w
	}
	const beta1, beta2, eps = 0.9, 0.999, 1e-8
	for step := 0; step < c.Steps; step++ {
		for i := range xs {
			r := rng.Float64() * totalW
			k := 0
			for k < len(c.ClassWeights)-1 && r >= c.ClassWeights[k] {
				r -= c.ClassWeights[k]
				k++
			}
			sm := data[byClass[k][rng.IntN(len(byClass[k]))]]
			gain := float32(1 + c.GainJitter*(2*rng.Float64()-1))
			decode(sm.x, a.Bands, a.Tile, rng.IntN(8), gain, mean, std, xs[i])
			labels[i], clouds[i] = sm.label, sm.cloud
		}
		var wg sync.WaitGroup
		for k := 0; k < c.Workers; k++ {
			lo, hi := k*c.BatchSize/c.Workers, (k+1)*c.BatchSize/c.Workers
			wg.Add(1)
			go func() {
				defer wg.Done()
				g := grads[k]
				for i := range g.Params {
					g.Params[i] = 0
				}
				losses[k] = 0
				for i := lo; i < hi; i++ {
					net.forward(works[k], xs[i])
					losses[k] += float64(net.backward(works[k], g, xs[i], labels[i], clouds[i], float32(c.CloudWeight)))
				}
			}()
		}
		wg.Wait()
		var loss float64
		for k := range losses {
			loss += losses[k]
		}
		loss /= float64(c.BatchSize)
		warm := math.Min(1, float64(step+1)/100)
		lr := c.LearnRate * warm * 0.5 * (1 + math.Cos(math.Pi*float64(step)/float64(c.Steps)))
		t := float64(step + 1)
		bc1, bc2 := 1-math.Pow(beta1, t), 1-math.Pow(beta2, t)
		for i := range net.Params {
			var g float64
			for k := range grads {
				g += float64(grads[k].Params[i])
			}
			g /= float64(c.BatchSize)
			m1[i] = beta1*m1[i] + (1-beta1)*g
			m2[i] = beta2*m2[i] + (1-beta2)*g*g
			net.Params[i] -= float32(lr * (m1[i] / bc1) / (math.Sqrt(m2[i]/bc2) + eps))
		}
		cum = 0.98*cum + 0.02*loss
		if step >= c.Steps-max(1, c.Steps/20) {
			tail += loss
			tailN++
		}
		if (step+1)%200 == 0 || step+1 == c.Steps {
			logf("step %d/%d loss %.4f lr %.5f", step+1, c.Steps, cum/(1-math.Pow(0.98, t)), lr)
		}
	}
	res.FinalLoss = tail / float64(tailN)
	res.Net = net
	res.Contract = triage.Contract{
		ModelVersion: c.ModelVersion,
		Classes:      append([]string(nil), Classes...),
		Bands:        append([]string(nil), scene.DefaultBands...),
		TileSize:     a.Tile,
		Mean:         mean,
		Std:          std,
		Input:        InputName,
		OutputProbs:  OutputProbsName,
		OutputCloud:  OutputCloudName,
	}
	cfgJSON, _ := json.Marshal(c)
	res.Model = net.ONNX(res.Contract, map[string]string{
		MetaTrainSeed:       strconv.FormatUint(c.Seed, 10),
		MetaTrainConfigHash: c.Hash(),
		MetaTrainConfig:     string(cfgJSON),
	})
	return res, nil
}

// decode writes the normalised float tile of x, its reflectance times
// gain, into dst under one of the eight symmetries of the square (0 is the
// identity).
func decode(x []uint16, bands, t, sym int, gain float32, mean, std, dst []float32) {
	plane := t * t
	for b := 0; b < bands; b++ {
		m, inv := mean[b], 1/std[b]
		scale := gain / 10000
		src := x[b*plane : (b+1)*plane]
		out := dst[b*plane : (b+1)*plane]
		for y := 0; y < t; y++ {
			for xx := 0; xx < t; xx++ {
				sx, sy := xx, y
				if sym&1 != 0 {
					sx = t - 1 - sx
				}
				if sym&2 != 0 {
					sy = t - 1 - sy
				}
				if sym&4 != 0 {
					sx, sy = sy, sx
				}
				out[y*t+xx] = (float32(src[sy*t+sx])*scale - m) * inv
			}
		}
	}
}
