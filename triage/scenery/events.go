package scenery

import (
	"math"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/triage/synth"
)

// flood grows a flood of 300–2,000 pixels from a river bank or a shore
// over the lowest land, sometimes partly under a veil of thin cloud.
func (g *gen) flood() {
	w := g.w
	nearKind := func(i int, k uint8) bool {
		x, y := i%w, i/w
		for dy := -2; dy <= 2; dy++ {
			for dx := -2; dx <= 2; dx++ {
				xx, yy := x+dx, y+dy
				if xx >= 0 && yy >= 0 && xx < w && yy < g.h && g.kind[yy*w+xx] == k {
					return true
				}
			}
		}
		return false
	}
	free := func(i int) bool { return !g.tr.Water[i] && !g.tr.Fire[i] }
	seed := g.landPixel(func(i int) bool { return free(i) && g.coastD[i] <= 2 && nearKind(i, river) })
	if seed < 0 || g.rng.Float64() < 0.25 {
		if s := g.landPixel(func(i int) bool { return free(i) && g.coastD[i] <= 2 }); s >= 0 {
			seed = s
		}
	}
	if seed < 0 {
		seed = g.landPixel(free)
	}
	if seed < 0 {
		return
	}
	target := int(math.Exp(math.Log(300) + g.rng.Float64()*math.Log(2000.0/300)))
	cost := make([]float32, len(g.height))
	jit := float32(0.5 + 2*g.rng.Float64())
	for i, v := range g.height {
		cost[i] = v + jit*g.rng.Float32()
	}
	px := grow(seed, target, w, g.h, cost, free)
	if len(px) < 150 {
		return
	}
	in := make(map[int]bool, len(px))
	var sx, sy float64
	for _, i := range px {
		in[i] = true
		sx += float64(i%w) + 0.5
		sy += float64(i/w) + 0.5
	}
	emergent := 0.35 * g.rng.Float32()
	for _, i := range px {
		g.tr.Water[i] = true
		edge := false
		for _, j := range []int{i - 1, i + 1, i - w, i + w} {
			if j >= 0 && j < len(g.surf) && !in[j] && !g.tr.Water[j] {
				edge = true
			}
		}
		mixIn := emergent * g.rng.Float32() * g.rng.Float32()
		if edge {
			mixIn = 0.2 + 0.2*g.rng.Float32()
		}
		g.surf[i] = blend(specFloodWater, g.surf[i], mixIn)
	}
	cx, cy := sx/float64(len(px)), sy/float64(len(px))
	best, bd := px[0], math.Inf(1)
	for _, i := range px {
		if d := math.Hypot(float64(i%w)+0.5-cx, float64(i/w)+0.5-cy); d < bd {
			best, bd = i, d
		}
	}
	g.tr.Events = append(g.tr.Events, synth.Event{Class: record.ClassFlood, Col: float64(best%w) + 0.5, Row: float64(best/w) + 0.5,
		SizePx: math.Sqrt(float64(len(px)) / math.Pi)})
	if g.rng.Float64() < 0.4 {
		// A veil of thin cloud over part of the flood.
		r := math.Sqrt(float64(len(px))/math.Pi) * (0.6 + 0.8*g.rng.Float64())
		peak := 0.12 + 0.3*g.rng.Float32()
		ox, oy := r*(g.rng.Float64()-0.5), r*(g.rng.Float64()-0.5)
		g.blob(cx+ox, cy+oy, r, 0.6+0.8*g.rng.Float64(), func(i int, depth float32) {
			g.high[i] = max(g.high[i], peak*smoothstep(0, 0.4, depth))
		})
	}
}

