package scenery

import (
	"math"

	"github.com/skysieve/skysieve/triage/synth"
)

// waterBodies lays out the sea, rivers and lakes (the reference water
// layer) and the terrain height that floods rise over.
func (g *gen) waterBodies() {
	w, h, n := g.w, g.h, g.w*g.h
	tr := g.tr
	relief := make([]float32, n)
	waves(g.rng, w, h, 24, g.px(300), g.px(20000), 0.8, 0, 1, relief)
	if g.sp.Sea > 0 {
		theta := g.rng.Float64() * 2 * math.Pi
		ragged := make([]float32, n)
		waves(g.rng, w, h, 20, g.px(150), g.px(8000), 1, 0, 1, ragged)
		rough := float32(0.03 + 0.1*g.rng.Float64())
		p := make([]float32, n)
		inv := 1 / float64(max(w, h))
		for i := range p {
			x, y := float64(i%w)-float64(w)/2, float64(i/w)-float64(h)/2
			p[i] = float32((x*math.Cos(theta)+y*math.Sin(theta))*inv) + rough*ragged[i]
		}
		thr := threshold(p, g.sp.Sea)
		for i, v := range p {
			if v > thr {
				g.kind[i] = sea
			}
		}
	}
	for k := 0; k < g.sp.Rivers; k++ {
		g.river()
	}
	for k := 0; k < g.sp.Lakes; k++ {
		cx, cy := g.rng.Float64()*float64(w), g.rng.Float64()*float64(h)
		r := g.px(200 + 1300*g.rng.Float64())
		g.blob(cx, cy, r, 0.6+0.8*g.rng.Float64(), func(i int, _ float32) {
			if g.kind[i] == land {
				g.kind[i] = lake
			}
		})
	}
	isWater := make([]bool, n)
	for i, k := range g.kind {
		isWater[i] = k != land
		tr.RefWater[i] = isWater[i]
		tr.Water[i] = isWater[i]
	}
	dWater := distance(isWater, w, h)
	isLand := make([]bool, n)
	for i := range isLand {
		isLand[i] = !isWater[i]
	}
	dLand := distance(isLand, w, h)
	g.coastD = make([]float32, n)
	for i := range g.coastD {
		g.coastD[i] = max(dWater[i], dLand[i])
		// Ground rises about 3 m per km from the water, with relief on top:
		// floods keep to the low ground along banks and shores.
		g.height[i] = float32(float64(min(dWater[i], 1e5))*g.gsd*0.003) + 2*(relief[i]+1)
	}
}

// river draws one meandering river across the scene.
func (g *gen) river() {
	w, h := float64(g.w), float64(g.h)
	var x, y, dir float64
	switch g.rng.IntN(4) {
	case 0:
		x, y, dir = 0, g.rng.Float64()*h, 0
	case 1:
		x, y, dir = w, g.rng.Float64()*h, math.Pi
	case 2:
		x, y, dir = g.rng.Float64()*w, 0, math.Pi/2
	default:
		x, y, dir = g.rng.Float64()*w, h, -math.Pi/2
	}
	dir += 0.6 * (g.rng.Float64() - 0.5)
	width := max(1.2, g.px(25+350*math.Pow(g.rng.Float64(), 2)))
	l1, l2 := g.px(1500+4000*g.rng.Float64()), g.px(500+1500*g.rng.Float64())
	a1, a2 := 0.5+0.6*g.rng.Float64(), 0.3*g.rng.Float64()
	p1, p2 := g.rng.Float64()*6.3, g.rng.Float64()*6.3
	for s := 0.0; s < 3*(w+h); s += 0.5 {
		heading := dir + a1*math.Sin(s/l1+p1) + a2*math.Sin(s/l2+p2)
		x += 0.5 * math.Cos(heading)
		y += 0.5 * math.Sin(heading)
		if x < -width || y < -width || x > w+width || y > h+width {
			break
		}
		r := width / 2
		for yy := int(y - r - 1); yy <= int(y+r+1); yy++ {
			for xx := int(x - r - 1); xx <= int(x+r+1); xx++ {
				if xx < 0 || yy < 0 || xx >= g.w || yy >= g.h {
					continue
				}
				if math.Hypot(float64(xx)+0.5-x, float64(yy)+0.5-y) <= r {
					if i := yy*g.w + xx; g.kind[i] == land {
						g.kind[i] = river
					}
				}
			}
		}
	}
}

