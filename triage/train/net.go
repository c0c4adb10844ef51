package train

import (
	"math"
	"math/rand/v2"
)

// Arch is the network's shape. The layers are, on a Bands×Tile×Tile input:
// the input and its anomaly (each band minus its tile mean, so local
// contrast survives haze and calibration offsets) stacked into 2·Bands
// channels, 3×3 conv (C1) + ReLU, 2×2 max pool, 3×3 conv (C2) + ReLU, 2×2
// max pool, when C3 > 0 a third 3×3 conv (C3) + ReLU at a quarter of the
// resolution (it widens what a feature sees from 10 to 18 pixels: a small
// target against the sea around it, not just the target), global average
// and global max pool concatenated (2·C2 or 2·C3 features), a dense layer
// (Hidden) + ReLU, then two heads: Classes logits with softmax, and one
// logit with sigmoid for the cloud fraction.
type Arch struct {
	Bands, Tile, C1, C2, Hidden, Classes int
	C3                                   int `json:",omitempty"`
}

// feats is the number of channels the global pools see.
func (a Arch) feats() int {
	if a.C3 > 0 {
		return a.C3
	}
	return a.C2
}

// Net is the network's parameters in one flat slice (so the optimiser sees
// one vector) with named views into it. Weight layouts are ONNX's: conv
// weights [out, in, 3, 3], dense weights [out, in].
type Net struct {
	Arch
	Params                                 []float32
	W1, B1, W2, B2, W3, B3, W4, B4, W5, B5 []float32
	// Wc, Bc are the third conv layer's (empty when C3 is 0); they come
	// last in Params so the layout without it is unchanged.
	Wc, Bc []float32
}

// sizes lists the parameter tensors in order with their lengths.
func (a Arch) sizes() []int {
	return []int{
		a.C1 * 2 * a.Bands * 9, a.C1,
		a.C2 * a.C1 * 9, a.C2,
		a.Hidden * 2 * a.feats(), a.Hidden,
		a.Classes * a.Hidden, a.Classes,
		a.Hidden, 1,
		a.C3 * a.C2 * 9, a.C3,
	}
}

// NumParams is the number of learned values.
func (a Arch) NumParams() int {
	n := 0
	for _, s := range a.sizes() {
		n += s
	}
	return n
}

// NewNet returns a net with He-initialised weights and zero biases drawn
// from rng.
func NewNet(a Arch, rng *rand.Rand) *Net {
	n := &Net{Arch: a, Params: make([]float32, a.NumParams())}
	n.bind(n.Params)
	he := func(w []float32, fanIn int) {
		s := math.Sqrt(2 / float64(fanIn))
		for i := range w {
			w[i] = float32(rng.NormFloat64() * s)
		}
	}
	he(n.W1, 2*a.Bands*9)
	he(n.W2, a.C1*9)
	he(n.W3, 2*a.feats())
	he(n.W4, a.Hidden)
	he(n.W5, a.Hidden)
	he(n.Wc, a.C2*9)
	return n
}

// bind points the named views into p, which has NumParams values.
func (n *Net) bind(p []float32) {
	views := []*[]float32{&n.W1, &n.B1, &n.W2, &n.B2, &n.W3, &n.B3, &n.W4, &n.B4, &n.W5, &n.B5, &n.Wc, &n.Bc}
	off := 0
	for i, s := range n.sizes() {
		*views[i] = p[off : off+s : off+s]
		off += s
	}
}

// work holds one sample's activations and gradients, reused across samples.
type work struct {
	xin            []float32 // input and anomaly channels
	a1, p1, a2, p2 []float32 // conv1+relu, pool1, conv2+relu, pool2
	a3, ga3        []float32 // conv3+relu and its gradient (C3 > 0)
	i1, i2         []int32   // argmax of each pool window
	feat           []float32 // global avg ++ global max
	imax           []int32   // argmax of the global max
	hid            []float32
	logits, probs  []float32
	cloud          float32
	// gradients of activations
	gp1, ga1, ga2, gp2, gfeat, ghid []float32
}

