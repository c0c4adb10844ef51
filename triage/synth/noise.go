package synth

import (
	"math"
	"math/rand/v2"
)

// noiseField fills out (w×h) with fractal value noise in roughly [-1, 1]:
// octaves of random lattice values, smoothly interpolated, the first with
// cells of cellPx pixels, each next one half the size and half the weight.
// It is the texture behind coastlines, land cover, clouds and glint.
func noiseField(rng *rand.Rand, w, h int, cellPx float64, octaves int, out []float32) {
	for i := range out {
		out[i] = 0
	}
	amp, norm := float32(1), float32(0)
	rowW := make([]float32, w)
	rowI := make([]int32, w)
	for o := 0; o < octaves; o++ {
		gw := int(float64(w)/cellPx) + 2
		gh := int(float64(h)/cellPx) + 2
		lattice := make([]float32, gw*gh)
		for i := range lattice {
			lattice[i] = float32(rng.Float64()*2 - 1)
		}
		inv := 1 / cellPx
		for x := 0; x < w; x++ {
			fx := float64(x) * inv
			ix := int(fx)
			rowI[x] = int32(ix)
			rowW[x] = smooth(float32(fx - float64(ix)))
		}
		for y := 0; y < h; y++ {
			fy := float64(y) * inv
			iy := int(fy)
			ty := smooth(float32(fy - float64(iy)))
			l0 := lattice[iy*gw:]
			l1 := lattice[(iy+1)*gw:]
			o := out[y*w : (y+1)*w]
			for x := range o {
				ix := rowI[x]
				tx := rowW[x]
				a := l0[ix] + (l0[ix+1]-l0[ix])*tx
				b := l1[ix] + (l1[ix+1]-l1[ix])*tx
				o[x] += amp * (a + (b-a)*ty)
			}
		}
		norm += amp
		amp *= 0.5
		cellPx /= 2
		if cellPx < 1 {
			cellPx = 1
		}
	}
	inv := 1 / norm
	for i := range out {
		out[i] *= inv
	}
}

func smooth(t float32) float32 { return t * t * (3 - 2*t) }

// quantile returns the value v such that about frac of the values in f are
// above v (frac in [0,1]), from a 2048-bin histogram.
func quantileAbove(f []float32, frac float64) float32 {
	if len(f) == 0 {
		return 0
	}
	lo, hi := f[0], f[0]
	for _, v := range f {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	if frac <= 0 {
		return hi + 1
	}
	if frac >= 1 || hi == lo {
		return lo - 1
	}
	const bins = 2048
	var hist [bins]int
	scale := float32(bins-1) / (hi - lo)
	for _, v := range f {
		hist[int((v-lo)*scale)]++
	}
	want := int(frac * float64(len(f)))
	n := 0
	for b := bins - 1; b >= 0; b-- {
		n += hist[b]
		if n >= want {
			return lo + float32(b)/scale
		}
	}
	return lo
}

// streakField fills out (w×h) with fractal noise stretched by stretch along
// a random direction: the streaks of cirrus drawn out by high winds.
func streakField(rng *rand.Rand, w, h int, cellPx, stretch float64, out []float32) {
	d := int(math.Ceil(math.Hypot(float64(w), float64(h)))) + 2
	base := make([]float32, d*d)
	noiseField(rng, d, d, cellPx, 4, base)
	ang := rng.Float64() * math.Pi
	c, s := math.Cos(ang), math.Sin(ang)
	cx, cy, half := float64(w)/2, float64(h)/2, float64(d)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			u := (dx*c+dy*s)/stretch + half
			v := -dx*s + dy*c + half
			ix, iy := min(max(int(u), 0), d-1), min(max(int(v), 0), d-1)
			out[y*w+x] = base[iy*d+ix]
		}
	}
}
