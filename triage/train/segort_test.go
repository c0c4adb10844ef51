package train

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/skysieve/skysieve/triage"
	ort "github.com/yalue/onnxruntime_go"
)

// segSession opens the checked-in segmentation model in ONNX Runtime on a
// batch of n patches, by the names and sizes its metadata gives.
func segSession(tb testing.TB, n int) (s *ort.AdvancedSession, in, out *ort.Tensor[float32], classes, p int) {
	tb.Helper()
	if err := triage.InitRuntime(""); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(segModel)
	if err != nil {
		tb.Fatal(err)
	}
	meta, err := ONNXMetadata(b)
	if err != nil {
		tb.Fatal(err)
	}
	p, _ = strconv.Atoi(meta["skysieve.patch_size"])
	classes = len(strings.Split(meta["skysieve.classes"], ","))
	bands := len(strings.Split(meta["skysieve.bands"], ","))
	in, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(n), int64(bands), int64(p), int64(p)))
	if err != nil {
		tb.Fatal(err)
	}
	out, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(n), int64(classes), int64(p), int64(p)))
	if err != nil {
		tb.Fatal(err)
	}
	s, err = ort.NewAdvancedSessionWithONNXData(b, []string{meta["skysieve.input"]}, []string{meta["skysieve.output_seg"]},
		[]ort.Value{in}, []ort.Value{out}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Destroy(); in.Destroy(); out.Destroy() })
	return s, in, out, classes, p
}

// TestSegModelRunsInORT runs the checked-in segmentation model in ONNX
// Runtime and checks its output is per-pixel probabilities. (Whether it
// segments well is the eval's business.)
func TestSegModelRunsInORT(t *testing.T) {
	s, in, out, classes, p := segSession(t, 2)
	x := in.GetData()
	for i := range x {
		x[i] = float32(math.Sin(float64(i) * 0.37))
	}
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	y := out.GetData()
	px := p * p
	for n := 0; n < 2; n++ {
		for i := 0; i < px; i++ {
			var sum float64
			for c := 0; c < classes; c++ {
				v := float64(y[(n*classes+c)*px+i])
				if v < 0 || v > 1 || math.IsNaN(v) {
					t.Fatalf("patch %d pixel %d class %d: probability %g", n, i, c, v)
				}
				sum += v
			}
			if math.Abs(sum-1) > 1e-4 {
				t.Fatalf("patch %d pixel %d: probabilities sum to %g", n, i, sum)
			}
		}
	}
}

// BenchmarkSegModel measures the checked-in model in ONNX Runtime on
// batches of 16 patches; bytes are pixels.
func BenchmarkSegModel(b *testing.B) {
	s, _, _, _, p := segSession(b, 16)
	b.SetBytes(int64(16 * p * p))
	for b.Loop() {
		if err := s.Run(); err != nil {
			b.Fatal(err)
		}
	}
}
