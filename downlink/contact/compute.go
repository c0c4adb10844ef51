package contact

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/skysieve/skysieve/downlink/orbit"
)

// Options tune Compute. The zero value selects the defaults.
type Options struct {
	// SearchStep is the coarse elevation sampling step. Default: 1/100 of
	// the orbital period, clamped to [10 s, 120 s]. Passes shorter than the
	// step are still found: every local elevation maximum is refined.
	SearchStep time.Duration
	// ProfileStep is the spacing of each contact's link samples
	// (default 10 s).
	ProfileStep time.Duration
}

// DefaultProfileStep is the link-sample spacing when Options leaves it 0.
const DefaultProfileStep = 10 * time.Second

// Precision of the refined events.
const (
	rootTolSec = 1e-3 // AOS/LOS
	peakTolSec = 1e-2 // TCA
)

// ErrInterval: Compute was asked for an empty or inverted interval.
var ErrInterval = errors.New("contact: interval is empty or inverted")

// Compute finds every contact of every satellite with every station in
// [from, to] (both rounded to the millisecond): windows where the satellite's elevation is at or above the
// station's mask, with AOS and LOS refined to a millisecond, culmination
// refined to 10 ms, and the link profile sampled every ProfileStep.
// Contacts already under way at from or still under way at to are clipped
// and flagged. The result is sorted by AOS, then station, then satellite.
// A satellite whose elements cannot be propagated over the interval (for
// instance decayed) makes Compute fail with an error naming it.
func Compute(sats []orbit.TLE, stations []Station, from, to time.Time, opts Options) ([]Contact, error) {
	// Whole milliseconds throughout, so a plan file (which stores times to
	// the millisecond) reproduces the computed contacts exactly.
	from, to = from.Round(time.Millisecond), to.Round(time.Millisecond)
	if !to.After(from) {
		return nil, ErrInterval
	}
	for _, st := range stations {
		if err := st.Validate(); err != nil {
			return nil, fmt.Errorf("contact: %w", err)
		}
	}
	if opts.ProfileStep <= 0 {
		opts.ProfileStep = DefaultProfileStep
	}
	var out []Contact
	for _, tle := range sats {
		p, err := orbit.NewPropagator(tle)
		if err != nil {
			return nil, fmt.Errorf("contact: %w", err)
		}
		cs, err := computeSat(p, stations, from, to, opts)
		if err != nil {
			return nil, fmt.Errorf("contact: %s: %w", tle.DisplayName(), err)
		}
		out = append(out, cs...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.AOS.Equal(b.AOS) {
			return a.AOS.Before(b.AOS)
		}
		if a.Station != b.Station {
			return a.Station < b.Station
		}
		return a.Satellite < b.Satellite
	})
	return out, nil
}

// searchStep picks the coarse step for p.
func searchStep(p *orbit.Propagator, opts Options) time.Duration {
	if opts.SearchStep > 0 {
		return opts.SearchStep
	}
	periodMin := 1440 / p.TLE().MeanMotionRevPerDay
	step := time.Duration(periodMin * 60 / 100 * float64(time.Second))
	return min(max(step, 10*time.Second), 120*time.Second)
}

// tracker evaluates one satellite over one station, remembering the first
// propagation error.
type tracker struct {
	p    *orbit.Propagator
	site orbit.Site
	mask float64
	err  error
}

// f is elevation minus mask at t.
func (tr *tracker) f(t time.Time) float64 {
	s, err := tr.p.ECEF(t)
	if err != nil {
		if tr.err == nil {
			tr.err = err
		}
		return math.NaN()
	}
	return tr.site.ElevationDeg(s.PositionKm) - tr.mask
}

type point struct {
	t time.Time
	f float64
}

