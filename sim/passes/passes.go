package passes

import (
	"sort"
	"time"
)

// Sample is the link state at one instant of a pass.
type Sample struct {
	At             time.Time
	ElevationDeg   float64
	RateBitsPerSec float64
	// Loss is the expected frame-loss probability at this instant.
	Loss float64
}

// Pass is one contact. Samples are in time order and span AOS..LOS.
type Pass struct {
	Satellite       string
	Station         string
	AOS, LOS, TCA   time.Time
	MaxElevationDeg float64
	Samples         []Sample
}

// Contains reports whether t is within [AOS, LOS).
func (p *Pass) Contains(t time.Time) bool { return !t.Before(p.AOS) && t.Before(p.LOS) }

// At returns the link state at t, interpolated linearly between samples;
// ok is false outside the pass.
func (p *Pass) At(t time.Time) (Sample, bool) {
	if !p.Contains(t) || len(p.Samples) == 0 {
		return Sample{}, false
	}
	i := sort.Search(len(p.Samples), func(i int) bool { return p.Samples[i].At.After(t) })
	if i == 0 {
		s := p.Samples[0]
		s.At = t
		return s, true
	}
	if i == len(p.Samples) {
		s := p.Samples[i-1]
		s.At = t
		return s, true
	}
	a, b := p.Samples[i-1], p.Samples[i]
	f := float64(t.Sub(a.At)) / float64(b.At.Sub(a.At))
	lerp := func(x, y float64) float64 { return x + (y-x)*f }
	return Sample{At: t, ElevationDeg: lerp(a.ElevationDeg, b.ElevationDeg),
		RateBitsPerSec: lerp(a.RateBitsPerSec, b.RateBitsPerSec), Loss: lerp(a.Loss, b.Loss)}, true
}

// integrate sums f(sample)·dt over the pass in steps of at most step.
func (p *Pass) integrate(from, to time.Time, step time.Duration, f func(Sample) float64) float64 {
	if from.Before(p.AOS) {
		from = p.AOS
	}
	if to.After(p.LOS) {
		to = p.LOS
	}
	var sum float64
	for t := from; t.Before(to); t = t.Add(step) {
		dt := step
		if rest := to.Sub(t); rest < dt {
			dt = rest
		}
		s, _ := p.At(t.Add(dt / 2))
		sum += f(s) * dt.Seconds()
	}
	return sum
}

// GoodputBytes is what the pass can carry after the expected loss.
func (p *Pass) GoodputBytes() float64 { return p.GoodputBytesBetween(p.AOS, p.LOS) }

// CapacityBytesBetween is what the part of the pass within [from, to)
// can carry before loss.
func (p *Pass) CapacityBytesBetween(from, to time.Time) float64 {
	return p.integrate(from, to, time.Second, func(s Sample) float64 { return s.RateBitsPerSec / 8 })
}

// GoodputBytesBetween is what the part of the pass within [from, to) can
// carry after the expected loss.
func (p *Pass) GoodputBytesBetween(from, to time.Time) float64 {
	return p.integrate(from, to, time.Second, func(s Sample) float64 { return s.RateBitsPerSec / 8 * (1 - s.Loss) })
}

// Plan is a set of passes in AOS order.
type Plan []Pass

// Sort orders the plan by AOS, then satellite and station.
func (pl Plan) Sort() {
	sort.SliceStable(pl, func(i, j int) bool {
		if !pl[i].AOS.Equal(pl[j].AOS) {
			return pl[i].AOS.Before(pl[j].AOS)
		}
		if pl[i].Satellite != pl[j].Satellite {
			return pl[i].Satellite < pl[j].Satellite
		}
		return pl[i].Station < pl[j].Station
	})
}

// Active returns the pass of sat in progress at t that started first: a
// satellite has one radio, and like the flight service it serves
// overlapping passes one after the other, each to its end.
func (pl Plan) Active(sat string, t time.Time) (*Pass, bool) {
	for i := range pl {
		p := &pl[i]
		if p.Satellite != sat || !p.LOS.After(t) {
			continue
		}
		if p.AOS.After(t) {
			return nil, false
		}
		return p, true
	}
	return nil, false
}

// Usable returns the part of pass i its satellite's one radio can serve
// (see Active): from its AOS or the end of an earlier pass still running
// then, to its LOS. ok is false for a pass wholly inside an earlier one.
func (pl Plan) Usable(i int) (from, to time.Time, ok bool) {
	p := &pl[i]
	from, to = p.AOS, p.LOS
	for j := range pl {
		q := &pl[j]
		if j == i || q.Satellite != p.Satellite {
			continue
		}
		if (q.AOS.Before(p.AOS) || q.AOS.Equal(p.AOS) && j < i) && q.LOS.After(from) {
			from = q.LOS
		}
	}
	return from, to, from.Before(to)
}

// Bound is the earliest an item of sizeBytes captured by sat at capture
// could be fully on the ground if nothing else were queued: the wait for
// the next pass (zero if one is in progress) plus its transmission time at
// that pass's rate. It steps to later passes when the item does not fit in
// the rest of the pass. ok is false if no pass in the plan can carry it.
func (pl Plan) Bound(sat string, capture time.Time, sizeBytes int64) (time.Duration, bool) {
	left := float64(sizeBytes)
	for i := range pl {
		p := &pl[i]
		if p.Satellite != sat || !p.LOS.After(capture) {
			continue
		}
		t := capture
		if t.Before(p.AOS) {
			t = p.AOS
		}
		for ; t.Before(p.LOS); t = t.Add(100 * time.Millisecond) {
			s, _ := p.At(t)
			step := s.RateBitsPerSec / 8 * 0.1
			if step >= left {
				frac := left / step
				return t.Add(time.Duration(frac * float64(100*time.Millisecond))).Sub(capture), true
			}
			left -= step
		}
	}
	return 0, false
}
