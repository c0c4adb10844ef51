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
	bandIdx, err := t.checkScene(s)
	if err != nil {
		return nil, err
	}
	tiles := tileGrid(s.Width, s.Height, t.model.Contract.TileSize)
	b := t.bufs[0]
	var out [][]float32
	for lo := 0; lo < len(tiles); lo += t.batch {
		b.tiles = tiles[lo:min(lo+t.batch, len(tiles))]
		t.fill(s, bandIdx, b, 0, len(b.tiles))
		out = append(out, slices.Clone(b.in.GetData()))
	}
	return out, nil
}
