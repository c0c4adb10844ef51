package train

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/skysieve/skysieve/triage"
)

// tinyConfig is DefaultConfig cut down to build in about a second.
func tinyConfig() Config {
	c := DefaultConfig()
	c.Scenes, c.Steps, c.RandomWindows = 4, 30, 8
	return c
}

// TestBuildDeterministic builds the same small model twice and compares
// bytes; a different seed must give a different model.
func TestBuildDeterministic(t *testing.T) {
	a, err := Build(tinyConfig(), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(tinyConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Model, b.Model) {
		t.Fatal("two builds of the same config differ")
	}
	c := tinyConfig()
	c.Seed++
	d, err := Build(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Model, d.Model) {
		t.Fatal("a different seed gave the same model")
	}
}

// TestCheckedInModel checks the default model under testdata/model records
// the seed and config hash of DefaultConfig, so `triage build-model`
// rebuilds it, and that it keeps the contract and the size budget.
func TestCheckedInModel(t *testing.T) {
	if err := triage.InitRuntime(""); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", triage.DefaultModelRel)
	m, err := triage.LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if got := m.Meta[MetaTrainSeed]; got != strconv.FormatUint(c.Seed, 10) {
		t.Errorf("model seed %q, DefaultConfig seed %d: rebuild with `triage build-model`", got, c.Seed)
	}
	if got := m.Meta[MetaTrainConfigHash]; got != c.Hash() {
		t.Errorf("model config hash %s, DefaultConfig hash %s: rebuild with `triage build-model`", got, c.Hash())
	}
	var recorded Config
	if err := json.Unmarshal([]byte(m.Meta[MetaTrainConfig]), &recorded); err != nil || recorded.Hash() != m.Meta[MetaTrainConfigHash] {
		t.Errorf("recorded config does not hash to the recorded hash (%v)", err)
	}
	if len(m.Bytes) > 5<<20 {
		t.Errorf("model is %d bytes, budget 5 MB", len(m.Bytes))
	}
	st, err := os.Stat(path + ".json")
	if err != nil || st.Size() == 0 {
		t.Errorf("provenance %s.json missing", path)
	}
}

func BenchmarkTrainStep(b *testing.B) {
	a := DefaultConfig().Arch
	rng := rand.New(rand.NewPCG(1, 1))
	n := NewNet(a, rng)
	g := &Net{Arch: a, Params: make([]float32, a.NumParams())}
	g.bind(g.Params)
	w := newWork(a)
	x := randTile(rng, a)
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		n.forward(w, x)
		n.backward(w, g, x, 2, 0.5, 1)
	}
}
