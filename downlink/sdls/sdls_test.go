package sdls

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testKeyFile = "../../testdata/link/test.key"

func TestLoadKeyFile(t *testing.T) {
	k, err := LoadKeyFile(testKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	for spi, mode := range map[uint16]Mode{1: ModeEncrypt, 2: ModeEncrypt, 3: ModeAuth} {
		sa, err := k.SA(spi)
		if err != nil || sa.Mode != mode {
			t.Fatalf("SPI %d: %+v, %v", spi, sa, err)
		}
	}
	if _, err := k.SA(9); !errors.Is(err, ErrUnknownSPI) {
		t.Fatalf("SA(9) = %v", err)
	}
}

func TestKeyFileErrors(t *testing.T) {
	key := strings.Repeat("ab", 32)
	dir := t.TempDir()
	for _, c := range []struct {
		name, text, want string
	}{
		{"fields", "1 enc\n", "line 1: want \"spi mode key\""},
		{"spi", "x enc " + key, "SPI \"x\""},
		{"spi range", "70000 enc " + key, "SPI \"70000\""},
		{"reserved spi", "0 enc " + key, "reserved"},
		{"mode", "1 gcm " + key, "mode \"gcm\""},
		{"short key", "1 enc abcd", "4 hex characters, want 64"},
		{"not hex", "1 enc " + strings.Repeat("zz", 32), "not hex"},
		{"duplicate", "1 enc " + key + "\n# again\n1 auth " + key, "line 3: sdls: SPI 1 defined twice"},
		{"empty", "# nothing\n\n", "no keys"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".key")
			if err := os.WriteFile(path, []byte(c.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadKeyFile(path)
			if !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want ErrKeyFile naming %s and containing %q", err, path, c.want)
			}
		})
	}
	missing := filepath.Join(dir, "absent.key")
	if _, err := LoadKeyFile(missing); !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("missing file: %v", err)
	}
}

// TestSecurityHeaderGolden: SPI 1, sequence 0x0102030405060708 → 00 01
// then the sequence number big-endian.
func TestSecurityHeaderGolden(t *testing.T) {
	var b [HeaderBytes]byte
	PutHeader(b[:], 1, 0x0102030405060708)
	if want := []byte{0, 1, 1, 2, 3, 4, 5, 6, 7, 8}; !bytes.Equal(b[:], want) {
		t.Fatalf("% X, want % X", b, want)
	}
	spi, seq, err := ParseHeader(b[:])
	if err != nil || spi != 1 || seq != 0x0102030405060708 {
		t.Fatalf("parse = %d %#x %v", spi, seq, err)
	}
}

// TestSealOpen: round trip in both modes; every single-bit change of any
// byte of a protected frame is rejected; the plaintext is hidden in enc
// mode and visible in auth mode; the two directions never share a nonce.
func TestSealOpen(t *testing.T) {
	keys, err := LoadKeyFile(testKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, spi := range []uint16{1, 3} {
		sa, _ := keys.SA(spi)
		frame := make([]byte, 120)
		for i := range frame {
			frame[i] = byte(rng.Uint32())
		}
		const aad = 16
		plain := bytes.Clone(frame[aad : len(frame)-MACBytes])
		down := NewSealer(sa, Downlink)
		down.Seal(frame, aad, 42)
		if hidden := !bytes.Equal(frame[aad:len(frame)-MACBytes], plain); hidden != (sa.Mode == ModeEncrypt) {
			t.Fatalf("SPI %d mode %v: data hidden = %v", spi, sa.Mode, hidden)
		}
		up := NewSealer(sa, Uplink)
		if err := up.Open(bytes.Clone(frame), aad, 42); !errors.Is(err, ErrAuth) {
			t.Fatalf("SPI %d: uplink sealer opened a downlink frame: %v", spi, err)
		}
		if err := down.Open(bytes.Clone(frame), aad, 43); !errors.Is(err, ErrAuth) {
			t.Fatalf("SPI %d: opened with the wrong sequence number: %v", spi, err)
		}
		for bit := 0; bit < len(frame)*8; bit++ {
			g := bytes.Clone(frame)
			g[bit/8] ^= 1 << (bit % 8)
			if err := down.Open(g, aad, 42); !errors.Is(err, ErrAuth) {
				t.Fatalf("SPI %d: bit %d flip accepted", spi, bit)
			}
		}
		dst := make([]byte, len(frame))
		if err := down.OpenTo(dst, frame, aad, 42); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(dst[aad:len(dst)-MACBytes], plain) {
			t.Fatalf("SPI %d: OpenTo plaintext differs", spi)
		}
		if err := down.Open(frame, aad, 42); err != nil || !bytes.Equal(frame[aad:len(frame)-MACBytes], plain) {
			t.Fatalf("SPI %d: Open: %v", spi, err)
		}
	}
}

// TestReplayWindowModel compares the window with a model that remembers
// every accepted number, on random sequences that mostly advance, jump,
// repeat and go back.
func TestReplayWindowModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for trial := 0; trial < 50; trial++ {
		var w ReplayWindow
		seen := map[uint64]bool{}
		var top, floor uint64 // floor: everything ≤ floor counts as seen after a Restore
		var any, restored bool
		seq := uint64(rng.IntN(1 << 20))
		for step := 0; step < 5000; step++ {
			if any && rng.IntN(500) == 0 {
				w.Restore(top)
				floor, restored = top, true
			}
			switch r := rng.IntN(10); {
			case r < 5:
				seq++
			case r < 6:
				seq += uint64(rng.IntN(3 * WindowSize))
			case r < 9:
				seq -= min(seq, uint64(rng.IntN(WindowSize+64)))
			}
			modelOK := (!any || seq > top || (top-seq < WindowSize && !seen[seq])) && !(restored && seq <= floor)
			err := w.Check(seq)
			if (err == nil) != modelOK {
				t.Fatalf("trial %d step %d: seq %d top %d: Check = %v, model ok = %v", trial, step, seq, top, err, modelOK)
			}
			if err != nil {
				if !errors.Is(err, ErrReplay) {
					t.Fatalf("error %v is not ErrReplay", err)
				}
				continue
			}
			w.Accept(seq)
			seen[seq] = true
			if !any || seq > top {
				top = seq
			}
			any = true
			if w.Top() != top {
				t.Fatalf("Top = %d, want %d", w.Top(), top)
			}
		}
	}
}

