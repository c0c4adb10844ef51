package sdls

import "fmt"

// WindowSize is the anti-replay window in sequence numbers.
const WindowSize = 1024

// ReplayWindow is a sliding anti-replay window over 64-bit sequence
// numbers (RFC 4303 style). The zero value accepts any first number. It is
// not safe for concurrent use.
type ReplayWindow struct {
	top  uint64 // highest accepted sequence number
	any  bool
	bits [WindowSize / 64]uint64 // bit (seq mod WindowSize) set if seq seen
}

// Check reports whether seq may be accepted: not seen before and not
// older than the window. It does not record seq; call Accept after the MAC
// verifies.
func (w *ReplayWindow) Check(seq uint64) error {
	if !w.any || seq > w.top {
		return nil
	}
	if w.top-seq >= WindowSize {
		return fmt.Errorf("%w: %d is more than %d behind %d", ErrReplay, seq, WindowSize, w.top)
	}
	if w.bits[seq/64%(WindowSize/64)]&(1<<(seq%64)) != 0 {
		return fmt.Errorf("%w: %d seen before", ErrReplay, seq)
	}
	return nil
}

// Accept records seq (which Check accepted).
func (w *ReplayWindow) Accept(seq uint64) {
	if !w.any {
		w.any, w.top = true, seq
		w.bits = [WindowSize / 64]uint64{}
	} else if seq > w.top {
		if seq-w.top >= WindowSize {
			w.bits = [WindowSize / 64]uint64{}
		} else {
			for s := w.top + 1; s <= seq && s%64 != 0; s++ {
				w.bits[s/64%(WindowSize/64)] &^= 1 << (s % 64)
			}
			// Clear whole words the window slid past.
			for wd := (w.top/64 + 1); wd <= seq/64; wd++ {
				w.bits[wd%(WindowSize/64)] = 0
			}
		}
		w.top = seq
	}
	w.bits[seq/64%(WindowSize/64)] |= 1 << (seq % 64)
}

// Top is the highest accepted sequence number (0 if none).
func (w *ReplayWindow) Top() uint64 { return w.top }
