package sim

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

// errNoWater reports a scene without a registered reference water layer.
var errNoWater = errors.New("sim: no reference water layer for scene")

// kept is what the simulator remembers of one detection flight stored.
type kept struct {
	Class       string
	Satellite   string
	CaptureTime time.Time
	// Bytes is the encoded record plus the evidence chip: what must reach
	// the ground for the detection to be useful.
	Bytes int64
}

// recorder is the flight service's triager in the simulation: the real
// triage engine, given each scene's own reference water layer (the scene
// generator's truth, registered before the scene is submitted), and noting
// every detection it returns so the report can account for each one.
type recorder struct {
	engine *triage.Triage

	mu    sync.Mutex
	water map[string]*synth.Truth
	kept  map[string]kept
}

func newRecorder(engine *triage.Triage) *recorder {
	return &recorder{engine: engine, water: map[string]*synth.Truth{}, kept: map[string]kept{}}
}

func (r *recorder) setWater(sceneID string, t *synth.Truth) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t == nil {
		delete(r.water, sceneID)
		return
	}
	r.water[sceneID] = t
}

// Triage implements flight.Triager.
func (r *recorder) Triage(ctx context.Context, sc *scene.Scene) (*triage.Result, error) {
	r.mu.Lock()
	w := r.water[sc.ID]
	r.mu.Unlock()
	if w == nil {
		return nil, fmt.Errorf("%w %s", errNoWater, sc.ID)
	}
	res, err := r.engine.TriageWithWater(ctx, sc, w)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range res.Detections {
		d := &res.Detections[i]
		b, err := record.Marshal(&d.Record)
		if err != nil {
			continue // flight refuses it too
		}
		r.kept[d.Record.ID] = kept{Class: d.Record.Class, Satellite: d.Record.Satellite, CaptureTime: d.Record.CaptureTime,
			Bytes: int64(len(b) + len(d.Chip))}
	}
	return res, nil
}

func (r *recorder) snapshot() map[string]kept {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]kept, len(r.kept))
	for k, v := range r.kept {
		out[k] = v
	}
	return out
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.kept)
}
