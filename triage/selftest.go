package triage

import (
	"fmt"
	"math"

	"github.com/skysieve/skysieve/triage/onnx"
	ort "github.com/yalue/onnxruntime_go"
)

// selfTestModel is y = softmax(x·W + b) with x [N,4] and 3 classes.
func selfTestModel(w, b []float32) []byte {
	m := onnx.Model{
		ProducerName: "skysieve-selftest",
		Metadata:     map[string]string{"skysieve.purpose": "selftest"},
		Graph: onnx.Graph{
			Name: "selftest",
			Nodes: []onnx.Node{
				{OpType: "MatMul", Inputs: []string{"x", "W"}, Outputs: []string{"xw"}},
				{OpType: "Add", Inputs: []string{"xw", "b"}, Outputs: []string{"logits"}},
				{OpType: "Softmax", Inputs: []string{"logits"}, Outputs: []string{"y"}, Attrs: []onnx.Attr{onnx.IntAttr("axis", 1)}},
			},
			Initializers: []onnx.Tensor{
				{Name: "W", Dims: []int64{4, 3}, Float32: w},
				{Name: "b", Dims: []int64{3}, Float32: b},
			},
			Inputs:  []onnx.ValueInfo{{Name: "x", ElemType: onnx.Float32, Shape: []onnx.Dim{{Param: "N"}, {Value: 4}}}},
			Outputs: []onnx.ValueInfo{{Name: "y", ElemType: onnx.Float32, Shape: []onnx.Dim{{Param: "N"}, {Value: 3}}}},
		},
	}
	return m.Marshal()
}

// SelfTest runs a tiny model written by package onnx through the loaded ONNX
// Runtime and checks every output against the same arithmetic in Go. It is
// the proof, on any architecture, that the runtime and the bindings work.
// InitRuntime must have succeeded first.
func SelfTest() (maxAbsErr float64, err error) {
	w := []float32{0.5, -1, 0.25, 1, 0.5, -0.5, -0.25, 2, 1, 0.75, -1.5, 0}
	bias := []float32{0.1, -0.2, 0.3}
	x := []float32{1, 2, 3, 4, -1, 0.5, 0, 2}
	in, err := ort.NewTensor(ort.NewShape(2, 4), x)
	if err != nil {
		return 0, fmt.Errorf("selftest input: %w", err)
	}
	defer in.Destroy()
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(2, 3))
	if err != nil {
		return 0, fmt.Errorf("selftest output: %w", err)
	}
	defer out.Destroy()
	s, err := ort.NewAdvancedSessionWithONNXData(selfTestModel(w, bias), []string{"x"}, []string{"y"}, []ort.Value{in}, []ort.Value{out}, nil)
	if err != nil {
		return 0, fmt.Errorf("selftest session: %w", err)
	}
	defer s.Destroy()
	if err := s.Run(); err != nil {
		return 0, fmt.Errorf("selftest run: %w", err)
	}
	got := out.GetData()
	for r := 0; r < 2; r++ {
		var e [3]float64
		var sum float64
		for c := 0; c < 3; c++ {
			v := float64(bias[c])
			for k := 0; k < 4; k++ {
				v += float64(x[r*4+k]) * float64(w[k*3+c])
			}
			e[c] = math.Exp(v)
			sum += e[c]
		}
		for c := 0; c < 3; c++ {
			maxAbsErr = math.Max(maxAbsErr, math.Abs(float64(got[r*3+c])-e[c]/sum))
		}
	}
	if maxAbsErr > 1e-5 {
		return maxAbsErr, fmt.Errorf("selftest: ONNX Runtime output differs from reference by %g", maxAbsErr)
	}
	return maxAbsErr, nil
}
