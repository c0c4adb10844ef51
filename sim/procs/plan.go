package procs

import (
	"math"
	"time"

	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/sim/passes"
)

// Names the run gives its one satellite and its one ground station.
const (
	Satellite = "SKY-PROCS"
	Station   = "procs"
)

// windowElevationDeg is the constant elevation of the synthetic windows.
const windowElevationDeg = 45

// Window is one contact window on the wall clock.
type Window struct {
	AOS, LOS time.Time
}

// Windows lays out n windows of dur, the first at first, each gap after
// the previous one's end. Times are truncated to the millisecond, as the
// contact plan file stores them.
func Windows(first time.Time, n int, dur, gap time.Duration) []Window {
	ws := make([]Window, n)
	aos := first.Truncate(time.Millisecond)
	dur = dur.Truncate(time.Millisecond)
	gap = gap.Truncate(time.Millisecond)
	for i := range ws {
		ws[i] = Window{AOS: aos, LOS: aos.Add(dur)}
		aos = aos.Add(dur + gap)
	}
	return ws
}

// Contacts turns windows into flight's contact plan: constant rate and
// expected loss from AOS to LOS, the capacity consistent with the samples
// (contact.WritePlan checks it).
func Contacts(ws []Window, rateBitsPerSec, loss float64) []contact.Contact {
	out := make([]contact.Contact, len(ws))
	for i, w := range ws {
		dur := w.LOS.Sub(w.AOS)
		c := contact.Contact{
			Satellite: Satellite, Station: Station,
			AOS: w.AOS, LOS: w.LOS, TCA: w.AOS.Add(dur / 2).Truncate(time.Millisecond),
			MaxElevationDeg: windowElevationDeg,
			Samples: []contact.Sample{
				{OffsetSec: 0, ElevationDeg: windowElevationDeg, RangeKm: 1000, RateBitsPerSec: rateBitsPerSec, Loss: loss},
				{OffsetSec: dur.Seconds(), ElevationDeg: windowElevationDeg, RangeKm: 1000, RateBitsPerSec: rateBitsPerSec, Loss: loss},
			},
		}
		c.CapacityBytes = c.CapacityBytesBetween(c.AOS, c.LOS)
		out[i] = c
	}
	return out
}

// Passes is the same windows as the channel relay's plan.
func Passes(ws []Window, rateBitsPerSec, loss float64) passes.Plan {
	pl := make(passes.Plan, len(ws))
	for i, w := range ws {
		s := func(t time.Time) passes.Sample {
			return passes.Sample{At: t, ElevationDeg: windowElevationDeg, RateBitsPerSec: rateBitsPerSec, Loss: loss}
		}
		pl[i] = passes.Pass{
			Satellite: Satellite, Station: Station,
			AOS: w.AOS, LOS: w.LOS, TCA: w.AOS.Add(w.LOS.Sub(w.AOS) / 2),
			MaxElevationDeg: windowElevationDeg,
			Samples:         []passes.Sample{s(w.AOS), s(w.LOS)},
		}
	}
	return pl
}

// SizeRate is the rate at which a queue of link items and bytes needs
// windows windows of dur: every item's source symbols in frames of
// cfg.FrameBytes, each item's last frame counted whole, and the frames
// scaled up for loss. The result is at least minBitsPerSec.
func SizeRate(cfg link.Config, items int, queueBytes int64, loss float64, dur time.Duration, windows, minBitsPerSec float64) float64 {
	frames := math.Ceil(float64(queueBytes)/float64(cfg.SymbolBytes())) + float64(items)
	bits := frames * float64(cfg.FrameBytes) * 8 / (1 - loss)
	rate := bits / (dur.Seconds() * windows)
	if !(rate >= minBitsPerSec) {
		return minBitsPerSec
	}
	return rate
}
