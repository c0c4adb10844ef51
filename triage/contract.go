package triage

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ContractVersion is the model contract this package speaks. A model states
// its contract version in metadata key MetaContract.
const ContractVersion = "1"

// Metadata keys (ONNX metadata_props) that make up the model contract.
const (
	MetaContract     = "skysieve.contract"      // "1"
	MetaModelVersion = "skysieve.model_version" // free text, e.g. "2026.11-1"
	MetaClasses      = "skysieve.classes"       // comma-separated class names, in output order
	MetaBands        = "skysieve.bands"         // comma-separated band names, in input channel order
	MetaTileSize     = "skysieve.tile_size"     // tile edge in pixels
	MetaNormMean     = "skysieve.norm_mean"     // per band, comma-separated: input = (reflectance - mean) / std
	MetaNormStd      = "skysieve.norm_std"
	MetaInput        = "skysieve.input"        // input tensor name, float32 [N, bands, tile, tile]
	MetaOutputProbs  = "skysieve.output_probs" // output tensor name, float32 [N, classes], class probabilities
	MetaOutputCloud  = "skysieve.output_cloud" // output tensor name, float32 [N, 1], fraction of the tile under cloud
)

// Class names a model may use. ClassCloud and ClassBackground are required;
// so is at least one of ClassFire, ClassVessel, ClassWater or ClassFlood.
// ClassWater is water of any kind: it becomes a flood only where the
// reference water layer says land. A model class named ClassFlood is kept
// as a flood directly. Other class names are allowed and treated as
// background.
const (
	ClassBackground = "background"
	ClassCloud      = "cloud"
	ClassWater      = "water"
	ClassFire       = "fire"
	ClassFlood      = "flood"
	ClassVessel     = "vessel"
)

// ErrContract is wrapped by every error about a model that breaks the contract.
var ErrContract = errors.New("model breaks the Skysieve contract")

// Contract is what a model promises in its ONNX metadata: what it takes,
// what it returns, and how to prepare its input.
type Contract struct {
	ModelVersion string
	Classes      []string
	Bands        []string
	TileSize     int
	Mean, Std    []float32
	Input        string
	OutputProbs  string
	OutputCloud  string
}

// Metadata returns the contract as ONNX metadata_props entries.
func (c Contract) Metadata() map[string]string {
	return map[string]string{
		MetaContract:     ContractVersion,
		MetaModelVersion: c.ModelVersion,
		MetaClasses:      strings.Join(c.Classes, ","),
		MetaBands:        strings.Join(c.Bands, ","),
		MetaTileSize:     strconv.Itoa(c.TileSize),
		MetaNormMean:     floats(c.Mean),
		MetaNormStd:      floats(c.Std),
		MetaInput:        c.Input,
		MetaOutputProbs:  c.OutputProbs,
		MetaOutputCloud:  c.OutputCloud,
	}
}

func floats(v []float32) string {
	s := make([]string, len(v))
	for i, f := range v {
		s[i] = strconv.FormatFloat(float64(f), 'g', -1, 32)
	}
	return strings.Join(s, ",")
}

// ParseContract reads and checks a contract from ONNX metadata. Every error
// wraps ErrContract and names the key and what is wrong with it.
func ParseContract(meta map[string]string) (Contract, error) {
	var c Contract
	get := func(key string) (string, error) {
		v, ok := meta[key]
		if !ok || strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("%w: metadata key %s is missing", ErrContract, key)
		}
		return strings.TrimSpace(v), nil
	}
	v, err := get(MetaContract)
	if err != nil {
		return c, err
	}
	if v != ContractVersion {
		return c, fmt.Errorf("%w: %s is %q, this build speaks %q", ErrContract, MetaContract, v, ContractVersion)
	}
	c.ModelVersion = meta[MetaModelVersion]
	list := func(key string) ([]string, error) {
		v, err := get(key)
		if err != nil {
			return nil, err
		}
		parts := strings.Split(v, ",")
		for i, p := range parts {
			parts[i] = strings.TrimSpace(p)
			if parts[i] == "" {
				return nil, fmt.Errorf("%w: %s %q has an empty entry", ErrContract, key, v)
			}
			if slices.Contains(parts[:i], parts[i]) {
				return nil, fmt.Errorf("%w: %s %q names %q twice", ErrContract, key, v, parts[i])
			}
		}
		return parts, nil
	}
	if c.Classes, err = list(MetaClasses); err != nil {
		return c, err
	}
	for _, need := range []string{ClassBackground, ClassCloud} {
		if !slices.Contains(c.Classes, need) {
			return c, fmt.Errorf("%w: %s %v lacks class %q", ErrContract, MetaClasses, c.Classes, need)
		}
	}
	if !slices.ContainsFunc(c.Classes, func(s string) bool {
		return s == ClassFire || s == ClassVessel || s == ClassWater || s == ClassFlood
	}) {
		return c, fmt.Errorf("%w: %s %v has no actionable class (fire, vessel, water or flood)", ErrContract, MetaClasses, c.Classes)
	}
	if c.Bands, err = list(MetaBands); err != nil {
		return c, err
	}
	if v, err = get(MetaTileSize); err != nil {
		return c, err
	}
	if c.TileSize, err = strconv.Atoi(v); err != nil || c.TileSize < 4 || c.TileSize > 1024 {
		return c, fmt.Errorf("%w: %s %q is not a tile edge in 4..1024 pixels", ErrContract, MetaTileSize, v)
	}
	nums := func(key string, positive bool) ([]float32, error) {
		v, err := get(key)
		if err != nil {
			return nil, err
		}
		parts := strings.Split(v, ",")
		if len(parts) != len(c.Bands) {
			return nil, fmt.Errorf("%w: %s has %d values for %d bands", ErrContract, key, len(parts), len(c.Bands))
		}
		out := make([]float32, len(parts))
		for i, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || (positive && f <= 0) {
				return nil, fmt.Errorf("%w: %s value %q for band %s is not a finite%s number", ErrContract, key, p, c.Bands[i], map[bool]string{true: " positive", false: ""}[positive])
			}
			out[i] = float32(f)
		}
		return out, nil
	}
	if c.Mean, err = nums(MetaNormMean, false); err != nil {
		return c, err
	}
	if c.Std, err = nums(MetaNormStd, true); err != nil {
		return c, err
	}
	if c.Input, err = get(MetaInput); err != nil {
		return c, err
	}
	if c.OutputProbs, err = get(MetaOutputProbs); err != nil {
		return c, err
	}
	if c.OutputCloud, err = get(MetaOutputCloud); err != nil {
		return c, err
	}
	return c, nil
}

// ClassIndex returns the output index of a class name, or -1.
func (c Contract) ClassIndex(name string) int { return slices.Index(c.Classes, name) }