func newWork(a Arch) *work {
	t, t2, t4 := a.Tile, a.Tile/2, a.Tile/4
	return &work{
		xin: make([]float32, 2*a.Bands*t*t),
		a1:  make([]float32, a.C1*t*t), p1: make([]float32, a.C1*t2*t2), i1: make([]int32, a.C1*t2*t2),
		a2: make([]float32, a.C2*t2*t2), p2: make([]float32, a.C2*t4*t4), i2: make([]int32, a.C2*t4*t4),
		a3: make([]float32, a.C3*t4*t4), ga3: make([]float32, a.C3*t4*t4),
		feat: make([]float32, 2*a.feats()), imax: make([]int32, a.feats()),
		hid: make([]float32, a.Hidden), logits: make([]float32, a.Classes), probs: make([]float32, a.Classes),
		gp1: make([]float32, a.C1*t2*t2), ga1: make([]float32, a.C1*t*t), ga2: make([]float32, a.C2*t2*t2),
		gp2: make([]float32, a.C2*t4*t4), gfeat: make([]float32, 2*a.feats()), ghid: make([]float32, a.Hidden),
	}
}

// Forward runs one CHW tile x through the net and returns the class
// probabilities (a fresh slice) and the cloud fraction.
func (n *Net) Forward(x []float32) ([]float32, float32) {
	w := newWork(n.Arch)
	n.forward(w, x)
	return append([]float32(nil), w.probs...), w.cloud
}

func (n *Net) forward(w *work, x []float32) {
	t, t2 := n.Tile, n.Tile/2
	plane := t * t
	copy(w.xin, x[:n.Bands*plane])
	for b := 0; b < n.Bands; b++ {
		src := x[b*plane : (b+1)*plane]
		var sum float32
		for _, v := range src {
			sum += v
		}
		mean := sum / float32(plane)
		dst := w.xin[(n.Bands+b)*plane : (n.Bands+b+1)*plane]
		for i, v := range src {
			dst[i] = v - mean
		}
	}
	conv3(w.xin, 2*n.Bands, t, n.W1, n.B1, n.C1, w.a1)
	relu(w.a1)
	maxPool2(w.a1, n.C1, t, w.p1, w.i1)
	conv3(w.p1, n.C1, t2, n.W2, n.B2, n.C2, w.a2)
	relu(w.a2)
	maxPool2(w.a2, n.C2, t2, w.p2, w.i2)
	top, nf := w.p2, n.feats()
	if n.C3 > 0 {
		conv3(w.p2, n.C2, n.Tile/4, n.Wc, n.Bc, n.C3, w.a3)
		relu(w.a3)
		top = w.a3
	}
	hw := len(top) / nf
	for c := 0; c < nf; c++ {
		plane := top[c*hw : (c+1)*hw]
		var sum float32
		best, bi := plane[0], 0
		for i, v := range plane {
			sum += v
			if v > best {
				best, bi = v, i
			}
		}
		w.feat[c] = sum / float32(hw)
		w.feat[nf+c] = best
		w.imax[c] = int32(c*hw + bi)
	}
	dense(w.feat, n.W3, n.B3, w.hid)
	relu(w.hid)
	dense(w.hid, n.W4, n.B4, w.logits)
	softmax(w.logits, w.probs)
	z := n.B5[0]
	for i, v := range w.hid {
		z += n.W5[i] * v
	}
	w.cloud = sigmoid(z)
}

