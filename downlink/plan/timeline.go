package plan

import (
	"math"
	"time"
)

// timeline is a cursor over a contact's segments measured in bits.
type timeline struct {
	segs     []Segment
	bits     []float64 // capacity of each segment
	seg      int       // current segment
	offBits  float64   // bits used in the current segment
	left     float64   // bits left in the whole contact
	usedBits float64
	origin   time.Time // the contact's start; times are offsets from it
}

func newTimeline(c Contact) *timeline {
	tl := &timeline{segs: c.Segments, bits: make([]float64, len(c.Segments)), origin: c.Start}
	for i, s := range c.Segments {
		tl.bits[i] = s.RateBitsPerSec * s.End.Sub(s.Start).Seconds()
		tl.left += tl.bits[i]
	}
	tl.skipEmpty()
	return tl
}

func (tl *timeline) skipEmpty() {
	for tl.seg < len(tl.segs) && tl.offBits >= tl.bits[tl.seg] {
		tl.seg++
		tl.offBits = 0
	}
}

func (tl *timeline) leftBits() float64 { return tl.left }

// lossAtCursor is the loss of the segment the next frame falls in.
func (tl *timeline) lossAtCursor() float64 {
	if tl.seg >= len(tl.segs) {
		return 0
	}
	return tl.segs[tl.seg].Loss
}

// maxLoss is the worst loss over the next bits of the timeline.
func (tl *timeline) maxLoss(bits float64) float64 {
	worst := 0.0
	off := tl.offBits
	for i := tl.seg; i < len(tl.segs) && bits > 0; i++ {
		avail := tl.bits[i] - off
		off = 0
		if avail <= 0 {
			continue
		}
		worst = math.Max(worst, tl.segs[i].Loss)
		bits -= avail
	}
	return worst
}

// timeAt converts a position inside segment i to an offset from the
// contact's start.
func (tl *timeline) timeAt(i int, offBits float64) time.Duration {
	if i >= len(tl.segs) {
		return tl.segs[len(tl.segs)-1].End.Sub(tl.origin)
	}
	s := tl.segs[i]
	d := s.Start.Sub(tl.origin)
	if s.RateBitsPerSec <= 0 {
		return d
	}
	return d + time.Duration(offBits/s.RateBitsPerSec*float64(time.Second))
}

// take consumes bits and returns when they start and end on air.
func (tl *timeline) take(bits float64) (start, end time.Duration) {
	start = tl.timeAt(tl.seg, tl.offBits)
	tl.left -= bits
	tl.usedBits += bits
	for bits > 0 && tl.seg < len(tl.segs) {
		avail := tl.bits[tl.seg] - tl.offBits
		if bits < avail {
			tl.offBits += bits
			bits = 0
			break
		}
		bits -= avail
		tl.offBits = tl.bits[tl.seg]
		end = tl.segs[tl.seg].End.Sub(tl.origin)
		tl.skipEmpty()
	}
	if tl.seg < len(tl.segs) && tl.offBits > 0 {
		end = tl.timeAt(tl.seg, tl.offBits)
	}
	return start, end
}

// endOffset is when the next bits of the timeline would end on air, as an
// offset from the contact's start, without taking them.
func (tl *timeline) endOffset(bits float64) time.Duration {
	off := tl.offBits
	for i := tl.seg; i < len(tl.segs); i++ {
		avail := tl.bits[i] - off
		if bits <= avail {
			return tl.timeAt(i, off+bits)
		}
		bits -= avail
		off = 0
	}
	if len(tl.segs) == 0 {
		return 0
	}
	return tl.segs[len(tl.segs)-1].End.Sub(tl.origin)
}
