package scenery

import (
	"math"
)

// clouds builds the low (cumulus, fair-weather cumulus, stratus) and high
// (cirrus) opacity layers.
func (g *gen) clouds() {
	n := g.w * g.h
	soft := float32(g.sp.SoftEdges)
	if g.sp.Cumulus > 0 {
		g.puffs(g.sp.Cumulus, 250, 1500, 0.85, 1, true, false)
	}
	if g.sp.FairWeather > 0 {
		g.puffs(g.sp.FairWeather, 60, 350, 0.3, 0.95, false, true)
	}
	f := make([]float32, n)
	if g.sp.Stratus > 0 {
		waves(g.rng, g.w, g.h, 20, g.px(400), g.px(40000), 1.1, 0, 1, f)
		tex := make([]float32, n)
		waves(g.rng, g.w, g.h, 16, 2, g.px(2000), 0.5, 0, 1, tex)
		thr := threshold(f, g.sp.Stratus)
		e := 0.03 + 0.3*soft
		peak := 0.8 + 0.2*g.rng.Float32()
		for i, v := range f {
			o := peak * smoothstep(thr-e, thr+e, v+0.1*tex[i]) * (1 + 0.1*tex[i])
			g.low[i] = 1 - (1-g.low[i])*(1-clamp01(o))
		}
	}
	if g.sp.Cirrus > 0 {
		ang := g.rng.Float64() * math.Pi
		waves(g.rng, g.w, g.h, 28, g.px(300), g.px(30000), 1, ang, 5+5*g.rng.Float64(), f)
		thr := threshold(f, g.sp.Cirrus)
		top := 0.1 + 0.35*g.rng.Float32()
		for i, v := range f {
			g.high[i] = max(g.high[i], top*smoothstep(thr, thr+0.4+0.6*soft, v))
		}
	}
}

// puffs adds cumulus puffs of radius rMinM..rMaxM metres and peak opacity
// peakLo..peakHi to the low layer until cover of the scene is under
// opacity ≥ 0.5. Clustered puffs gather in cells (a cumulus field);
// overWater puffs are centred mostly on water (broken cumulus at sea).
func (g *gen) puffs(cover, rMinM, rMaxM float64, peakLo, peakHi float32, clustered, overWater bool) {
	n := g.w * g.h
	want := int(cover * float64(n))
	covered := 0
	for _, v := range g.low {
		if v >= 0.5 {
			covered++
		}
	}
	var water []int
	if overWater {
		for i, v := range g.tr.Water {
			if v {
				water = append(water, i)
			}
		}
	}
	sharp := float32(1 / (0.15 + 0.85*g.sp.SoftEdges))
	var ccx, ccy, spread float64
	for k := 0; k < 20000 && covered < want; k++ {
		if clustered && k%12 == 0 {
			ccx, ccy = g.rng.Float64()*float64(g.w), g.rng.Float64()*float64(g.h)
			spread = g.px(800 + 2500*g.rng.Float64())
		}
		r := g.px(rMinM * math.Pow(rMaxM/rMinM, g.rng.Float64()))
		var cx, cy float64
		switch {
		case clustered:
			cx, cy = ccx+spread*g.rng.NormFloat64(), ccy+spread*g.rng.NormFloat64()
		case len(water) > 0 && g.rng.Float64() < 0.75:
			i := water[g.rng.IntN(len(water))]
			cx, cy = float64(i%g.w)+g.rng.Float64(), float64(i/g.w)+g.rng.Float64()
		default:
			cx, cy = g.rng.Float64()*float64(g.w), g.rng.Float64()*float64(g.h)
		}
		peak := peakLo + (peakHi-peakLo)*g.rng.Float32()
		g.blob(cx, cy, r, 0.7+0.6*g.rng.Float64(), func(i int, depth float32) {
			o := peak * clamp01(depth*sharp) * (0.85 + 0.15*g.rng.Float32())
			before := g.low[i]
			g.low[i] = 1 - (1-before)*(1-o)
			if before < 0.5 && g.low[i] >= 0.5 {
				covered++
			}
		})
	}
}
