package plan

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"
	"time"
)

// FuzzMake builds contacts and queues from arbitrary bytes (including
// nonsense: NaN rates, negative sizes, overlapping segments): Make must
// either reject them with a named error or return a plan with every
// property checkPlan verifies, and never panic or hang.
func FuzzMake(f *testing.F) {
	f.Add([]byte("\x02\x10\x00\x00\x40\x00\x05\x03\x01\x02\x03\x04\x05\x06\x07\x08"))
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &byteReader{b: b}
		c := Contact{Start: t0, End: t0.Add(time.Duration(r.u16()) * time.Second)}
		at := t0
		for range r.u8() % 6 {
			s := Segment{Start: at.Add(time.Duration(int(r.u8())-16) * time.Second)}
			s.End = s.Start.Add(time.Duration(r.u8()) * time.Second)
			s.RateBitsPerSec = float64(r.u16()) * 64
			if r.u8() == 255 {
				s.RateBitsPerSec = math.NaN()
			}
			s.Loss = float64(r.u8()) / 255
			c.Segments = append(c.Segments, s)
			at = s.End
		}
		var items []Item
		for i := range r.u8() % 32 {
			k := int(r.u8()%64) - 1
			items = append(items, Item{
				ID: fmt.Sprint(i), Class: int(r.u8()%5) - 1, Value: float64(r.u16()) / 100,
				K: k, FrameBytes: int(r.u16() % 4096), Need: int(r.u8() % 70), Unreported: int(r.u8() % 8),
			})
		}
		fb := Options{FeedbackConfidence: 0.5 + float64(r.u8())/512, FeedbackDelay: time.Duration(r.u8()) * time.Second}
		p, err := Make(c, items, Options{})
		if err != nil {
			return
		}
		checkPlan(t, c, items, p, DefaultConfidence)
		// With feedback sizing every send still meets the lower target.
		if p, err = Make(c, items, fb); err == nil {
			checkPlan(t, c, items, p, fb.FeedbackConfidence)
		} else if fb.FeedbackConfidence <= DefaultConfidence {
			t.Fatalf("feedback options %+v refused: %v", fb, err)
		}
	})
}

type byteReader struct {
	b []byte
	i int
}

func (r *byteReader) u8() uint8 {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *byteReader) u16() uint16 { return binary.BigEndian.Uint16([]byte{r.u8(), r.u8()}) }
