package kiss

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

func decodeAll(t testing.TB, stream []byte, maxLen int) (frames []Frame, errs []error) {
	d := NewDecoder(bytes.NewReader(stream), maxLen)
	for {
		f, err := d.Next()
		if err == io.EOF {
			return frames, errs
		}
		if err != nil {
			errs = append(errs, err)
			if errors.Is(err, ErrTruncated) {
				return frames, errs
			}
			continue
		}
		f.Data = bytes.Clone(f.Data)
		frames = append(frames, f)
	}
}

func TestDecode(t *testing.T) {
	cases := []struct {
		name   string
		stream []byte
		want   [][]byte
		errs   []error
	}{
		{"plain", []byte{FEND, 0x00, 1, 2, 3, FEND}, [][]byte{{1, 2, 3}}, nil},
		{"escapes", []byte{FEND, 0x00, FESC, TFEND, FESC, TFESC, FEND}, [][]byte{{FEND, FESC}}, nil},
		{"empty frames skipped", []byte{FEND, FEND, FEND, 0x00, 9, FEND, FEND}, [][]byte{{9}}, nil},
		{"noise before first FEND", []byte{7, 7, 7, FEND, 0x00, 5, FEND}, [][]byte{{5}}, nil},
		{"shared FEND between frames", []byte{FEND, 0x00, 1, FEND, 0x00, 2, FEND}, [][]byte{{1}, {2}}, nil},
		{"bad escape drops one frame", []byte{FEND, 0x00, FESC, 0x41, FEND, 0x00, 2, FEND}, [][]byte{{2}}, []error{ErrBadEscape}},
		{"dangling FESC", []byte{FEND, 0x00, 1, FESC, FEND, 0x00, 3, FEND}, [][]byte{{3}}, []error{ErrBadEscape}},
		{"too long", append(append([]byte{FEND, 0x00}, make([]byte, 20)...), FEND, 0x00, 4, FEND), [][]byte{{4}}, []error{ErrTooLong}},
		{"truncated", []byte{FEND, 0x00, 1, 2}, nil, []error{ErrTruncated}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			frames, errs := decodeAll(t, c.stream, 16)
			if len(frames) != len(c.want) {
				t.Fatalf("got %d frames %v, want %d", len(frames), frames, len(c.want))
			}
			for i := range frames {
				if !bytes.Equal(frames[i].Data, c.want[i]) || frames[i].Command != CmdData {
					t.Errorf("frame %d = %+v, want data %v", i, frames[i], c.want[i])
				}
			}
			if len(errs) != len(c.errs) {
				t.Fatalf("errors %v, want %v", errs, c.errs)
			}
			for i := range errs {
				if !errors.Is(errs[i], c.errs[i]) {
					t.Errorf("error %d = %v, want %v", i, errs[i], c.errs[i])
				}
			}
		})
	}
}

func TestPortAndCommand(t *testing.T) {
	frames, _ := decodeAll(t, Append(nil, 3, 0x6, []byte{1}), 0)
	if len(frames) != 1 || frames[0].Port != 3 || frames[0].Command != 0x6 {
		t.Fatalf("frames %+v", frames)
	}
}

// TestRoundTripProperty: any sequence of payloads survives Append then
// Decoder, whatever bytes they hold.
func TestRoundTripProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for iter := 0; iter < 300; iter++ {
		var stream []byte
		var want [][]byte
		for n := rng.IntN(20); n > 0; n-- {
			p := make([]byte, 1+rng.IntN(300))
			for i := range p {
				// Bias towards the special bytes.
				switch rng.IntN(4) {
				case 0:
					p[i] = FEND
				case 1:
					p[i] = FESC
				default:
					p[i] = byte(rng.UintN(256))
				}
			}
			want = append(want, p)
			stream = Append(stream, 0, CmdData, p)
		}
		frames, errs := decodeAll(t, stream, 0)
		if len(errs) != 0 || len(frames) != len(want) {
			t.Fatalf("iter %d: %d frames, errors %v; want %d frames", iter, len(frames), errs, len(want))
		}
		for i := range want {
			if !bytes.Equal(frames[i].Data, want[i]) {
				t.Fatalf("iter %d frame %d differs", iter, i)
			}
		}
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add([]byte{FEND, 0x00, 1, 2, 3, FEND})
	f.Add([]byte{FEND, 0x00, FESC, TFEND, FESC, TFESC, FEND})
	f.Add([]byte{FEND, 0x00, FESC, 0x41, FEND})
	f.Add(Append(nil, 1, 0, bytes.Repeat([]byte{FEND, FESC}, 40)))
	f.Fuzz(func(t *testing.T, stream []byte) {
		const maxLen = 128
		d := NewDecoder(bytes.NewReader(stream), maxLen)
		total := 0
		for i := 0; ; i++ {
			if i > len(stream)+1 {
				t.Fatalf("decoder returned more results than input bytes")
			}
			fr, err := d.Next()
			if err == io.EOF || errors.Is(err, ErrTruncated) {
				break
			}
			if err != nil {
				if !errors.Is(err, ErrBadEscape) && !errors.Is(err, ErrTooLong) {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			if len(fr.Data)+1 > maxLen {
				t.Fatalf("frame of %d bytes exceeds limit", len(fr.Data)+1)
			}
			total += len(fr.Data)
			// Re-encoding a decoded frame decodes to the same bytes.
			again, errs := decodeAll(t, Append(nil, fr.Port, fr.Command, fr.Data), 0)
			if len(errs) != 0 || len(again) != 1 || !bytes.Equal(again[0].Data, fr.Data) {
				t.Fatalf("re-encoded frame does not round-trip")
			}
		}
		if total > len(stream) {
			t.Fatalf("decoded %d bytes from %d", total, len(stream))
		}
	})
}

func BenchmarkDecoder(b *testing.B) {
	payload := make([]byte, 1024)
	for i := range payload {
		payload[i] = byte(i)
	}
	var stream []byte
	for i := 0; i < 64; i++ {
		stream = Append(stream, 0, CmdData, payload)
	}
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(stream), 0)
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	}
}

// Buffered tells whether bytes after the frame just returned were read:
// none after the last complete frame, some when the next has begun.
func TestBuffered(t *testing.T) {
	stream := Append(nil, 0, CmdData, []byte("one"))
	stream = append(stream, Append(nil, 0, CmdData, []byte("two"))...)
	d := NewDecoder(bytes.NewReader(append(stream, FEND, 0x00, 'x')), 0)
	for i, want := range []int{len(stream)/2 + 3, 3} {
		if _, err := d.Next(); err != nil {
			t.Fatal(err)
		}
		if got := d.Buffered(); got != want {
			t.Fatalf("after frame %d: Buffered %d, want %d", i, got, want)
		}
	}
}
