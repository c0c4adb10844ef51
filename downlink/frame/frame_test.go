package frame

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// crcBitwise is the CRC-16-CCITT computed bit by bit, as 132.0-B defines it.
func crcBitwise(b []byte) uint16 {
	c := uint16(0xFFFF)
	for _, x := range b {
		c ^= uint16(x) << 8
		for i := 0; i < 8; i++ {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
	}
	return c
}

func TestCRC16(t *testing.T) {
	if got := CRC16([]byte("123456789")); got != 0x29B1 {
		t.Fatalf("check value %#04x, want 0x29B1", got)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 600; i++ {
		n := i
		if i >= 300 {
			n = rng.IntN(5000) // the two-chain path for long inputs
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if got, want := CRC16(b), crcBitwise(b); got != want {
			t.Fatalf("len %d: %#04x, want %#04x", n, got, want)
		}
	}
}

// TestFECFCatchesErrors: every single-bit error and every burst of up to
// 16 bits in a frame is detected (CRC-16 guarantees both).
func TestFECFCatchesErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	f := make([]byte, 256)
	for i := range f {
		f[i] = byte(rng.Uint32())
	}
	PutFECF(f)
	if err := CheckFECF(f); err != nil {
		t.Fatal(err)
	}
	for bit := 0; bit < len(f)*8; bit++ {
		g := bytes.Clone(f)
		g[bit/8] ^= 0x80 >> (bit % 8)
		if err := CheckFECF(g); !errors.Is(err, ErrCRC) {
			t.Fatalf("bit %d flip not caught: %v", bit, err)
		}
	}
	for i := 0; i < 2000; i++ {
		g := bytes.Clone(f)
		start := rng.IntN(len(f)*8 - 16)
		burst := rng.Uint32()&0xFFFF | 0x8001 // 16-bit burst, both ends set
		for j := 0; j < 16; j++ {
			if burst&(1<<j) != 0 {
				g[(start+j)/8] ^= 0x80 >> ((start + j) % 8)
			}
		}
		if err := CheckFECF(g); !errors.Is(err, ErrCRC) {
			t.Fatalf("burst at bit %d not caught", start)
		}
	}
}

// TestTMHeaderGolden checks headers worked out by hand from CCSDS 132.0-B.
// SCID 0x2A, VC 3, no OCF: 00 0000101010 011 0 = 0x02A6; MC 0x12, VC
// 0x34; data field status 0 0 0 11 + FHP.
func TestTMHeaderGolden(t *testing.T) {
	for _, c := range []struct {
		h    TMHeader
		want []byte
	}{
		{NewTMHeader(0x2A, 3, 0x12, 0x34, 0), []byte{0x02, 0xA6, 0x12, 0x34, 0x18, 0x00}},
		{NewTMHeader(0x2A, 7, 0xFF, 0x00, FHPIdle), []byte{0x02, 0xAE, 0xFF, 0x00, 0x1F, 0xFE}},
		{NewTMHeader(0x3FF, 0, 1, 2, FHPNoPacketStart), []byte{0x3F, 0xF0, 0x01, 0x02, 0x1F, 0xFF}},
		{NewTMHeader(0x001, 1, 0, 0, 0x123), []byte{0x00, 0x12, 0x00, 0x00, 0x19, 0x23}},
	} {
		var b [TMHeaderBytes]byte
		if err := c.h.Put(b[:]); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b[:], c.want) {
			t.Fatalf("%+v: % X, want % X", c.h, b, c.want)
		}
		got, err := ParseTMHeader(c.want)
		if err != nil || got != c.h {
			t.Fatalf("parse % X = %+v, %v", c.want, got, err)
		}
	}
	for _, bad := range [][]byte{
		{0x42, 0xA6, 0, 0, 0x18, 0}, // version 01
		{0x02, 0xA7, 0, 0, 0x18, 0}, // OCF
		{0x02, 0xA6, 0, 0, 0x98, 0}, // secondary header
		{0x02, 0xA6, 0, 0, 0x58, 0}, // sync flag
		{0x02, 0xA6, 0, 0, 0x10, 0}, // segment length id 10
		{0x02, 0xA6, 0, 0, 0x18},    // short
	} {
		if _, err := ParseTMHeader(bad); !errors.Is(err, ErrMalformed) {
			t.Fatalf("% X: err = %v", bad, err)
		}
	}
}

// TestTCHeaderGolden: CCSDS 232.0-B. Version 00, bypass 1, control 0,
// spare 00, SCID 0x2A: 0x202A; VCID 0 and length 100 − 1: 0x0063; seq 7.
func TestTCHeaderGolden(t *testing.T) {
	h := TCHeader{Bypass: true, SCID: 0x2A, VCID: 0, FrameBytes: 100, Seq: 7}
	var b [TCHeaderBytes]byte
	if err := h.Put(b[:]); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x20, 0x2A, 0x00, 0x63, 0x07}; !bytes.Equal(b[:], want) {
		t.Fatalf("% X, want % X", b, want)
	}
	// Control command, SCID 0x3FF, VC 63, 1024 bytes: 0x13FF, 111111 1111111111 = 0xFFFF.
	h = TCHeader{ControlCommand: true, SCID: 0x3FF, VCID: 63, FrameBytes: 1024, Seq: 0xFF}
	if err := h.Put(b[:]); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x13, 0xFF, 0xFF, 0xFF, 0xFF}; !bytes.Equal(b[:], want) {
		t.Fatalf("% X, want % X", b, want)
	}
	f := make([]byte, 1024)
	copy(f, b[:])
	got, err := ParseTCHeader(f)
	if err != nil || got != h {
		t.Fatalf("parse = %+v, %v", got, err)
	}
	if _, err := ParseTCHeader(f[:1000]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("length mismatch accepted: %v", err)
	}
}