// blob calls f for each pixel inside a wobbly ellipse of mean radius r and
// aspect ratio aspect, with its depth inside (0 at the edge .. 1 at the centre).
func (g *gen) blob(cx, cy, r, aspect float64, f func(i int, depth float32)) {
	rot := g.rng.Float64() * math.Pi
	var amp, ph [3]float64
	for k := range amp {
		amp[k], ph[k] = 0.15*g.rng.Float64(), g.rng.Float64()*6.3
	}
	ext := r * max(aspect, 1/aspect) * 1.5
	for y := max(0, int(cy-ext)); y < min(g.h, int(cy+ext)+1); y++ {
		for x := max(0, int(cx-ext)); x < min(g.w, int(cx+ext)+1); x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			u := (dx*math.Cos(rot) + dy*math.Sin(rot)) / math.Sqrt(aspect)
			v := (-dx*math.Sin(rot) + dy*math.Cos(rot)) * math.Sqrt(aspect)
			ang := math.Atan2(v, u)
			edge := r * (1 + amp[0]*math.Sin(2*ang+ph[0]) + amp[1]*math.Sin(3*ang+ph[1]) + amp[2]*math.Sin(5*ang+ph[2]))
			if d := math.Hypot(u, v); d < edge {
				f(y*g.w+x, float32(1-d/edge))
			}
		}
	}
}

// landCover paints land: field parcels (Voronoi cells of one cover each),
// wetland and wet soil along water, towns of roofs and roads, beaches.
func (g *gen) landCover() {
	w, h, n := g.w, g.h, g.w*g.h
	covers := []spectrum{specGrass, specBroadleaf, specConifer, specDryGrass, specCrop, specLoam, specRedSoil, specWetSoil}
	// A biome: weights of each cover, from humid to arid.
	arid := g.rng.Float64()
	weights := []float64{1, 1.5 * (1 - arid), 1 - arid, 2 * arid, 1.5, 0.5 + arid, arid, 0.3}
	pick := func() int {
		var sum float64
		for _, v := range weights {
			sum += v
		}
		r := g.rng.Float64() * sum
		for k, v := range weights {
			if r -= v; r < 0 {
				return k
			}
		}
		return 0
	}
	cell := max(3, g.px(250+900*g.rng.Float64()))
	gw, gh := int(float64(w)/cell)+2, int(float64(h)/cell)+2
	type site struct {
		x, y   float64
		s      spectrum
		bright float32
	}
	sites := make([]site, gw*gh)
	for k := range sites {
		cx, cy := k%gw, k/gw
		sites[k] = site{x: (float64(cx) + g.rng.Float64()) * cell, y: (float64(cy) + g.rng.Float64()) * cell,
			s: covers[pick()], bright: float32(0.85 + 0.3*g.rng.Float64())}
	}
	townF := make([]float32, n)
	townThr := float32(math.Inf(1))
	if g.sp.Town > 0 {
		waves(g.rng, w, h, 12, g.px(1500), g.px(12000), 1, 0, 1, townF)
		townThr = threshold(townF, g.sp.Town)
	}
	grain := make([]float32, n)
	waves(g.rng, w, h, 16, 2, g.px(600), 0.3, 0, 1, grain)
	block := max(2, int(g.px(150+150*g.rng.Float64())))
	beach := g.rng.Float64() < 0.6
	beachW := float32(0.5 + 2*g.rng.Float64())
	for i := range n {
		if g.kind[i] != land {
			continue
		}
		x, y := i%w, i/w
		fx, fy := float64(x)+0.5, float64(y)+0.5
		cx, cy := int(fx/cell), int(fy/cell)
		best, bd := 0, math.Inf(1)
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				ix, iy := cx+dx, cy+dy
				if ix < 0 || iy < 0 || ix >= gw || iy >= gh {
					continue
				}
				k := iy*gw + ix
				if d := math.Hypot(sites[k].x-fx, sites[k].y-fy); d < bd {
					best, bd = k, d
				}
			}
		}
		s := sites[best].s.times(sites[best].bright * (1 + 0.06*grain[i]))
		if d := g.coastD[i]; d < float32(g.px(400)) && g.rng.Float64() < 0.7 {
			s = blend(specWetland, specWetSoil, float32(g.rng.Float64()))
		}
		if beach && g.coastD[i] <= beachW && g.nearSea(i) {
			s = blend(specSand, specLoam, 0.3*float32(g.rng.Float64()))
		}
		if townF[i] > townThr {
			g.town[i] = true
			s = g.townPixel(x, y, block)
		}
		g.surf[i] = s
	}
}

