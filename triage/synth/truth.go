package synth

import (
	"fmt"

	"github.com/skysieve/skysieve/triage/scene"
)

// Tile labels. A tile has exactly one, chosen in this order of precedence:
// cloud, fire, vessel, flood, water, background.
const (
	LabelBackground = "background"
	LabelCloud      = "cloud"
	LabelWater      = "water"
	LabelFlood      = "flood"
	LabelFire       = "fire"
	LabelVessel     = "vessel"
)

// OpaqueCloud is the per-pixel cloud opacity from which a pixel counts as cloud.
const OpaqueCloud = 0.5

// Rules are the thresholds that turn per-pixel truth into tile labels.
type Rules struct {
	// CloudTileFraction is the fraction of cloud pixels from which a tile is labelled cloud.
	CloudTileFraction float64
	// WaterTileFraction is the fraction of clear pixels that must be water
	// for a tile to be labelled water or flood.
	WaterTileFraction float64
	// RefLandFraction: a water tile is a flood when less than this fraction
	// of it is water in the reference layer.
	RefLandFraction float64
	// VesselMinCover is the hull cover from which a pixel shows a vessel.
	VesselMinCover float32
}

// EvalRules define the truth the eval scores against (and Truth.Tiles).
// A trainer may label with a wider margin (see triage/train).
var EvalRules = Rules{CloudTileFraction: 0.7, WaterTileFraction: 0.5, RefLandFraction: 0.25, VesselMinCover: 0.5}

// Truth is a scene's ground truth: per-pixel layers (row-major, Width×Height)
// and per-tile labels on the TileSize grid.
type Truth struct {
	Width, Height, TileSize int
	// Cloud is each pixel's cloud opacity, 0..1.
	Cloud []float32
	// Shadow is the opacity, 0..1, of the cloud between each pixel and the
	// sun: the part of the direct sunlight it blocks. A pixel is in cloud
	// shadow (ClassShadow) from ShadowMin, when it is not itself cloud.
	Shadow []float32
	// Water is water on the day: sea, lakes and floods.
	Water []bool
	// RefWater is the reference water layer: permanent water only (sea and
	// lakes), as a map made before the events would show it.
	RefWater []bool
	// Fire marks burning pixels; Vessel marks pixels at least half covered
	// by a hull, and VesselCover holds each pixel's hull cover, 0..1.
	Fire, Vessel []bool
	VesselCover  []float32
	// Hard holds per-pixel hard-case flags (HardGlint, ...).
	Hard []uint8
	// Events are the events drawn, random ones included, placed in pixels.
	Events []Event
	// Cols and Rows count whole tiles; Tiles holds them row-major.
	Cols, Rows int
	Tiles      []TileTruth
}

// TileTruth is the label of one tile and what it was derived from.
type TileTruth struct {
	Row, Col int // tile grid position
	X0, Y0   int // upper-left pixel
	Label    string
	// CloudFraction is the fraction of pixels under opaque cloud.
	CloudFraction float64
	// WaterFraction is the fraction of clear pixels that are water.
	WaterFraction float64
	// RefWaterFraction is the fraction of pixels that are water in the reference layer.
	RefWaterFraction float64
	// Hard is the union of the tile's hard-case flags (of pixels that matter for its label).
	Hard uint8
	// Ambiguous marks a tile whose label rests on a sliver: it shows hull
	// pixels of vessels whose centres all lie in other tiles, or it is land
	// within AmbiguousWaterBand below the water threshold. Evaluations may
	// score such tiles neither right nor wrong, as detection benchmarks do
	// with "difficult" objects.
	Ambiguous bool
}

// AmbiguousWaterBand is how far below Rules.WaterTileFraction a tile on
// reference land counts as a near-flood (Ambiguous).
const AmbiguousWaterBand = 0.15

// Actionable reports whether the label is one a satellite should send down.
func (t TileTruth) Actionable() bool {
	return t.Label == LabelFire || t.Label == LabelFlood || t.Label == LabelVessel
}