// backward accumulates into g (a Net-shaped gradient) the gradient of
// cross-entropy(label) + cloudWeight·BCE(cloudTarget) for the sample last
// run through forward(w, x), and returns that loss.
func (n *Net) backward(w *work, g *Net, x []float32, label int, cloudTarget, cloudWeight float32) float32 {
	loss := -float32(math.Log(math.Max(float64(w.probs[label]), 1e-12)))
	ct := float64(cloudTarget)
	cp := math.Min(math.Max(float64(w.cloud), 1e-7), 1-1e-7)
	loss += cloudWeight * float32(-(ct*math.Log(cp) + (1-ct)*math.Log(1-cp)))
	// Heads.
	for i := range w.ghid {
		w.ghid[i] = 0
	}
	for k := 0; k < n.Classes; k++ {
		d := w.probs[k]
		if k == label {
			d--
		}
		g.B4[k] += d
		row := n.W4[k*n.Hidden : (k+1)*n.Hidden]
		grow := g.W4[k*n.Hidden : (k+1)*n.Hidden]
		for i, h := range w.hid {
			grow[i] += d * h
			w.ghid[i] += d * row[i]
		}
	}
	dc := cloudWeight * (w.cloud - cloudTarget)
	g.B5[0] += dc
	for i, h := range w.hid {
		g.W5[i] += dc * h
		w.ghid[i] += dc * n.W5[i]
	}
	for i, h := range w.hid {
		if h <= 0 {
			w.ghid[i] = 0
		}
	}
	// Dense layer.
	for i := range w.gfeat {
		w.gfeat[i] = 0
	}
	nf := len(w.feat)
	for j, d := range w.ghid {
		if d == 0 {
			continue
		}
		g.B3[j] += d
		row := n.W3[j*nf : (j+1)*nf]
		grow := g.W3[j*nf : (j+1)*nf]
		for i, f := range w.feat {
			grow[i] += d * f
			w.gfeat[i] += d * row[i]
		}
	}
	// Global pools.
	gtop, nf := w.gp2, n.feats()
	if n.C3 > 0 {
		gtop = w.ga3
	}
	hw := len(gtop) / nf
	for c := 0; c < nf; c++ {
		avg := w.gfeat[c] / float32(hw)
		plane := gtop[c*hw : (c+1)*hw]
		for i := range plane {
			plane[i] = avg
		}
		gtop[w.imax[c]] += w.gfeat[nf+c]
	}
	if n.C3 > 0 {
		reluBack(w.a3, w.ga3)
		conv3Back(w.p2, n.C2, n.Tile/4, n.Wc, n.C3, w.ga3, g.Wc, g.Bc, w.gp2)
	}
	// Pool 2, ReLU, conv 2.
	t2 := n.Tile / 2
	unpool(w.gp2, w.i2, w.ga2)
	reluBack(w.a2, w.ga2)
	conv3Back(w.p1, n.C1, t2, n.W2, n.C2, w.ga2, g.W2, g.B2, w.gp1)
	// Pool 1, ReLU, conv 1 (no input gradient needed).
	unpool(w.gp1, w.i1, w.ga1)
	reluBack(w.a1, w.ga1)
	conv3Back(w.xin, 2*n.Bands, n.Tile, n.W1, n.C1, w.ga1, g.W1, g.B1, nil)
	return loss
}

// conv3 is a 3×3 convolution with stride 1 and zero padding 1 of in
// [cin, hw, hw] into out [cout, hw, hw]. It walks output rows and applies
// one kernel row (three taps) per input row, so each output value is
// loaded and stored once per kernel row.
func conv3(in []float32, cin, hw int, wt, b []float32, cout int, out []float32) {
	plane := hw * hw
	for co := 0; co < cout; co++ {
		o := out[co*plane : (co+1)*plane]
		for i := range o {
			o[i] = b[co]
		}
		for ci := 0; ci < cin; ci++ {
			src := in[ci*plane : (ci+1)*plane]
			k := wt[(co*cin+ci)*9 : (co*cin+ci)*9+9]
			for y := 0; y < hw; y++ {
				orow := o[y*hw : (y+1)*hw]
				for ky := 0; ky < 3; ky++ {
					iy := y + ky - 1
					if iy < 0 || iy >= hw {
						continue
					}
					row3(orow, src[iy*hw:(iy+1)*hw], k[ky*3], k[ky*3+1], k[ky*3+2])
				}
			}
		}
	}
}

// row3 adds the 3-tap correlation of in with (w0, w1, w2), zero-padded at
// both ends, to out (same length).
func row3(out, in []float32, w0, w1, w2 float32) {
	n := len(out)
	in = in[:n]
	out[0] += w1*in[0] + w2*in[1]
	for x := 1; x < n-1; x++ {
		out[x] += w0*in[x-1] + w1*in[x] + w2*in[x+1]
	}
	out[n-1] += w0*in[n-2] + w1*in[n-1]
}

