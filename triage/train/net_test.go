package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/skysieve/skysieve/triage"
	ort "github.com/yalue/onnxruntime_go"
)

var (
	testArch = Arch{Bands: 6, Tile: 8, C1: 3, C2: 4, Hidden: 5, Classes: 5}
	// testArch3 has the optional third conv layer.
	testArch3 = Arch{Bands: 6, Tile: 8, C1: 3, C2: 4, C3: 3, Hidden: 5, Classes: 5}
)

func randTile(rng *rand.Rand, a Arch) []float32 {
	x := make([]float32, a.Bands*a.Tile*a.Tile)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// TestGradient compares the hand-written backward pass with central
// differences of the loss, parameter by parameter (float64 tolerance on
// float32 arithmetic).
func TestGradient(t *testing.T) {
	for _, a := range []Arch{testArch, testArch3} {
		testGradient(t, a)
	}
}

func testGradient(t *testing.T, testArch Arch) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := NewNet(testArch, rng)
	for i := range n.Params {
		n.Params[i] += float32(rng.NormFloat64() * 0.05) // non-zero biases
	}
	x := randTile(rng, testArch)
	label, ct, cw := 3, float32(0.3), float32(0.5)
	w := newWork(testArch)
	g := &Net{Arch: testArch, Params: make([]float32, testArch.NumParams())}
	g.bind(g.Params)
	n.forward(w, x)
	n.backward(w, g, x, label, ct, cw)
	loss := func() float64 {
		w2 := newWork(testArch)
		n.forward(w2, x)
		g2 := &Net{Arch: testArch, Params: make([]float32, testArch.NumParams())}
		g2.bind(g2.Params)
		return float64(n.backward(w2, g2, x, label, ct, cw))
	}
	var worst float64
	for i := range n.Params {
		orig := n.Params[i]
		const h = 2e-3
		n.Params[i] = orig + h
		lp := loss()
		n.Params[i] = orig - h
		lm := loss()
		n.Params[i] = orig
		num := (lp - lm) / (2 * h)
		d := math.Abs(num - float64(g.Params[i]))
		if d > 2e-2*math.Max(1, math.Abs(num)) {
			t.Errorf("param %d: backprop %g, numeric %g", i, g.Params[i], num)
		}
		worst = math.Max(worst, d)
	}
	t.Logf("arch %+v: %d params, worst gradient difference %g", testArch, len(n.Params), worst)
}

// TestForwardMatchesORT runs the exported ONNX model through ONNX Runtime
// and checks that it computes what the Go forward pass computes: this is
// what catches weight layout and operator attribute mistakes.
func TestForwardMatchesORT(t *testing.T) {
	if err := triage.InitRuntime(""); err != nil {
		t.Fatal(err)
	}
	for _, a := range []Arch{testArch, testArch3, DefaultConfig().Arch} {
		rng := rand.New(rand.NewPCG(3, 4))
		n := NewNet(a, rng)
		for i := range n.Params {
			n.Params[i] += float32(rng.NormFloat64() * 0.05)
		}
		c := triage.Contract{ModelVersion: "test", Classes: []string{"background", "cloud", "water", "fire", "vessel"},
			Bands: []string{"a", "b", "c", "d", "e", "f"}, TileSize: a.Tile,
			Mean: make([]float32, 6), Std: []float32{1, 1, 1, 1, 1, 1},
			Input: InputName, OutputProbs: OutputProbsName, OutputCloud: OutputCloudName}
		model := n.ONNX(c, nil)
		const batch = 3
		per := a.Bands * a.Tile * a.Tile
		x := make([]float32, 0, batch*per)
		for b := 0; b < batch; b++ {
			x = append(x, randTile(rng, a)...)
		}
		in, err := ort.NewTensor(ort.NewShape(batch, int64(a.Bands), int64(a.Tile), int64(a.Tile)), x)
		if err != nil {
			t.Fatal(err)
		}
		probs, _ := ort.NewEmptyTensor[float32](ort.NewShape(batch, int64(a.Classes)))
		cloud, _ := ort.NewEmptyTensor[float32](ort.NewShape(batch, 1))
		s, err := ort.NewAdvancedSessionWithONNXData(model, []string{InputName}, []string{OutputProbsName, OutputCloudName},
			[]ort.Value{in}, []ort.Value{probs, cloud}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(); err != nil {
			t.Fatal(err)
		}
		var worst float64
		for b := 0; b < batch; b++ {
			p, c := n.Forward(x[b*per : (b+1)*per])
			for k := range p {
				worst = math.Max(worst, math.Abs(float64(p[k]-probs.GetData()[b*a.Classes+k])))
			}
			worst = math.Max(worst, math.Abs(float64(c-cloud.GetData()[b])))
		}
		s.Destroy()
		in.Destroy()
		probs.Destroy()
		cloud.Destroy()
		if worst > 1e-4 {
			t.Errorf("arch %+v: Go forward and ORT differ by %g", a, worst)
		}
		t.Logf("arch %+v: max |Go - ORT| = %g", a, worst)
	}
}
