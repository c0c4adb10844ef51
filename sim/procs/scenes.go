package procs

import (
	"fmt"
	"time"

	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

// DefaultScenes draws n synthetic scenes of sizePx square with known
// actionable content: each has coast and sea (OceanFraction 0.35), two
// fires on land and two vessels at sea, light cloud, so flight's triage
// keeps detections from every scene. It is a pure function of its
// arguments; scene ids are procs-<seed>-<i>.
func DefaultScenes(seed uint64, n, sizePx int, capture time.Time) []*scene.Scene {
	out := make([]*scene.Scene, n)
	for i := range out {
		out[i], _ = synth.Generate(synth.Spec{
			Seed: seed*1000 + uint64(i), SceneID: fmt.Sprintf("procs-%d-%03d", seed, i),
			Satellite: Satellite, CaptureTime: capture, Width: sizePx, Height: sizePx,
			OceanFraction: 0.35, CloudCover: 0.05, RandomFires: 2, RandomVessels: 2,
		})
	}
	return out
}
