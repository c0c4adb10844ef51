package sim

import (
	"math"
	"math/rand/v2"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/feed"
	"github.com/skysieve/skysieve/sim/world"
	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

// CaptureTruth is what the ground truth says about one capture, kept after
// its pixels are gone.
type CaptureTruth struct {
	// Visible lists world event indexes visible (a clear tile of their
	// class covers them) in this capture.
	Visible []int
	// ActionableTiles and CriticalTiles count the truth's tiles labelled
	// fire, flood or vessel, and fire or flood.
	ActionableTiles int
	CriticalTiles   int
}

// Spec turns a planned capture into the scene generator's spec: the
// capture's footprint as a north-up WGS84 grid, its cloud cover, the sea
// where the land mask has it, and the world events under it.
func Spec(c *world.Capture, events []world.Event) synth.Spec {
	rng := rand.New(rand.NewPCG(c.Seed, 2))
	spec := synth.Spec{
		Seed:        c.Seed,
		SceneID:     c.ID,
		Satellite:   c.Satellite,
		CaptureTime: c.Time,
		Width:       c.WidthPx,
		Height:      c.HeightPx,
		Geo: scene.Geo{EPSG: scene.EPSGWGS84, OriginX: c.Bounds.MinLonDeg, OriginY: c.Bounds.MaxLatDeg,
			PixelSizeX: c.PixelDegLon, PixelSizeY: c.PixelDegLat},
		// Most cover is opaque; a share is thin cirrus.
		CloudCover:    0.85 * c.CloudFraction,
		ThinCloud:     0.15 * c.CloudFraction,
		OceanFraction: math.Min(0.97, 1-c.LandFraction),
		Glint:         0.5 * rng.Float64() * (1 - c.LandFraction),
		BurnScars:     rng.IntN(3),
	}
	if c.LandFraction == 0 {
		spec.OceanFraction = 1
	}
	for _, i := range c.Events {
		e := events[i]
		size := e.RadiusM / c.GSDm
		if e.Class == record.ClassVessel {
			size = 2 * e.RadiusM / c.GSDm // a vessel's length
		}
		spec.Events = append(spec.Events, synth.Event{
			Class: e.Class, Lon: e.LonDeg, Lat: e.LatDeg, AtLonLat: true,
			SizePx: size, HeadingDeg: 360 * rng.Float64(),
		})
	}
	return spec
}

// Summarize reads a generated scene's truth: which of the capture's events
// are visible, and how many tiles are actionable.
func Summarize(c *world.Capture, events []world.Event, sc *scene.Scene, tr *synth.Truth) CaptureTruth {
	var ct CaptureTruth
	for _, t := range tr.Tiles {
		if t.Actionable() {
			ct.ActionableTiles++
			if feed.IsSevere(t.Label) {
				ct.CriticalTiles++
			}
		}
	}
	for _, i := range c.Events {
		e := events[i]
		col, row, err := sc.Geo.LonLatToPixel(e.LonDeg, e.LatDeg)
		if err != nil {
			continue
		}
		r := math.Max(1, e.RadiusM/c.GSDm)
		ts := float64(tr.TileSize)
		visible := false
		for tr0 := int((row - r) / ts); tr0 <= int((row+r)/ts) && !visible; tr0++ {
			for tc := int((col - r) / ts); tc <= int((col+r)/ts); tc++ {
				if tr0 < 0 || tc < 0 || tr0 >= tr.Rows || tc >= tr.Cols {
					continue
				}
				if tr.Tile(tr0, tc).Label == e.Class {
					visible = true
					break
				}
			}
		}
		if visible {
			ct.Visible = append(ct.Visible, i)
		}
	}
	return ct
}