func FuzzParseKeys(f *testing.F) {
	b, _ := os.ReadFile(testKeyFile)
	f.Add(b)
	f.Add([]byte("1 enc 00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		k, err := ParseKeys("fuzz.key", in)
		if err != nil {
			if !errors.Is(err, ErrKeyFile) {
				t.Fatalf("error %v is not ErrKeyFile", err)
			}
			return
		}
		if len(k.sas) == 0 {
			t.Fatal("accepted a file with no keys")
		}
	})
}

// FuzzOpen feeds arbitrary protected frames to Open: nothing but a frame
// sealed with the key opens, and nothing panics.
func FuzzOpen(f *testing.F) {
	keys, err := LoadKeyFile(testKeyFile)
	if err != nil {
		f.Fatal(err)
	}
	sa, _ := keys.SA(1)
	good := make([]byte, 64)
	NewSealer(sa, Downlink).Seal(good, 16, 7)
	f.Add(good, uint64(7), 16)
	f.Fuzz(func(t *testing.T, in []byte, seq uint64, aad int) {
		s := NewSealer(sa, Downlink)
		err := s.Open(bytes.Clone(in), aad, seq)
		if err == nil && !(bytes.Equal(in, good) && seq == 7 && aad == 16) {
			t.Fatalf("forged frame opened: % X seq %d aad %d", in, seq, aad)
		}
	})
}

func TestReplayWindowRestore(t *testing.T) {
	var w ReplayWindow
	w.Restore(5000)
	for _, seq := range []uint64{0, 4000, 4999, 5000} {
		if err := w.Check(seq); !errors.Is(err, ErrReplay) {
			t.Fatalf("seq %d after restore: %v", seq, err)
		}
	}
	if err := w.Check(5001); err != nil {
		t.Fatal(err)
	}
	w.Accept(5003)
	if w.Check(5001) != nil || w.Check(5003) == nil || w.Check(5000) == nil {
		t.Fatal("window after restore and accept is wrong")
	}
}

func BenchmarkSeal(b *testing.B) {
	keys, err := LoadKeyFile(testKeyFile)
	if err != nil {
		b.Fatal(err)
	}
	sa, _ := keys.SA(1)
	s := NewSealer(sa, Downlink)
	frame := make([]byte, 2046)
	b.SetBytes(int64(len(frame)))
	var seq uint64
	for b.Loop() {
		s.Seal(frame, 16, seq)
		seq++
	}
}

// The development keys parse and match testdata/flight/dev.keys.
func TestDevKeysMatchTestdata(t *testing.T) {
	if _, err := DevelopmentKeys(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../../testdata/flight/dev.keys")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != DevKeys {
		t.Fatal("testdata/flight/dev.keys differs from sdls.DevKeys")
	}
}
