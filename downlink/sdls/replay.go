package sdls

import "fmt"

// WindowSize is the anti-replay window: a number more than WindowSize-1
// below the highest accepted one is rejected as stale.
const WindowSize = (windowWords - 1) * 64

// windowWords is the bitmap size. One word more than the window keeps the
// word being recycled for new numbers out of the window.
const windowWords = 16

// ReplayWindow is a sliding anti-replay window over 64-bit sequence
// numbers (RFC 4303 style). The zero value accepts any first number. It is
// not safe for concurrent use.
type ReplayWindow struct {
	top  uint64 // highest accepted sequence number
	any  bool
	bits [windowWords]uint64 // bit seq%64 of word seq/64 mod windowWords set if seen
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
	if w.bits[seq/64%windowWords]&(1<<(seq%64)) != 0 {
		return fmt.Errorf("%w: %d seen before", ErrReplay, seq)
	}
	return nil
}

// Accept records seq (which Check accepted).
func (w *ReplayWindow) Accept(seq uint64) {
	if !w.any {
		w.any, w.top = true, seq
		w.bits = [windowWords]uint64{}
	} else if seq > w.top {
		if seq-w.top >= windowWords*64 {
			w.bits = [windowWords]uint64{}
		} else {
			// Recycle the slots of the words the top moves into; bits above
			// the top in its own word are still clear.
			for wd := (w.top/64 + 1); wd <= seq/64; wd++ {
				w.bits[wd%windowWords] = 0
			}
		}
		w.top = seq
	}
	w.bits[seq/64%windowWords] |= 1 << (seq % 64)
}

// Top is the highest accepted sequence number (0 if none).
func (w *ReplayWindow) Top() uint64 { return w.top }

// Restore resets the window as if every number up to top had been seen:
// after a restart, a receiver that persisted Top accepts only newer
// numbers, so frames recorded before the restart cannot be replayed.
func (w *ReplayWindow) Restore(top uint64) {
	w.any, w.top = true, top
	for i := range w.bits {
		w.bits[i] = ^uint64(0)
	}
	// Above the top, its own word must stay clear (Accept relies on it).
	w.bits[top/64%windowWords] = ^uint64(0) >> (63 - top%64)
}