func computeSat(p *orbit.Propagator, stations []Station, from, to time.Time, opts Options) ([]Contact, error) {
	step := searchStep(p, opts)
	n := int(to.Sub(from)/step) + 1
	times := make([]time.Time, 0, n+1)
	for i := 0; i < n; i++ {
		times = append(times, from.Add(time.Duration(i)*step))
	}
	if times[len(times)-1].Before(to) {
		times = append(times, to)
	}
	ecef := make([]orbit.Vec3, len(times))
	for i, t := range times {
		s, err := p.ECEF(t)
		if err != nil {
			return nil, err
		}
		ecef[i] = s.PositionKm
	}
	var out []Contact
	pts := make([]point, len(times))
	for _, st := range stations {
		tr := &tracker{p: p, site: st.Site(), mask: st.MaskDeg}
		for i, t := range times {
			pts[i] = point{t, tr.site.ElevationDeg(ecef[i]) - st.MaskDeg}
		}
		cs := passes(tr, pts, p, st, from, to, opts)
		if tr.err != nil {
			return nil, tr.err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// passes turns the coarse samples of one station into contacts.
func passes(tr *tracker, coarse []point, p *orbit.Propagator, st Station, from, to time.Time, opts Options) []Contact {
	pts := refineExtrema(tr, coarse)
	var out []Contact
	inPass := pts[0].f >= 0
	var aos time.Time
	startIdx := 0
	if inPass {
		aos = from
	}
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		switch {
		case !inPass && b.f >= 0:
			aos = root(tr, a, b)
			inPass, startIdx = true, i
		case inPass && b.f < 0:
			los := root(tr, a, b)
			if c, ok := makeContact(tr, pts, startIdx, i-1, aos, los, p, st, from, to, opts); ok {
				out = append(out, c)
			}
			inPass = false
		}
	}
	if inPass {
		if c, ok := makeContact(tr, pts, startIdx, len(pts)-1, aos, to, p, st, from, to, opts); ok {
			out = append(out, c)
		}
	}
	return out
}

// refineExtrema inserts refined extrema that cross the mask between
// samples: where a sampled local maximum lies below the mask, the true peak
// (searched between its neighbours) may rise above it, a grazing pass
// shorter than the step; where a sampled local minimum lies above the mask,
// the true dip may fall below it. Interval ends count as candidates.
func refineExtrema(tr *tracker, pts []point) []point {
	n := len(pts)
	if n < 2 {
		return pts
	}
	var extra []point
	for i := 0; i < n; i++ {
		lo, hi := max(i-1, 0), min(i+1, n-1)
		f := pts[i].f
		isMax := f >= pts[lo].f && f >= pts[hi].f
		isMin := f <= pts[lo].f && f <= pts[hi].f
		var sign float64
		switch {
		case isMax && f < 0:
			sign = 1
		case isMin && f >= 0:
			sign = -1
		default:
			continue
		}
		e := goldenMax(tr, pts[lo].t, pts[hi].t, sign)
		if (e.f >= 0) != (f >= 0) && !e.t.Equal(pts[i].t) {
			extra = append(extra, e)
		}
	}
	if len(extra) == 0 {
		return pts
	}
	out := append(append(make([]point, 0, n+len(extra)), pts...), extra...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].t.Before(out[j].t) })
	return out
}

// goldenMax finds the maximum of sign·f on [lo, hi] by golden-section
// search to peakTolSec, returning the point with its unsigned f.
func goldenMax(tr *tracker, lo, hi time.Time, sign float64) point {
	const invPhi = 0.6180339887498949
	a, b := 0.0, hi.Sub(lo).Seconds()
	at := func(s float64) time.Time { return lo.Add(time.Duration(s * float64(time.Second))) }
	x1 := b - invPhi*(b-a)
	x2 := a + invPhi*(b-a)
	f1, f2 := sign*tr.f(at(x1)), sign*tr.f(at(x2))
	for b-a > peakTolSec && tr.err == nil {
		if f1 < f2 {
			a, x1, f1 = x1, x2, f2
			x2 = a + invPhi*(b-a)
			f2 = sign * tr.f(at(x2))
		} else {
			b, x2, f2 = x2, x1, f1
			x1 = b - invPhi*(b-a)
			f1 = sign * tr.f(at(x1))
		}
	}
	m := (a + b) / 2
	t := at(m)
	return point{t, tr.f(t)}
}

// root finds the mask crossing between a and b (f of opposite signs) by
// bisection to rootTolSec, returning the time at which f ≥ 0 first holds
// on the side of the pass.
func root(tr *tracker, a, b point) time.Time {
	lo, hi := a, b
	for hi.t.Sub(lo.t).Seconds() > rootTolSec && tr.err == nil {
		mid := lo.t.Add(hi.t.Sub(lo.t) / 2)
		m := point{mid, tr.f(mid)}
		if (m.f >= 0) == (lo.f >= 0) {
			lo = m
		} else {
			hi = m
		}
	}
	// Return the end inside the pass so AOS/LOS elevation is ≥ mask.
	if lo.f >= 0 {
		return lo.t
	}
	return hi.t
}