// nearSea reports whether sea lies within three pixels.
func (g *gen) nearSea(i int) bool {
	x, y := i%g.w, i/g.w
	for dy := -3; dy <= 3; dy++ {
		for dx := -3; dx <= 3; dx++ {
			xx, yy := x+dx, y+dy
			if xx >= 0 && yy >= 0 && xx < g.w && yy < g.h && g.kind[yy*g.w+xx] == sea {
				return true
			}
		}
	}
	return false
}

// townPixel is a street grid of asphalt around blocks mixing roofs,
// concrete and gardens; one block in a few is a bright industrial roof.
func (g *gen) townPixel(x, y, block int) spectrum {
	if x%block == 0 || y%block == 0 {
		return blend(specAsphalt, specConcrete, 0.3*float32(g.rng.Float64()))
	}
	bx, by := uint64(x/block), uint64(y/block)
	hsh := (bx*0x9e3779b97f4a7c15 ^ by*0xc2b2ae3d27d4eb4f ^ g.sp.Seed) * 0xff51afd7ed558ccd
	switch hsh >> 60 {
	case 0, 1:
		return blend(specMetalRoof, specWhiteRoof, float32(hsh>>40&0xff)/255)
	case 2:
		return specConcrete
	}
	roofs := []spectrum{specTileRoof, specConcrete, specMetalRoof, specAsphalt, specGrass}
	var s spectrum
	var tot float32
	for _, r := range roofs {
		wt := g.rng.Float32()
		wt *= wt
		tot += wt
		for b := range s {
			s[b] += wt * r[b]
		}
	}
	return s.times(1 / tot)
}

