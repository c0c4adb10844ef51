package frame

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ASM is the CCSDS attached sync marker.
var ASM = [4]byte{0x1A, 0xCF, 0xFC, 0x1D}

// pn is one period of the CCSDS pseudo-random sequence.
var pn = func() (t [255]byte) {
	reg := byte(0xFF) // x1..x8, all ones
	for i := range t {
		var out byte
		for bit := 0; bit < 8; bit++ {
			o := reg & 1 // the output tap
			out = out<<1 | o
			fb := (reg ^ reg>>3 ^ reg>>5 ^ reg>>7) & 1
			reg = reg>>1 | fb<<7
		}
		t[i] = out
	}
	return t
}()

// Randomize XORs b in place with the CCSDS pseudo-random sequence, starting
// at its first byte. Applying it twice restores b.
func Randomize(b []byte) {
	for i := 0; i < len(b); i += len(pn) {
		chunk := b[i:min(i+len(pn), len(b))]
		for j := range chunk {
			chunk[j] ^= pn[j]
		}
	}
}

// SyncWriter writes frames to a byte stream, each as ASM followed by the
// randomised frame. It is not safe for concurrent use.
type SyncWriter struct {
	w   io.Writer
	buf []byte
}

// NewSyncWriter returns a SyncWriter on w.
func NewSyncWriter(w io.Writer) *SyncWriter { return &SyncWriter{w: w} }

// WriteFrame writes one frame with a single Write call. frame is not
// modified.
func (s *SyncWriter) WriteFrame(frame []byte) error {
	s.buf = append(append(s.buf[:0], ASM[:]...), frame...)
	Randomize(s.buf[len(ASM):])
	_, err := s.w.Write(s.buf)
	return err
}

// SyncStats counts what a Synchronizer saw.
type SyncStats struct {
	Frames       uint64 // frames delivered
	Relocks      uint64 // times the marker was missing where expected
	SkippedBytes uint64 // bytes discarded while hunting
}

// ErrFrameBytes reports an unusable frame length.
var ErrFrameBytes = errors.New("frame: bad frame length")

// Synchronizer reads ASM-delimited, randomised frames of a fixed length
// from a byte stream. It hunts for the marker, then expects the next marker
// right after each frame. When it is missing, the last lock may have been
// on a false marker inside garbage, so it hunts again from just after that
// marker: a false lock costs no real frame. Frames it delivers may still
// be corrupt: the FECF check decides. Memory is bounded by a few frames.
type Synchronizer struct {
	r          io.Reader
	frameBytes int
	buf        []byte
	start, end int
	mark       int // offset in buf of the marker of the last frame, or -1
	locked     bool
	out        []byte
	stats      SyncStats
}

// NewSynchronizer returns a Synchronizer reading frames of frameBytes.
func NewSynchronizer(r io.Reader, frameBytes int) (*Synchronizer, error) {
	if frameBytes < 1 || frameBytes > 1<<16 {
		return nil, fmt.Errorf("%w: %d", ErrFrameBytes, frameBytes)
	}
	return &Synchronizer{r: r, frameBytes: frameBytes, mark: -1,
		buf: make([]byte, 4*(frameBytes+len(ASM))+4096), out: make([]byte, frameBytes)}, nil
}

// Stats returns the counters so far.
func (s *Synchronizer) Stats() SyncStats { return s.stats }

// Next returns the next frame, de-randomised. The slice is valid until the
// next call. At the end of the stream it returns io.EOF (a partial frame at
// the end is dropped); other read errors are returned as they come.
func (s *Synchronizer) Next() ([]byte, error) {
	need := len(ASM) + s.frameBytes
	for {
		if s.locked {
			if s.end-s.start < need {
				if err := s.fill(); err != nil {
					return nil, err
				}
				continue
			}
			if bytes.Equal(s.buf[s.start:s.start+len(ASM)], ASM[:]) {
				copy(s.out, s.buf[s.start+len(ASM):s.start+need])
				Randomize(s.out)
				s.mark = s.start
				s.start += need
				s.stats.Frames++
				return s.out, nil
			}
			s.locked = false
			s.stats.Relocks++
			if s.mark >= 0 {
				s.start = s.mark + 1
			}
			s.mark = -1
		}
		i := bytes.Index(s.buf[s.start:s.end], ASM[:])
		if i < 0 {
			// Keep the last 3 bytes: they may begin a marker.
			if skip := s.end - s.start - (len(ASM) - 1); skip > 0 {
				s.start += skip
				s.stats.SkippedBytes += uint64(skip)
			}
			if err := s.fill(); err != nil {
				return nil, err
			}
			continue
		}
		s.start += i
		s.stats.SkippedBytes += uint64(i)
		s.locked = true
	}
}

// fill compacts the buffer, keeping what a re-hunt may need, and reads
// more.
func (s *Synchronizer) fill() error {
	keep := s.start
	if s.mark >= 0 {
		keep = s.mark
	}
	if keep > 0 {
		n := copy(s.buf, s.buf[keep:s.end])
		s.start -= keep
		if s.mark >= 0 {
			s.mark -= keep
		}
		s.end = n
	}
	for tries := 0; tries < 100; tries++ {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}
