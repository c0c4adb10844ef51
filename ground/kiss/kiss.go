package kiss

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Special bytes of KISS framing.
const (
	FEND  = 0xC0
	FESC  = 0xDB
	TFEND = 0xDC
	TFESC = 0xDD
)

// CmdData is the command nibble of a data frame.
const CmdData = 0x0

// DefaultMaxFrameBytes bounds a frame when the caller gives no limit.
const DefaultMaxFrameBytes = 64 << 10

// Errors of the decoder. ErrBadEscape and ErrTooLong are recoverable: the
// bad frame is dropped and the next Next call continues.
var (
	ErrBadEscape = errors.New("kiss: bad escape sequence")
	ErrTooLong   = errors.New("kiss: frame exceeds size limit")
	// ErrTruncated means the stream ended inside a frame.
	ErrTruncated = errors.New("kiss: stream ended inside a frame")
)

// Frame is one decoded KISS frame.
type Frame struct {
	Port    uint8 // 0..15
	Command uint8 // 0..15; CmdData for data
	// Data is the unescaped payload. It is valid until the next call to
	// Next.
	Data []byte
}

// Decoder reads KISS frames from a byte stream.
type Decoder struct {
	r      *bufio.Reader
	maxLen int
	buf    []byte
	// inFrame is true once a FEND has opened a frame; bytes before the
	// first FEND are line noise and skipped.
	inFrame bool
}

// NewDecoder returns a decoder reading r, with frames (type byte
// included) of at most maxFrameBytes; 0 means DefaultMaxFrameBytes.
func NewDecoder(r io.Reader, maxFrameBytes int) *Decoder {
	if maxFrameBytes <= 0 {
		maxFrameBytes = DefaultMaxFrameBytes
	}
	return &Decoder{r: bufio.NewReaderSize(r, 64<<10), maxLen: maxFrameBytes}
}

// Next returns the next non-empty frame. At the end of the stream it
// returns io.EOF, or ErrTruncated if a frame was open. Errors wrapping
// ErrBadEscape or ErrTooLong leave the decoder usable.
func (d *Decoder) Next() (Frame, error) {
	for {
		f, err := d.next()
		if err != nil {
			return Frame{}, err
		}
		if len(f) == 0 {
			continue
		}
		return Frame{Port: f[0] >> 4, Command: f[0] & 0x0F, Data: f[1:]}, nil
	}
}

// Buffered is the number of bytes read from the stream and not yet
// decoded: a caller timing frames knows from it whether the next frame
// has begun.
func (d *Decoder) Buffered() int { return d.r.Buffered() }

// next returns the raw unescaped bytes between two FENDs.
func (d *Decoder) next() ([]byte, error) {
	d.buf = d.buf[:0]
	for !d.inFrame {
		c, err := d.r.ReadByte()
		if err != nil {
			return nil, err
		}
		d.inFrame = c == FEND
	}
	var badEscape, tooLong bool
	escaped := false
	for {
		c, err := d.r.ReadByte()
		if err != nil {
			if err == io.EOF && len(d.buf) > 0 {
				return nil, ErrTruncated
			}
			return nil, err
		}
		if c == FEND {
			// The closing FEND also opens the next frame.
			switch {
			case tooLong:
				return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLong, d.maxLen)
			case badEscape, escaped:
				return nil, fmt.Errorf("%w: FESC not followed by TFEND or TFESC", ErrBadEscape)
			}
			return d.buf, nil
		}
		if escaped {
			escaped = false
			switch c {
			case TFEND:
				c = FEND
			case TFESC:
				c = FESC
			default:
				badEscape = true
				continue
			}
		} else if c == FESC {
			escaped = true
			continue
		}
		if badEscape || tooLong {
			continue
		}
		if len(d.buf) >= d.maxLen {
			tooLong = true
			continue
		}
		d.buf = append(d.buf, c)
	}
}

// Append appends data as one KISS frame on port with the given command to
// dst, FENDs on both sides.
func Append(dst []byte, port, command uint8, data []byte) []byte {
	dst = append(dst, FEND)
	dst = appendEscaped(dst, port<<4|command&0x0F)
	for _, c := range data {
		dst = appendEscaped(dst, c)
	}
	return append(dst, FEND)
}

func appendEscaped(dst []byte, c byte) []byte {
	switch c {
	case FEND:
		return append(dst, FESC, TFEND)
	case FESC:
		return append(dst, FESC, TFESC)
	}
	return append(dst, c)
}
