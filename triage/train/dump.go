package train

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

// Source draws scene i from seed; it must be a pure function of (seed, i).
type Source func(seed uint64, i int) (*scene.Scene, *synth.Truth)

// DumpConfig says how many patches to cut and how.
type DumpConfig struct {
	// Seed picks the scenes (Source(Seed, 0), Source(Seed, 1), ...) and
	// where patches are cut.
	Seed uint64
	// Count patches of Patch×Patch pixels, at most PerScene from each scene.
	Count, Patch, PerScene int
}

// DumpStats counts what a dump wrote.
type DumpStats struct {
	Scenes int
	// Kinds counts patches by kind (KindNames order); Pixels counts
	// labelled pixels by class (synth.ClassNames order).
	Kinds  []int
	Pixels []int64
}

// Dump draws scenes from src and writes c.Count training patches to w in
// the patch file format, bands in scene.DefaultBands order and labels by
// synth.Truth.PixelClasses. Each scene gives one patch around each kind of
// hard case it shows (a small hull, a fire, a flood, cloud edges over water;
// shadows and coastline half the time) and random patches for the rest, so
// the rare cases make up a large share of the training pixels. The output is
// a pure function of (src, c).
func Dump(w io.Writer, src Source, c DumpConfig) (DumpStats, error) {
	st := DumpStats{Kinds: make([]int, len(KindNames)), Pixels: make([]int64, synth.NumClasses)}
	if c.Count <= 0 || c.Patch <= 0 || c.Patch%8 != 0 || c.PerScene <= 0 {
		return st, fmt.Errorf("train: bad dump config: %d patches of %d px (a multiple of 8), %d per scene", c.Count, c.Patch, c.PerScene)
	}
	pw, err := NewPatchWriter(w, PatchHeader{Count: c.Count, Patch: c.Patch, Bands: scene.DefaultBands, Classes: synth.ClassNames})
	if err != nil {
		return st, err
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	written := 0
	for next := 0; written < c.Count; next += workers {
		batch := make([][]Patch, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for k := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				batch[k], errs[k] = scenePatches(src, c, next+k)
			}()
		}
		wg.Wait()
		for k := range workers {
			if errs[k] != nil {
				return st, errs[k]
			}
			st.Scenes++
			for _, p := range batch[k] {
				if written == c.Count {
					break
				}
				if err := pw.Write(p); err != nil {
					return st, err
				}
				written++
				st.Kinds[p.Kind]++
				for _, l := range p.Labels {
					st.Pixels[l]++
				}
			}
		}
		if next > 100*c.Count {
			return st, fmt.Errorf("train: %d scenes gave only %d of %d patches", next, written, c.Count)
		}
	}
	return st, pw.Close()
}

// scenePatches cuts the patches of scene i.
func scenePatches(src Source, c DumpConfig, i int) ([]Patch, error) {
	s, tr := src(c.Seed, i)
	if s.Width < c.Patch || s.Height < c.Patch {
		return nil, fmt.Errorf("train: scene %d of seed %d is %d×%d, smaller than a %d px patch", i, c.Seed, s.Width, s.Height, c.Patch)
	}
	idx, err := bandIndex(s)
	if err != nil {
		return nil, fmt.Errorf("train: scene %d of seed %d: %w", i, c.Seed, err)
	}
	rng := rand.New(rand.NewPCG(c.Seed^0x7061746368, uint64(i)))
	cls := tr.PixelClasses()
	w := s.Width
	cand := make([][]int, len(KindNames))
	for p, cl := range cls {
		switch {
		case tr.Water[p] && tr.Cloud[p] >= 0.05 && tr.Cloud[p] < 0.7:
			cand[KindCloudEdgeWater] = append(cand[KindCloudEdgeWater], p)
		case cl == synth.ClassHull:
			cand[KindHull] = append(cand[KindHull], p)
		case cl == synth.ClassFire:
			cand[KindFire] = append(cand[KindFire], p)
		case cl == synth.ClassWater && !tr.RefWater[p]:
			cand[KindFlood] = append(cand[KindFlood], p)
		case cl == synth.ClassShadow:
			cand[KindShadow] = append(cand[KindShadow], p)
		}
		if x := p % w; x+2 < w && tr.RefWater[p] != tr.RefWater[p+2] {
			cand[KindCoast] = append(cand[KindCoast], p)
		}
	}
	var kinds []uint8
	for _, k := range []uint8{KindHull, KindFire, KindFlood, KindCloudEdgeWater} {
		if len(cand[k]) > 0 {
			kinds = append(kinds, k)
		}
	}
	for _, k := range []uint8{KindShadow, KindCoast, KindHull, KindFlood} {
		if len(cand[k]) > 0 && rng.Float64() < 0.5 {
			kinds = append(kinds, k)
		}
	}
	for len(kinds) < c.PerScene {
		kinds = append(kinds, KindRandom)
	}
	kinds = kinds[:c.PerScene]
	out := make([]Patch, 0, len(kinds))
	P := c.Patch
	for _, k := range kinds {
		var x0, y0 int
		if k == KindRandom {
			x0, y0 = rng.IntN(w-P+1), rng.IntN(s.Height-P+1)
		} else {
			p := cand[k][rng.IntN(len(cand[k]))]
			// The case lands anywhere in the patch's middle half, edges apart.
			x0 = p%w - P/2 + rng.IntN(P/2+1) - P/4
			y0 = p/w - P/2 + rng.IntN(P/2+1) - P/4
			x0, y0 = min(max(x0, 0), w-P), min(max(y0, 0), s.Height-P)
		}
		pt := Patch{Kind: k, Data: make([]float32, len(idx)*P*P), Labels: make([]uint8, P*P)}
		for b, bi := range idx {
			plane := s.Data[bi]
			for y := 0; y < P; y++ {
				copy(pt.Data[(b*P+y)*P:(b*P+y+1)*P], plane[(y0+y)*w+x0:])
			}
		}
		for y := 0; y < P; y++ {
			copy(pt.Labels[y*P:(y+1)*P], cls[(y0+y)*w+x0:])
		}
		out = append(out, pt)
	}
	return out, nil
}

// bandIndex finds scene.DefaultBands in s.
func bandIndex(s *scene.Scene) ([]int, error) {
	idx := make([]int, len(scene.DefaultBands))
	for b, name := range scene.DefaultBands {
		if idx[b] = slices.Index(s.Bands, name); idx[b] < 0 {
			return nil, fmt.Errorf("no %s band (has %v)", name, s.Bands)
		}
	}
	return idx, nil
}

// SynthSource draws training scenes from triage/synth's MixWide.
func SynthSource(seed uint64, i int) (*scene.Scene, *synth.Truth) {
	return synth.Generate(synth.RandomSpec(synth.MixWide, seed, i))
}
