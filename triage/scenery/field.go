package scenery

import (
	"container/heap"
	"math"
	"math/rand/v2"
)

// waves fills out (w×h) with a sum of n random plane waves whose
// wavelengths run from maxPx down to minPx pixels, amplitude proportional to
// wavelength^beta, normalised to unit standard deviation. stretch > 1
// squeezes the waves across the direction angle (streaks along it).
func waves(rng *rand.Rand, w, h, n int, minPx, maxPx, beta, angle, stretch float64, out []float32) {
	for i := range out {
		out[i] = 0
	}
	var power float64
	colCos := make([]float32, w)
	colSin := make([]float32, w)
	for k := 0; k < n; k++ {
		lambda := maxPx * math.Pow(minPx/maxPx, rng.Float64())
		theta := rng.Float64() * 2 * math.Pi
		kx, ky := math.Cos(theta), math.Sin(theta)
		if stretch > 1 {
			// Rotate into the streak frame, squeeze along the streak, rotate back.
			a := kx*math.Cos(angle) + ky*math.Sin(angle)
			c := -kx*math.Sin(angle) + ky*math.Cos(angle)
			a /= stretch
			kx, ky = a*math.Cos(angle)-c*math.Sin(angle), a*math.Sin(angle)+c*math.Cos(angle)
		}
		f := 2 * math.Pi / lambda
		kx, ky = kx*f, ky*f
		amp := math.Pow(lambda, beta)
		power += amp * amp / 2
		ph := rng.Float64() * 2 * math.Pi
		// cos(kx·x + ky·y + ph) = cos(X)cos(Y) − sin(X)sin(Y), tabulated per axis.
		for x := 0; x < w; x++ {
			s, c := math.Sincos(kx * float64(x))
			colCos[x], colSin[x] = float32(amp*c), float32(amp*s)
		}
		for y := 0; y < h; y++ {
			s, c := math.Sincos(ky*float64(y) + ph)
			cy, sy := float32(c), float32(s)
			row := out[y*w : (y+1)*w]
			for x := range row {
				row[x] += colCos[x]*cy - colSin[x]*sy
			}
		}
	}
	inv := float32(1 / math.Sqrt(max(power, 1e-12)))
	for i := range out {
		out[i] *= inv
	}
}

// threshold returns the value above which about frac of f lies.
func threshold(f []float32, frac float64) float32 {
	if frac <= 0 {
		return float32(math.Inf(1))
	}
	lo, hi := f[0], f[0]
	for _, v := range f {
		lo, hi = min(lo, v), max(hi, v)
	}
	if frac >= 1 || hi == lo {
		return lo - 1
	}
	const bins = 1024
	var hist [bins]int
	s := float32(bins-1) / (hi - lo)
	for _, v := range f {
		hist[int((v-lo)*s)]++
	}
	want, n := int(frac*float64(len(f))), 0
	for b := bins - 1; b >= 0; b-- {
		if n += hist[b]; n >= want {
			return lo + float32(b)/s
		}
	}
	return lo
}

// distance returns each pixel's chamfer distance (3-4 metric, in pixels) to
// the nearest pixel where src is set; far is the value where none is.
func distance(src []bool, w, h int) []float32 {
	const far = 1e9
	d := make([]float32, len(src))
	for i, v := range src {
		if !v {
			d[i] = far
		}
	}
	relax := func(i, j int, c float32) {
		if d[j]+c < d[i] {
			d[i] = d[j] + c
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if x > 0 {
				relax(i, i-1, 1)
			}
			if y > 0 {
				relax(i, i-w, 1)
				if x > 0 {
					relax(i, i-w-1, 1.4142)
				}
				if x < w-1 {
					relax(i, i-w+1, 1.4142)
				}
			}
		}
	}
	for y := h - 1; y >= 0; y-- {
		for x := w - 1; x >= 0; x-- {
			i := y*w + x
			if x < w-1 {
				relax(i, i+1, 1)
			}
			if y < h-1 {
				relax(i, i+w, 1)
				if x < w-1 {
					relax(i, i+w+1, 1.4142)
				}
				if x > 0 {
					relax(i, i+w-1, 1.4142)
				}
			}
		}
	}
	return d
}

// grow returns up to n pixels reached from seed by always taking the
// lowest-cost pixel on the front, over pixels ok allows: water rising over
// the lowest ground first.
func grow(seed, n, w, h int, cost []float32, ok func(i int) bool) []int {
	seen := map[int]bool{seed: true}
	pq := &front{cost: cost, idx: []int{seed}}
	var out []int
	for pq.Len() > 0 && len(out) < n {
		i := heap.Pop(pq).(int)
		out = append(out, i)
		x, y := i%w, i/w
		for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
			nx, ny := x+d[0], y+d[1]
			if nx < 0 || ny < 0 || nx >= w || ny >= h {
				continue
			}
			j := ny*w + nx
			if !seen[j] && ok(j) {
				seen[j] = true
				heap.Push(pq, j)
			}
		}
	}
	return out
}

type front struct {
	cost []float32
	idx  []int
}

func (f *front) Len() int           { return len(f.idx) }
func (f *front) Less(a, b int) bool { return f.cost[f.idx[a]] < f.cost[f.idx[b]] }
func (f *front) Swap(a, b int)      { f.idx[a], f.idx[b] = f.idx[b], f.idx[a] }
func (f *front) Push(v any)         { f.idx = append(f.idx, v.(int)) }
func (f *front) Pop() any {
	v := f.idx[len(f.idx)-1]
	f.idx = f.idx[:len(f.idx)-1]
	return v
}

func clamp01(v float32) float32 { return min(max(v, 0), 1) }

func smoothstep(e0, e1, v float32) float32 {
	t := clamp01((v - e0) / (e1 - e0))
	return t * t * (3 - 2*t)
}