// fire draws an active fire on vegetated land: a single sub-pixel fire or
// a burning front with char behind it and a smoke plume downwind. Each
// burning pixel's emission is Planck radiance at a flame temperature over
// the fraction of the pixel that burns, drawn so the SWIR-2 excess is at
// least 0.3 (what a day-time SWIR fire test sees).
func (g *gen) fire() {
	veg := func(i int) bool {
		s := g.surf[i]
		return !g.tr.Water[i] && !g.town[i] && !g.tr.Fire[i] && s[3] > 1.3*s[2]
	}
	i0 := g.landPixel(veg)
	if i0 < 0 {
		if i0 = g.landPixel(func(i int) bool { return !g.tr.Water[i] && !g.tr.Fire[i] }); i0 < 0 {
			return
		}
	}
	w := g.w
	cx, cy := float64(i0%w)+0.5, float64(i0/w)+0.5
	burn := func(i int) {
		if g.tr.Water[i] {
			return
		}
		temp := 650 + 550*g.rng.Float64()
		excess := math.Exp(math.Log(0.3) + g.rng.Float64()*math.Log(8/0.3))
		frac := min(1, excess/float64(fireExcess(temp, 1, g.sp.SunElevDeg)[5]))
		e := fireExcess(temp, frac, g.sp.SunElevDeg)
		if e[5] < 0.3 {
			return
		}
		old := g.emit[i]
		for b := range e {
			e[b] += old[b]
		}
		g.emit[i] = e
		g.tr.Fire[i] = true
	}
	size := 0.5
	if g.rng.Float64() < 0.4 {
		burn(i0)
		if g.tr.Fire[i0] {
			g.tr.Hard[i0] |= synth.HardSmallFire
		}
	} else {
		size = 1.5 + 8*g.rng.Float64()
		g.blob(cx, cy, size, 0.6+0.8*g.rng.Float64(), func(i int, depth float32) {
			if !g.tr.RefWater[i] {
				g.surf[i] = blend(g.surf[i], specChar, 0.6+0.4*depth)
			}
		})
		// The front: an arc on the downwind rim, one to two pixels deep.
		dir := g.rng.Float64() * 2 * math.Pi
		span := math.Pi * (0.3 + 0.7*g.rng.Float64())
		for a := dir - span/2; a < dir+span/2; a += 0.5 / size {
			rr := size * (0.85 + 0.3*g.rng.Float64())
			x, y := int(cx+rr*math.Cos(a)), int(cy+rr*math.Sin(a))
			if x >= 0 && y >= 0 && x < w && y < g.h && !g.tr.Fire[y*w+x] {
				burn(y*w + x)
			}
		}
		if !g.tr.Fire[i0] {
			burn(i0)
		}
	}
	if !g.tr.Fire[i0] {
		return
	}
	g.tr.Events = append(g.tr.Events, synth.Event{Class: record.ClassFire, Col: cx, Row: cy, SizePx: size})
	// Smoke: a widening plume, thinning downwind; not cloud.
	ang := g.rng.Float64() * 2 * math.Pi
	dens := float32(0.1 + 0.25*g.rng.Float64())
	long := g.px(1500 + 6000*g.rng.Float64())
	for s := 1.0; s < long; s += 1 {
		x, y := cx+s*math.Cos(ang), cy+s*math.Sin(ang)
		r := 1 + s*0.25
		a := dens * float32(1-s/long)
		for yy := int(y - r); yy <= int(y+r); yy++ {
			for xx := int(x - r); xx <= int(x+r); xx++ {
				if xx >= 0 && yy >= 0 && xx < w && yy < g.h && math.Hypot(float64(xx)+0.5-x, float64(yy)+0.5-y) <= r {
					i := yy*w + xx
					g.smoke[i] = max(g.smoke[i], a)
				}
			}
		}
	}
}

