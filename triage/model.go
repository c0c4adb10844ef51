package triage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	ort "github.com/yalue/onnxruntime_go"
)

// EnvModel names the environment variable that points at the triage model.
const EnvModel = "SKYSIEVE_MODEL"

// DefaultModelRel is the checked-in default model, relative to the project root.
const DefaultModelRel = "testdata/model/triage.onnx"

// MaxModelBytes bounds a model file; the default model is far smaller.
const MaxModelBytes = 64 << 20

// ErrModelMissing reports that no model file was found.
var ErrModelMissing = errors.New("triage model not found")

// DefaultModelPath returns where the model is expected: SKYSIEVE_MODEL if
// set; otherwise the checked-in default model found from the executable's
// folder or, walking up, from the working directory. When none exists it
// returns the project-relative path, so the caller's error names it.
func DefaultModelPath() string {
	if p := os.Getenv(EnvModel); p != "" {
		return p
	}
	var candidates []string
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "..", DefaultModelRel))
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			candidates = append(candidates, filepath.Join(dir, DefaultModelRel))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return filepath.Clean(c)
		}
	}
	return DefaultModelRel
}

// Model is a loaded model file whose contract has been checked against
// its graph. It holds no ONNX Runtime session.
type Model struct {
	Path     string
	Bytes    []byte
	Contract Contract
	// Meta is all of the model's metadata_props.
	Meta map[string]string
	// FixedBatch is the input's batch dimension when the graph fixes it,
	// else 0; a fixed batch overrides Config.BatchSize.
	FixedBatch int64
}

// LoadModel reads the model at path and checks it keeps the contract: the
// metadata parses (ParseContract) and the graph has the named float32
// input [N, bands, tile, tile] and outputs [N, classes] and [N, 1].
// InitRuntime must have succeeded. Errors wrap ErrContract or ErrModelMissing.
func LoadModel(path string) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s: run `make model` or set %s (config key triage.model)", ErrModelMissing, path, EnvModel)
		}
		return nil, fmt.Errorf("triage model %s: %w", path, err)
	}
	if st.Size() > MaxModelBytes {
		return nil, fmt.Errorf("triage model %s is %d bytes, limit %d", path, st.Size(), MaxModelBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("triage model %s: %w", path, err)
	}
	m, err := ParseModel(b)
	if err != nil {
		return nil, fmt.Errorf("triage model %s: %w", path, err)
	}
	m.Path = path
	return m, nil
}

// ParseModel checks model bytes as LoadModel does.
func ParseModel(b []byte) (*Model, error) {
	md, err := ort.GetModelMetadataWithONNXData(b)
	if err != nil {
		return nil, fmt.Errorf("%w: not a readable ONNX model: %s", ErrContract, oneLine(err))
	}
	defer md.Destroy()
	keys, err := md.GetCustomMetadataMapKeys()
	if err != nil {
		return nil, fmt.Errorf("%w: metadata: %s", ErrContract, oneLine(err))
	}
	meta := make(map[string]string, len(keys))
	for _, k := range keys {
		v, _, err := md.LookupCustomMetadataMap(k)
		if err != nil {
			return nil, fmt.Errorf("%w: metadata %s: %s", ErrContract, k, oneLine(err))
		}
		meta[k] = v
	}
	c, err := ParseContract(meta)
	if err != nil {
		return nil, err
	}
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(b)
	if err != nil {
		return nil, fmt.Errorf("%w: graph inputs and outputs: %s", ErrContract, oneLine(err))
	}
	find := func(list []ort.InputOutputInfo, name, what string) (ort.InputOutputInfo, error) {
		var names []string
		for _, io := range list {
			if io.Name == name {
				if io.OrtValueType != ort.ONNXTypeTensor || io.DataType != ort.TensorElementDataTypeFloat {
					return io, fmt.Errorf("%w: %s %q is %s, want a float32 tensor", ErrContract, what, name, io.String())
				}
				return io, nil
			}
			names = append(names, io.Name)
		}
		return ort.InputOutputInfo{}, fmt.Errorf("%w: the graph has no %s %q (it has %s)", ErrContract, what, name, strings.Join(names, ", "))
	}
	shape := func(io ort.InputOutputInfo, what string, want ...int64) error {
		d := io.Dimensions
		ok := len(d) == len(want)
		for i := 1; ok && i < len(d); i++ {
			ok = d[i] == want[i]
		}
		if !ok {
			return fmt.Errorf("%w: %s %q has shape %v, the contract needs [N %v]", ErrContract, what, io.Name, d, want[1:])
		}
		return nil
	}
	in, err := find(ins, c.Input, "input")
	if err != nil {
		return nil, err
	}
	t := int64(c.TileSize)
	if err := shape(in, "input", -1, int64(len(c.Bands)), t, t); err != nil {
		return nil, err
	}
	probs, err := find(outs, c.OutputProbs, "output")
	if err != nil {
		return nil, err
	}
	if err := shape(probs, "output", -1, int64(len(c.Classes))); err != nil {
		return nil, err
	}
	cloud, err := find(outs, c.OutputCloud, "output")
	if err != nil {
		return nil, err
	}
	if err := shape(cloud, "output", -1, 1); err != nil {
		return nil, err
	}
	return &Model{Bytes: b, Contract: c, Meta: meta, FixedBatch: max(in.Dimensions[0], 0)}, nil
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }
