package train

import (
	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/onnx"
)

// Tensor names of exported models.
const (
	InputName       = "tiles"
	OutputProbsName = "probs"
	OutputCloudName = "cloud_fraction"
)

// ONNX returns the net as an ONNX model (opset 17) whose metadata_props
// hold contract c plus extra entries (training provenance). The graph
// computes exactly what Forward does, on a batch [N, Bands, Tile, Tile].
func (n *Net) ONNX(c triage.Contract, extra map[string]string) []byte {
	meta := c.Metadata()
	for k, v := range extra {
		meta[k] = v
	}
	i64 := func(v ...int64) []int64 { return v }
	a := n.Arch
	node := func(op string, in []string, out string, attrs ...onnx.Attr) onnx.Node {
		return onnx.Node{Name: out, OpType: op, Inputs: in, Outputs: []string{out}, Attrs: attrs}
	}
	conv := func(in, w, b, out string) onnx.Node {
		return node("Conv", []string{in, w, b}, out,
			onnx.IntsAttr("kernel_shape", 3, 3), onnx.IntsAttr("pads", 1, 1, 1, 1), onnx.IntsAttr("strides", 1, 1))
	}
	pool := func(in, out string) onnx.Node {
		return node("MaxPool", []string{in}, out, onnx.IntsAttr("kernel_shape", 2, 2), onnx.IntsAttr("strides", 2, 2))
	}
	gemm := func(in, w, b, out string) onnx.Node {
		return node("Gemm", []string{in, w, b}, out, onnx.IntAttr("transB", 1))
	}
	nodes := []onnx.Node{
		node("GlobalAveragePool", []string{InputName}, "band_mean"),
		node("Sub", []string{InputName, "band_mean"}, "anomaly"),
		node("Concat", []string{InputName, "anomaly"}, "conv_in", onnx.IntAttr("axis", 1)),
		conv("conv_in", "conv1_w", "conv1_b", "conv1"),
		node("Relu", []string{"conv1"}, "relu1"),
		pool("relu1", "pool1"),
		conv("pool1", "conv2_w", "conv2_b", "conv2"),
		node("Relu", []string{"conv2"}, "relu2"),
		pool("relu2", "pool2"),
	}
	top := "pool2"
	if a.C3 > 0 {
		nodes = append(nodes, conv("pool2", "conv3_w", "conv3_b", "conv3"), node("Relu", []string{"conv3"}, "relu3"))
		top = "relu3"
	}
	nodes = append(nodes,
		node("GlobalAveragePool", []string{top}, "gap"),
		node("GlobalMaxPool", []string{top}, "gmp"),
		node("Concat", []string{"gap", "gmp"}, "pooled", onnx.IntAttr("axis", 1)),
		node("Flatten", []string{"pooled"}, "features", onnx.IntAttr("axis", 1)),
		gemm("features", "fc_w", "fc_b", "fc"),
		node("Relu", []string{"fc"}, "hidden"),
		gemm("hidden", "cls_w", "cls_b", "logits"),
		node("Softmax", []string{"logits"}, OutputProbsName, onnx.IntAttr("axis", 1)),
		gemm("hidden", "cloud_w", "cloud_b", "cloud_logit"),
		node("Sigmoid", []string{"cloud_logit"}, OutputCloudName),
	)
	inits := []onnx.Tensor{
		{Name: "conv1_w", Dims: i64(int64(a.C1), int64(2*a.Bands), 3, 3), Float32: n.W1},
		{Name: "conv1_b", Dims: i64(int64(a.C1)), Float32: n.B1},
		{Name: "conv2_w", Dims: i64(int64(a.C2), int64(a.C1), 3, 3), Float32: n.W2},
		{Name: "conv2_b", Dims: i64(int64(a.C2)), Float32: n.B2},
	}
	if a.C3 > 0 {
		inits = append(inits,
			onnx.Tensor{Name: "conv3_w", Dims: i64(int64(a.C3), int64(a.C2), 3, 3), Float32: n.Wc},
			onnx.Tensor{Name: "conv3_b", Dims: i64(int64(a.C3)), Float32: n.Bc})
	}
	inits = append(inits,
		onnx.Tensor{Name: "fc_w", Dims: i64(int64(a.Hidden), int64(2*a.feats())), Float32: n.W3},
		onnx.Tensor{Name: "fc_b", Dims: i64(int64(a.Hidden)), Float32: n.B3},
		onnx.Tensor{Name: "cls_w", Dims: i64(int64(a.Classes), int64(a.Hidden)), Float32: n.W4},
		onnx.Tensor{Name: "cls_b", Dims: i64(int64(a.Classes)), Float32: n.B4},
		onnx.Tensor{Name: "cloud_w", Dims: i64(1, int64(a.Hidden)), Float32: n.W5},
		onnx.Tensor{Name: "cloud_b", Dims: i64(1), Float32: n.B5},
	)
	m := onnx.Model{
		ProducerName:    "skysieve-train",
		ProducerVersion: c.ModelVersion,
		DocString:       "Skysieve triage CNN: per-tile class probabilities and cloud fraction from six-band TOA reflectance tiles.",
		Metadata:        meta,
		Graph: onnx.Graph{
			Name:         "skysieve_triage",
			Nodes:        nodes,
			Initializers: inits,
			Inputs: []onnx.ValueInfo{{Name: InputName, ElemType: onnx.Float32,
				Shape: []onnx.Dim{{Param: "N"}, {Value: int64(a.Bands)}, {Value: int64(a.Tile)}, {Value: int64(a.Tile)}}}},
			Outputs: []onnx.ValueInfo{
				{Name: OutputProbsName, ElemType: onnx.Float32, Shape: []onnx.Dim{{Param: "N"}, {Value: int64(a.Classes)}}},
				{Name: OutputCloudName, ElemType: onnx.Float32, Shape: []onnx.Dim{{Param: "N"}, {Value: 1}}},
			},
		},
	}
	return m.Marshal()
}
