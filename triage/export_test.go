package triage

import (
	"slices"

	"github.com/skysieve/skysieve/triage/scene"
)

// NormalisedBatches returns what the pipeline feeds ONNX Runtime for scene
// s, one slice per batch, filled by the pipeline's own code: the benchmark
// runs bare ORT on the same batches.
func (t *Triage) NormalisedBatches(s *scene.Scene) ([][]float32, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	j, err := t.newJob(s, nil)
	if err != nil {
		return nil, err
	}
	b := t.bufs[0]
	var out [][]float32
	for lo := 0; lo < len(j.tiles); lo += t.batch {
		b.job, b.lo, b.tiles = j, lo, j.tiles[lo:min(lo+t.batch, len(j.tiles))]
		t.fill(b, 0, len(b.tiles))
		out = append(out, slices.Clone(b.in.GetData()))
	}
	return out, nil
}
