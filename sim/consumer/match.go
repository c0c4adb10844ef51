package consumer

import (
	"math"
	"time"

	"github.com/skysieve/skysieve/sim/world"
)

// Match returns the index of the ground-truth event a detection of class
// with this footprint, captured at capture, shows: same class, active at
// capture time, and its extent overlapping the footprint's bounding box.
// Of several candidates it picks the one nearest the footprint's centre.
// It returns -1 when nothing matches (a false positive).
func Match(events []world.Event, class string, footprint [][2]float64, capture time.Time) int {
	if len(footprint) == 0 {
		return -1
	}
	fp := ringBounds(footprint)
	cLat, cLon := (fp.MinLatDeg+fp.MaxLatDeg)/2, (fp.MinLonDeg+fp.MaxLonDeg)/2
	best, bestD := -1, math.Inf(1)
	for i, e := range events {
		if e.Class != class || !e.ActiveAt(capture) {
			continue
		}
		eb := e.BoundsDeg()
		if eb.MaxLatDeg < fp.MinLatDeg || eb.MinLatDeg > fp.MaxLatDeg || eb.MaxLonDeg < fp.MinLonDeg || eb.MinLonDeg > fp.MaxLonDeg {
			continue
		}
		if d := math.Hypot(e.LatDeg-cLat, e.LonDeg-cLon); d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

func ringBounds(ring [][2]float64) world.Box {
	b := world.Box{MinLatDeg: 90, MaxLatDeg: -90, MinLonDeg: 180, MaxLonDeg: -180}
	for _, p := range ring {
		b.MinLonDeg, b.MaxLonDeg = math.Min(b.MinLonDeg, p[0]), math.Max(b.MaxLonDeg, p[0])
		b.MinLatDeg, b.MaxLatDeg = math.Min(b.MinLatDeg, p[1]), math.Max(b.MaxLatDeg, p[1])
	}
	return b
}