// TestPseudoRandomizer checks the first bytes of the CCSDS 131.0-B
// sequence and that it is an involution.
func TestPseudoRandomizer(t *testing.T) {
	want := []byte{0xFF, 0x48, 0x0E, 0xC0, 0x9A, 0x0D, 0x70, 0xBC, 0x8E, 0x2C, 0x93, 0xAD, 0xA7, 0xB7, 0x46, 0xCE}
	b := make([]byte, 600)
	Randomize(b)
	if !bytes.Equal(b[:16], want) {
		t.Fatalf("sequence % X, want % X", b[:16], want)
	}
	if !bytes.Equal(b[255:255+16], want) {
		t.Fatal("sequence does not repeat after 255 bytes")
	}
	Randomize(b)
	if !bytes.Equal(b, make([]byte, 600)) {
		t.Fatal("randomising twice is not the identity")
	}
}

func randomFrames(rng *rand.Rand, n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = make([]byte, size)
		for j := range out[i] {
			out[i][j] = byte(rng.Uint32())
		}
		PutFECF(out[i])
	}
	return out
}

// TestSynchronizerRelocks: frames separated by random garbage (sometimes
// containing a marker) come through, read one byte at a time or in big
// chunks, and every frame after a clean marker is recovered.
func TestSynchronizerRelocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const size = 200
	frames := randomFrames(rng, 50, size)
	var stream bytes.Buffer
	w := NewSyncWriter(&stream)
	for i, f := range frames {
		if i%5 == 2 {
			g := make([]byte, rng.IntN(3*size))
			for j := range g {
				g[j] = byte(rng.Uint32())
			}
			if i%10 == 2 && len(g) > 4 {
				copy(g[len(g)/2:], ASM[:]) // a false marker
			}
			stream.Write(g)
		}
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	for name, r := range map[string]func() io.Reader{
		"bytewise": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream.Bytes())) },
		"bulk":     func() io.Reader { return bytes.NewReader(stream.Bytes()) },
	} {
		t.Run(name, func(t *testing.T) {
			s, err := NewSynchronizer(r(), size)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for {
				f, err := s.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(f) != size {
					t.Fatalf("frame of %d bytes", len(f))
				}
				if CheckFECF(f) == nil {
					seen[string(f)] = true
				}
			}
			for i, f := range frames {
				if !seen[string(f)] {
					t.Fatalf("frame %d lost (stats %+v)", i, s.Stats())
				}
			}
			if st := s.Stats(); st.SkippedBytes == 0 || st.Relocks == 0 {
				t.Fatalf("garbage not seen: %+v", st)
			}
		})
	}
}

func FuzzSynchronizer(f *testing.F) {
	var seed bytes.Buffer
	w := NewSyncWriter(&seed)
	for _, fr := range randomFrames(rand.New(rand.NewPCG(4, 4)), 3, 64) {
		w.WriteFrame(fr)
	}
	f.Add(seed.Bytes())
	f.Add(append([]byte{0x1A, 0xCF, 0xFC}, seed.Bytes()...))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := NewSynchronizer(bytes.NewReader(in), 64)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; ; n++ {
			fr, err := s.Next()
			if err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				return
			}
			if len(fr) != 64 || n > len(in) { // each frame advances the marker by at least a byte
				t.Fatalf("frame %d of %d bytes from %d input bytes", n, len(fr), len(in))
			}
		}
	})
}

func FuzzTMHeader(f *testing.F) {
	f.Add([]byte{0x02, 0xA6, 0x12, 0x34, 0x18, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := ParseTMHeader(in)
		if err != nil {
			return
		}
		var b [TMHeaderBytes]byte
		if err := h.Put(b[:]); err != nil || !bytes.Equal(b[:], in[:TMHeaderBytes]) {
			t.Fatalf("% X → %+v → % X (%v)", in[:TMHeaderBytes], h, b, err)
		}
	})
}

func FuzzTCHeader(f *testing.F) {
	f.Add([]byte{0x20, 0x2A, 0x00, 0x09, 0x07, 1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := ParseTCHeader(in)
		if err != nil {
			return
		}
		var b [TCHeaderBytes]byte
		if err := h.Put(b[:]); err != nil || !bytes.Equal(b[:], in[:TCHeaderBytes]) {
			t.Fatalf("% X → %+v → % X (%v)", in[:TCHeaderBytes], h, b, err)
		}
	})
}