// HardCases names the tile's hard-case flags.
func (t TileTruth) HardCases() []string {
	var out []string
	for b, name := range HardNames {
		if t.Hard&(1<<b) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// Label labels the w×h pixel window with upper-left pixel (x0, y0), which
// must lie inside the scene, by EvalRules.
func (t *Truth) Label(x0, y0, w, h int) TileTruth { return t.LabelWith(EvalRules, x0, y0, w, h) }

// LabelWith labels a window by the given rules.
func (t *Truth) LabelWith(r Rules, x0, y0, w, h int) TileTruth {
	tt := TileTruth{X0: x0, Y0: y0}
	var nCloud, nClear, nWater, nRef, nFire, nVessel, nVesselAny int
	var hardAll, hardFire, hardVessel uint8
	for y := y0; y < y0+h; y++ {
		for x := x0; x < x0+w; x++ {
			i := y*t.Width + x
			if t.RefWater[i] {
				nRef++
			}
			if t.Cloud[i] >= OpaqueCloud {
				nCloud++
				continue
			}
			nClear++
			hardAll |= t.Hard[i]
			if t.Water[i] {
				nWater++
			}
			if t.Fire[i] {
				nFire++
				hardFire |= t.Hard[i]
			}
			if t.VesselCover[i] > 0.1 {
				nVesselAny++
			}
			if t.VesselCover[i] >= r.VesselMinCover && t.VesselCover[i] > 0 {
				nVessel++
				hardVessel |= t.Hard[i]
			}
		}
	}
	n := float64(w * h)
	tt.CloudFraction = float64(nCloud) / n
	tt.RefWaterFraction = float64(nRef) / n
	if nClear > 0 {
		tt.WaterFraction = float64(nWater) / float64(nClear)
	}
	tt.Hard = hardAll &^ (HardSmallFire | HardVesselNearCoast)
	switch {
	case tt.CloudFraction >= r.CloudTileFraction:
		tt.Label = LabelCloud
	case nFire > 0:
		tt.Label = LabelFire
		tt.Hard |= hardFire & HardSmallFire
	case nVessel > 0:
		tt.Label = LabelVessel
		tt.Hard |= hardVessel & HardVesselNearCoast
		tt.Ambiguous = !t.vesselCentreIn(x0, y0, w, h)
	case tt.WaterFraction >= r.WaterTileFraction && tt.RefWaterFraction < r.RefLandFraction:
		tt.Label = LabelFlood
	case tt.WaterFraction >= r.WaterTileFraction:
		tt.Label = LabelWater
	default:
		tt.Label = LabelBackground
		tt.Ambiguous = tt.WaterFraction >= r.WaterTileFraction-AmbiguousWaterBand && tt.RefWaterFraction < r.RefLandFraction
	}
	if tt.Label == LabelBackground || tt.Label == LabelWater {
		// Hull slivers of vessels centred elsewhere.
		tt.Ambiguous = tt.Ambiguous || nVesselAny > 0
	}
	return tt
}

// vesselCentreIn reports whether a vessel event's centre lies in the window.
func (t *Truth) vesselCentreIn(x0, y0, w, h int) bool {
	for _, e := range t.Events {
		if e.Class == "vessel" && e.Col >= float64(x0) && e.Col < float64(x0+w) && e.Row >= float64(y0) && e.Row < float64(y0+h) {
			return true
		}
	}
	return false
}

// LabelTiles fills Cols, Rows and Tiles from the per-pixel layers and
// Events by EvalRules. Generate calls it; another generator filling a Truth
// calls it last, so its tiles are labelled exactly as synth's.
func (t *Truth) LabelTiles() {
	t.Cols, t.Rows = t.Width/t.TileSize, t.Height/t.TileSize
	t.Tiles = make([]TileTruth, 0, t.Cols*t.Rows)
	for r := 0; r < t.Rows; r++ {
		for c := 0; c < t.Cols; c++ {
			tt := t.Label(c*t.TileSize, r*t.TileSize, t.TileSize, t.TileSize)
			tt.Row, tt.Col = r, c
			t.Tiles = append(t.Tiles, tt)
		}
	}
}

// Tile returns the label of grid tile (row, col).
func (t *Truth) Tile(row, col int) TileTruth { return t.Tiles[row*t.Cols+col] }

// WaterFraction returns the fraction of the pixel window [x0,x1)×[y0,y1)
// that is water in the reference layer. It makes a Truth usable as the
// reference water layer of the scene it was generated with (it implements
// triage.WaterLayer); for a scene of another size it fails.
func (t *Truth) WaterFraction(s *scene.Scene, x0, y0, x1, y1 int) (float64, error) {
	if s.Width != t.Width || s.Height != t.Height {
		return 0, fmt.Errorf("synth: reference water layer is %d×%d, scene %q is %d×%d", t.Width, t.Height, s.ID, s.Width, s.Height)
	}
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, t.Width), min(y1, t.Height)
	if x1 <= x0 || y1 <= y0 {
		return 0, fmt.Errorf("synth: empty window [%d,%d)×[%d,%d)", x0, x1, y0, y1)
	}
	var nRef int
	for y := y0; y < y1; y++ {
		for _, v := range t.RefWater[y*t.Width+x0 : y*t.Width+x1] {
			if v {
				nRef++
			}
		}
	}
	return float64(nRef) / float64((x1-x0)*(y1-y0)), nil
}