// makeContact builds the contact for the pass covering pts[first..last].
func makeContact(tr *tracker, pts []point, first, last int, aos, los time.Time, p *orbit.Propagator, st Station, from, to time.Time, opts Options) (Contact, bool) {
	aos, los = aos.Round(time.Millisecond), los.Round(time.Millisecond)
	if !los.After(aos) {
		return Contact{}, false
	}
	// Culmination: refine around the highest sample inside the pass.
	best := -1
	for i := first; i <= last && i < len(pts); i++ {
		if best < 0 || pts[i].f > pts[best].f {
			best = i
		}
	}
	tca := aos
	peak := tr.f(aos)
	if best >= 0 {
		lo, hi := aos, los
		if best > 0 && pts[best-1].t.After(lo) {
			lo = pts[best-1].t
		}
		if best+1 < len(pts) && pts[best+1].t.Before(hi) {
			hi = pts[best+1].t
		}
		e := goldenMax(tr, lo, hi, 1)
		tca, peak = e.t, e.f
		if pts[best].f > peak {
			tca, peak = pts[best].t, pts[best].f
		}
	}
	for _, t := range []time.Time{aos, los} {
		if f := tr.f(t); f > peak {
			tca, peak = t, f
		}
	}
	tca = tca.Round(time.Millisecond)
	if tca.Before(aos) {
		tca = aos
	}
	if tca.After(los) {
		tca = los
	}
	c := Contact{
		Satellite:        p.TLE().DisplayName(),
		SatNum:           p.TLE().SatNum,
		Station:          st.Name,
		AOS:              aos,
		LOS:              los,
		TCA:              tca,
		MaxElevationDeg:  peak + st.MaskDeg,
		StartsInProgress: aos.Equal(from),
		EndsInProgress:   los.Equal(to),
	}
	c.Samples = profile(tr, p, st, aos, los, opts.ProfileStep)
	if tr.err != nil {
		return Contact{}, false
	}
	c.CapacityBytes = c.CapacityBytesBetween(aos, los)
	return c, true
}

// profile samples the link every step from aos to los inclusive. Values
// are rounded to what the plan file stores, so a contact read back from a
// plan answers exactly as the computed one.
func profile(tr *tracker, p *orbit.Propagator, st Station, aos, los time.Time, step time.Duration) []Sample {
	var out []Sample
	for d := time.Duration(0); ; d += step {
		t := aos.Add(d)
		if !t.Before(los) {
			t = los
		}
		s, err := p.ECEF(t)
		if err != nil {
			if tr.err == nil {
				tr.err = err
			}
			return nil
		}
		look := tr.site.LookAt(s)
		link := st.Link.Evaluate(look.ElevationDeg, look.RangeKm, st.MaskDeg)
		out = append(out, roundSample(Sample{
			OffsetSec:      t.Sub(aos).Seconds(),
			ElevationDeg:   look.ElevationDeg,
			AzimuthDeg:     look.AzimuthDeg,
			RangeKm:        look.RangeKm,
			RateBitsPerSec: link.RateBitsPerSec,
			Loss:           link.Loss,
		}))
		if t.Equal(los) {
			return out
		}
	}
}

// roundTo rounds v to 1/scale; dividing (not multiplying by 1/scale)
// yields the double nearest the decimal, which JSON writes short.
func roundTo(v, scale float64) float64 { return math.Round(v*scale) / scale }

func roundSample(s Sample) Sample {
	s.OffsetSec = roundTo(s.OffsetSec, 1e3)
	s.ElevationDeg = roundTo(s.ElevationDeg, 1e4)
	s.AzimuthDeg = roundTo(s.AzimuthDeg, 1e3)
	s.RangeKm = roundTo(s.RangeKm, 1e3)
	s.RateBitsPerSec = math.Round(s.RateBitsPerSec)
	s.Loss = roundTo(s.Loss, 1e6)
	return s
}