// conv3Back accumulates the weight and bias gradients of conv3 given the
// output gradient gout, and, when gin is not nil, sets gin to the input gradient.
func conv3Back(in []float32, cin, hw int, wt []float32, cout int, gout, gw, gb, gin []float32) {
	plane := hw * hw
	clear(gin)
	for co := 0; co < cout; co++ {
		gplane := gout[co*plane : (co+1)*plane]
		var sb float32
		for _, v := range gplane {
			sb += v
		}
		gb[co] += sb
		for ci := 0; ci < cin; ci++ {
			src := in[ci*plane : (ci+1)*plane]
			base := (co*cin + ci) * 9
			var gk [9]float32
			for y := 0; y < hw; y++ {
				grow := gplane[y*hw : (y+1)*hw]
				for ky := 0; ky < 3; ky++ {
					iy := y + ky - 1
					if iy < 0 || iy >= hw {
						continue
					}
					irow := src[iy*hw : (iy+1)*hw]
					g0, g1, g2 := dot3(grow, irow)
					gk[ky*3] += g0
					gk[ky*3+1] += g1
					gk[ky*3+2] += g2
					if gin != nil {
						// The input gradient is the output gradient correlated
						// with the flipped kernel row.
						row3(gin[ci*plane+iy*hw:ci*plane+(iy+1)*hw], grow, wt[base+ky*3+2], wt[base+ky*3+1], wt[base+ky*3])
					}
				}
			}
			for j, v := range gk {
				gw[base+j] += v
			}
		}
	}
}

// dot3 returns the three tap gradients of row3(out, in, w0, w1, w2) given
// the output gradient g: sums of g[x]·in[x−1], g[x]·in[x], g[x]·in[x+1].
func dot3(g, in []float32) (g0, g1, g2 float32) {
	n := len(g)
	in = in[:n]
	g1 = g[0] * in[0]
	g2 = g[0] * in[1]
	for x := 1; x < n-1; x++ {
		v := g[x]
		g0 += v * in[x-1]
		g1 += v * in[x]
		g2 += v * in[x+1]
	}
	g0 += g[n-1] * in[n-2]
	g1 += g[n-1] * in[n-1]
	return g0, g1, g2
}

// maxPool2 is a 2×2 max pool with stride 2 of in [c, hw, hw], recording
// each window's argmax (an index into in).
func maxPool2(in []float32, c, hw int, out []float32, arg []int32) {
	h2 := hw / 2
	for ch := 0; ch < c; ch++ {
		for y := 0; y < h2; y++ {
			for x := 0; x < h2; x++ {
				i := ch*hw*hw + 2*y*hw + 2*x
				best, bi := in[i], i
				for _, j := range [3]int{i + 1, i + hw, i + hw + 1} {
					if in[j] > best {
						best, bi = in[j], j
					}
				}
				o := ch*h2*h2 + y*h2 + x
				out[o], arg[o] = best, int32(bi)
			}
		}
	}
}

func unpool(gout []float32, arg []int32, gin []float32) {
	for i := range gin {
		gin[i] = 0
	}
	for o, i := range arg {
		gin[i] += gout[o]
	}
}

func relu(v []float32) {
	for i, x := range v {
		if x < 0 {
			v[i] = 0
		}
	}
}

func reluBack(act, grad []float32) {
	for i, a := range act {
		if a <= 0 {
			grad[i] = 0
		}
	}
}

// dense sets out = W·in + b with W [len(out), len(in)].
func dense(in, wt, b, out []float32) {
	n := len(in)
	for j := range out {
		s := b[j]
		row := wt[j*n : (j+1)*n]
		for i, v := range in {
			s += row[i] * v
		}
		out[j] = s
	}
}

func softmax(logits, out []float32) {
	m := logits[0]
	for _, v := range logits {
		m = max(m, v)
	}
	var sum float64
	for i, v := range logits {
		e := math.Exp(float64(v - m))
		out[i] = float32(e)
		sum += e
	}
	for i := range out {
		out[i] = float32(float64(out[i]) / sum)
	}
}

func sigmoid(z float32) float32 { return float32(1 / (1 + math.Exp(-float64(z)))) }