// vessel places one hull of 15–300 m: on open water, near the coast, on a
// wide river, or (nearCloud) on clear water a few pixels from thick cloud.
func (g *gen) vessel(nearCloud bool) {
	w := g.w
	open := func(i int) bool { return g.tr.RefWater[i] && g.tr.Water[i] }
	var ok func(i int) bool
	r := g.rng.Float64()
	switch {
	case nearCloud:
		ok = func(i int) bool {
			if !open(i) || g.coastD[i] < 2 || g.low[i]+g.high[i] >= 0.1 {
				return false
			}
			x, y := i%w, i/w
			for _, d := range [][2]int{{5, 0}, {-5, 0}, {0, 5}, {0, -5}, {4, 4}, {-4, 4}, {4, -4}, {-4, -4}, {8, 0}, {0, 8}, {-8, 0}, {0, -8}} {
				xx, yy := x+d[0], y+d[1]
				if xx >= 0 && yy >= 0 && xx < w && yy < g.h && g.low[yy*w+xx] >= 0.5 {
					return true
				}
			}
			return false
		}
	case r < 0.6:
		ok = func(i int) bool { return open(i) && g.coastD[i] > 5 }
	case r < 0.85:
		ok = func(i int) bool { return open(i) && g.coastD[i] >= 1.5 && g.coastD[i] <= 5 }
	default:
		ok = func(i int) bool { return open(i) && g.kind[i] == river && g.coastD[i] >= 1.5 }
	}
	i := -1
	for try := 0; try < 3000 && i < 0; try++ {
		if j := g.rng.IntN(w * g.h); ok(j) {
			i = j
		}
	}
	if i < 0 {
		return
	}
	lm := 15 * math.Pow(20, g.rng.Float64())
	ln := max(2, g.px(lm))
	if g.kind[i] == river || g.coastD[i] <= 5 {
		ln = min(ln, 2*float64(g.coastD[i])+2)
	}
	g.drawHull(float64(i%w)+g.rng.Float64(), float64(i/w)+g.rng.Float64(), ln, 360*g.rng.Float64(), g.rng.Float64() < 0.7)
}

// drawHull paints a hull of length ln pixels with a pointed bow, heading
// clockwise from north, and (moving) its wake; it records the event when
// some pixel is at least half hull.
func (g *gen) drawHull(cx, cy, ln, headingDeg float64, moving bool) {
	w := g.w
	width := max(1.0, ln/6)
	hd := headingDeg * math.Pi / 180
	ux, uy := math.Sin(hd), -math.Cos(hd)
	paint := hullPaints[g.rng.IntN(len(hullPaints))]
	foam := float32(0.05 + 0.25*g.rng.Float64())
	ext := int(ln) + 2
	if moving {
		ext = int(5*ln) + 3
	}
	hit, near := false, false
	for y := max(0, int(cy)-ext); y < min(g.h, int(cy)+ext+1); y++ {
		for x := max(0, int(cx)-ext); x < min(w, int(cx)+ext+1); x++ {
			var hull, wake float32
			for s := 0; s < 16; s++ {
				dx := float64(x) + (float64(s%4)+0.5)/4 - cx
				dy := float64(y) + (float64(s/4)+0.5)/4 - cy
				along := dx*ux + dy*uy
				across := math.Abs(-dx*uy + dy*ux)
				half := width / 2
				if along > 0.25*ln {
					half *= 1 - (along-0.25*ln)/(0.25*ln)
				}
				switch {
				case math.Abs(along) <= ln/2 && across <= half:
					hull++
				case moving && along < -ln/2:
					back := -along - ln/2
					// Turbulent stern wake on the axis, Kelvin arms at ±19.5°.
					if back < 4*ln && across <= width/2+0.1*back {
						wake += float32(1 - back/(4*ln))
					} else if back < 5*ln && math.Abs(across-0.354*back) < 0.6 {
						wake += 0.4 * float32(1-back/(5*ln))
					}
				}
			}
			i := y*w + x
			if hull > 0 {
				c := hull / 16
				g.surf[i] = blend(g.surf[i], paint, c)
				g.tr.VesselCover[i] = max(g.tr.VesselCover[i], c)
				if c >= 0.5 {
					g.tr.Vessel[i] = true
					hit = true
					near = near || g.coastD[i] < 6
				}
			} else if wake > 0 && g.tr.Water[i] {
				for b := range g.add[i] {
					g.add[i][b] += foam * wake / 16 * specFoam[b]
				}
			}
		}
	}
	if !hit {
		return
	}
	if near {
		for y := max(0, int(cy)-ext); y < min(g.h, int(cy)+ext+1); y++ {
			for x := max(0, int(cx)-ext); x < min(w, int(cx)+ext+1); x++ {
				if g.tr.Vessel[y*w+x] {
					g.tr.Hard[y*w+x] |= synth.HardVesselNearCoast
				}
			}
		}
	}
	g.tr.Events = append(g.tr.Events, synth.Event{Class: record.ClassVessel, Col: cx, Row: cy, SizePx: ln, HeadingDeg: headingDeg})
}
