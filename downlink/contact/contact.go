package contact

import (
	"math"
	"time"
)

// Contact is one pass of one satellite over one station: the window, its
// culmination and the link profile sampled across it. A Contact needs no
// orbit to answer questions about itself, so one loaded from a plan file
// serves flight and the planner exactly as one just computed.
type Contact struct {
	Satellite string
	SatNum    int
	Station   string
	// AOS and LOS bound the window where elevation is at or above the
	// station's mask, clipped to the computed interval.
	AOS, LOS time.Time
	// TCA is the time of closest approach (highest elevation).
	TCA             time.Time
	MaxElevationDeg float64
	// CapacityBytes is the raw channel capacity of the window: the
	// integral of RateBitsPerSecAt over [AOS, LOS] divided by eight, before
	// frame loss.
	CapacityBytes int64
	// StartsInProgress: the satellite was already above the mask at the
	// start of the interval, so AOS is the interval start. EndsInProgress:
	// likewise for LOS at the interval end.
	StartsInProgress bool
	EndsInProgress   bool
	// Samples profile the link from AOS (offset 0) to LOS, ascending.
	Samples []Sample
}

// Sample is the link at one instant of a contact.
type Sample struct {
	OffsetSec      float64 // seconds since AOS
	ElevationDeg   float64
	AzimuthDeg     float64
	RangeKm        float64
	RateBitsPerSec float64
	Loss           float64 // expected fraction of frames lost
}

// Duration is LOS - AOS.
func (c *Contact) Duration() time.Duration { return c.LOS.Sub(c.AOS) }

// Contains reports whether t lies in [AOS, LOS).
func (c *Contact) Contains(t time.Time) bool { return !t.Before(c.AOS) && t.Before(c.LOS) }

// segment returns the index i with Samples[i].OffsetSec <= off <
// Samples[i+1].OffsetSec, or -1 when off is outside the profile.
func (c *Contact) segment(off float64) int {
	n := len(c.Samples)
	if n < 2 || off < 0 || off > c.Samples[n-1].OffsetSec {
		return -1
	}
	lo, hi := 0, n-1
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if c.Samples[mid].OffsetSec <= off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func (c *Contact) offset(t time.Time) float64 { return t.Sub(c.AOS).Seconds() }

// RateBitsPerSecAt returns the predicted downlink rate at t: 0 outside
// [AOS, LOS], otherwise the lower rate of the two samples around t (a
// conservative step function whose integral is CapacityBytes).
func (c *Contact) RateBitsPerSecAt(t time.Time) float64 {
	i := c.segment(c.offset(t))
	if i < 0 || !t.Before(c.LOS) {
		return 0
	}
	return math.Min(c.Samples[i].RateBitsPerSec, c.Samples[i+1].RateBitsPerSec)
}

// ExpectedLossAt returns the expected fraction of frames lost at t: 1
// outside [AOS, LOS], otherwise the higher loss of the two samples
// around t.
func (c *Contact) ExpectedLossAt(t time.Time) float64 {
	i := c.segment(c.offset(t))
	if i < 0 || !t.Before(c.LOS) {
		return 1
	}
	return math.Max(c.Samples[i].Loss, c.Samples[i+1].Loss)
}

// ElevationDegAt interpolates the elevation linearly between samples; it
// returns NaN outside [AOS, LOS].
func (c *Contact) ElevationDegAt(t time.Time) float64 {
	off := c.offset(t)
	i := c.segment(off)
	if i < 0 {
		return math.NaN()
	}
	a, b := c.Samples[i], c.Samples[i+1]
	span := b.OffsetSec - a.OffsetSec
	if span <= 0 {
		return a.ElevationDeg
	}
	f := (off - a.OffsetSec) / span
	return a.ElevationDeg + f*(b.ElevationDeg-a.ElevationDeg)
}

// CapacityBytesBetween returns the raw capacity of the part of the window
// inside [from, to), consistent with RateBitsPerSecAt; the planner uses it
// for what is left of a pass already under way.
func (c *Contact) CapacityBytesBetween(from, to time.Time) int64 {
	lo := math.Max(0, c.offset(from))
	hi := c.offset(to)
	bits := 0.0
	for i := 0; i+1 < len(c.Samples); i++ {
		a, b := c.Samples[i], c.Samples[i+1]
		s, e := math.Max(lo, a.OffsetSec), math.Min(hi, b.OffsetSec)
		if e > s {
			bits += math.Min(a.RateBitsPerSec, b.RateBitsPerSec) * (e - s)
		}
	}
	return int64(bits / 8)
}

// ExpectedGoodBytes is CapacityBytes with each segment's expected frame
// loss taken off: what a pass is predicted to deliver.
func (c *Contact) ExpectedGoodBytes() int64 {
	bits := 0.0
	for i := 0; i+1 < len(c.Samples); i++ {
		a, b := c.Samples[i], c.Samples[i+1]
		rate := math.Min(a.RateBitsPerSec, b.RateBitsPerSec)
		loss := math.Max(a.Loss, b.Loss)
		bits += rate * (1 - loss) * (b.OffsetSec - a.OffsetSec)
	}
	return int64(bits / 8)
}

// Profile resamples the link every step from AOS, with LOS as the last
// sample; elevation is interpolated, rate and loss follow RateBitsPerSecAt
// and ExpectedLossAt (the final sample repeats the last segment's values).
func (c *Contact) Profile(step time.Duration) []Sample {
	if step <= 0 || len(c.Samples) < 2 {
		return append([]Sample(nil), c.Samples...)
	}
	end := c.Duration()
	var out []Sample
	for d := time.Duration(0); ; d += step {
		if d > end {
			d = end
		}
		t := c.AOS.Add(d)
		probe := t
		if d == end {
			probe = c.LOS.Add(-time.Nanosecond)
		}
		i := c.segment(math.Min(c.offset(probe), c.Samples[len(c.Samples)-1].OffsetSec))
		s := Sample{
			OffsetSec:      d.Seconds(),
			ElevationDeg:   c.ElevationDegAt(t),
			RateBitsPerSec: c.RateBitsPerSecAt(probe),
			Loss:           c.ExpectedLossAt(probe),
		}
		if i >= 0 {
			s.AzimuthDeg = c.Samples[i].AzimuthDeg
			s.RangeKm = c.Samples[i].RangeKm
		}
		out = append(out, s)
		if d == end {
			return out
		}
	}
}