// harbour builds a breakwater and quays on the coast, with moored hulls.
func (g *gen) harbour() {
	var coast []int
	for i, d := range g.coastD {
		if g.kind[i] == sea && d <= 1 {
			coast = append(coast, i)
		}
	}
	if len(coast) == 0 {
		return
	}
	i0 := coast[g.rng.IntN(len(coast))]
	x0, y0 := float64(i0%g.w), float64(i0/g.w)
	// Point the breakwater out to sea: towards the farthest-from-land neighbour direction.
	bestA, bestD := 0.0, float32(-1)
	for a := 0.0; a < 2*math.Pi; a += math.Pi / 16 {
		x, y := int(x0+8*math.Cos(a)), int(y0+8*math.Sin(a))
		if x >= 0 && y >= 0 && x < g.w && y < g.h && g.kind[y*g.w+x] == sea && g.coastD[y*g.w+x] > bestD {
			bestA, bestD = a, g.coastD[y*g.w+x]
		}
	}
	length := g.px(600 + 1400*g.rng.Float64())
	width := max(1.2, g.px(40+40*g.rng.Float64()))
	bend := 0.8 * (g.rng.Float64() - 0.5)
	var quay [][2]float64
	for s := 0.0; s < length; s += 0.5 {
		a := bestA + bend*s/length
		x, y := x0+s*math.Cos(a), y0+s*math.Sin(a)
		quay = append(quay, [2]float64{x, y})
		for yy := int(y - width); yy <= int(y+width); yy++ {
			for xx := int(x - width); xx <= int(x+width); xx++ {
				if xx < 0 || yy < 0 || xx >= g.w || yy >= g.h || math.Hypot(float64(xx)+0.5-x, float64(yy)+0.5-y) > width/2 {
					continue
				}
				i := yy*g.w + xx
				g.kind[i] = land
				g.tr.RefWater[i], g.tr.Water[i] = false, false
				g.surf[i] = specConcrete.times(0.9 + 0.2*g.rng.Float32())
				g.coastD[i] = 0
			}
		}
	}
	// Hulls moored along the breakwater, bows along it.
	for k, nk := 0, 2+g.rng.IntN(5); k < nk; k++ {
		p := quay[g.rng.IntN(len(quay))]
		a := bestA + bend*0.5
		side := width/2 + 1
		if g.rng.IntN(2) == 0 {
			side = -side
		}
		ln := max(2, g.px(20+100*g.rng.Float64()))
		cx := p[0] - math.Sin(a)*(side+0.4*ln/5*sign(side))
		cy := p[1] + math.Cos(a)*(side+0.4*ln/5*sign(side))
		heading := 90 + a*180/math.Pi
		g.drawHull(cx, cy, ln, heading, false)
	}
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// waterSurface paints permanent water: deep sea, turbid coastal and
// river-mouth water, rivers, lakes (clear or green).
func (g *gen) waterSurface() {
	turbidBand := float32(g.px(300 + 2500*g.rng.Float64()))
	sediment := float32(g.rng.Float64())
	lakeSpec := blend(specClearLake, spectrum{0.030, 0.060, 0.030, 0.025, 0.004, 0.002}, float32(g.rng.Float64()))
	for i, k := range g.kind {
		switch k {
		case sea:
			t := sediment * (1 - smoothstep(0, turbidBand, g.coastD[i]))
			g.surf[i] = blend(specDeepWater, specTurbidRiver, t)
		case river:
			g.surf[i] = blend(specTurbidRiver, specClearLake, 0.4*float32(g.rng.Float64()))
		case lake:
			g.surf[i] = lakeSpec
		}
	}
}

// seaSurface adds glint and whitecaps to open water.
func (g *gen) seaSurface() {
	n := g.w * g.h
	facets := make([]float32, n)
	waves(g.rng, g.w, g.h, 24, 2, g.px(2000), 0.5, g.rng.Float64()*math.Pi, 3, facets)
	for i := range n {
		if !g.tr.Water[i] {
			continue
		}
		if g.sp.Glint > 0 {
			v := clamp01(0.5 + 0.35*facets[i])
			gl := float32(g.sp.Glint) * 0.35 * v * v * v
			for b := range g.add[i] {
				g.add[i][b] += gl * [6]float32{1, 1, 1, 0.97, 0.9, 0.85}[b]
			}
			if gl > 0.03 {
				g.tr.Hard[i] |= synth.HardGlint
			}
		}
		if g.kind[i] == sea && g.sp.Wind > 0.4 && g.rng.Float64() < (g.sp.Wind-0.4)*0.01 {
			f := float32(0.05 + 0.4*g.rng.Float64())
			for b := range g.add[i] {
				g.add[i][b] += f * specFoam[b]
			}
			g.tr.Hard[i] |= synth.HardGlint
		}
	}
}

// burnScars lays old scars, char without fire, on land.
func (g *gen) burnScars() {
	for k := 0; k < g.sp.BurnScars; k++ {
		i := g.landPixel(func(i int) bool { return !g.town[i] })
		if i < 0 {
			return
		}
		s := blend(specChar, specOldScar, float32(g.rng.Float64()))
		g.blob(float64(i%g.w), float64(i/g.w), g.px(150+800*g.rng.Float64()), 0.5+g.rng.Float64(), func(j int, _ float32) {
			if !g.tr.RefWater[j] {
				g.surf[j] = s
				g.tr.Hard[j] |= synth.HardBurnScar
			}
		})
	}
}

// landPixel returns a random reference-land pixel that ok accepts, or -1.
func (g *gen) landPixel(ok func(i int) bool) int {
	for try := 0; try < 500; try++ {
		i := g.rng.IntN(g.w * g.h)
		if !g.tr.RefWater[i] && ok(i) {
			return i
		}
	}
	return -1
}
