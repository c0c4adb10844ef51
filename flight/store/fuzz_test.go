package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/skysieve/skysieve/downlink/clock"
)

func FuzzUnmarshalHeader(f *testing.F) {
	h := header{state: StateInFlight, priorityClass: 2, value: 0.5, expiryNanos: neverNanos, arrivalNanos: 5,
		seq: 9, recordLen: 10, chipLen: 8000, region: [4]float64{1, 2, 3, 4}, class: "fire"}
	f.Add(h.marshal())
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{1}, headerFixedBytes+1))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := unmarshalHeader(b)
		if err != nil {
			if !errors.Is(err, errBadHeader) {
				t.Fatalf("error %v does not wrap errBadHeader", err)
			}
			return
		}
		if !bytes.Equal(h.marshal(), b) {
			t.Fatalf("decoded header does not re-encode to its input")
		}
	})
}

func FuzzUnmarshalSymbols(f *testing.F) {
	f.Add(marshalSymbols([]int{0, 1, 5, 1000, MaxSymbolIndex}))
	f.Add([]byte{0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		syms, err := unmarshalSymbols(b)
		if err != nil {
			if !errors.Is(err, errBadSymbols) {
				t.Fatalf("error %v does not wrap errBadSymbols", err)
			}
			return
		}
		for i, s := range syms {
			if s < 0 || s > MaxSymbolIndex || i > 0 && s <= syms[i-1] {
				t.Fatalf("decoded set not sorted, unique and in range: %v", syms)
			}
		}
		if !bytes.Equal(marshalSymbols(syms), b) {
			t.Fatalf("decoded symbols do not re-encode to their input")
		}
	})
}

func FuzzUnmarshalTombstone(f *testing.F) {
	f.Add(tombstone{reason: ReasonExpired, atNanos: 7}.marshal())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		tb, err := unmarshalTombstone(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if !bytes.Equal(tb.marshal(), b) {
			t.Fatalf("decoded tombstone does not re-encode to its input")
		}
	})
}

// FuzzOpen opens damaged files: Open must refuse them with ErrCorrupt or
// ErrForeign, or open them (repairing what it finds), and never panic.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	seed := filepath.Join(dir, "seed.db")
	s, _, err := Open(seed, testOpts(clock.Real{}))
	if err != nil {
		f.Fatal(err)
	}
	for _, it := range []Item{mkItem("a", 0, 1, 3000), mkItem("b", 1, 2, 10)} {
		if err := s.Put(context.Background(), it); err != nil {
			f.Fatal(err)
		}
	}
	_ = s.MarkSent("a", "p1", []int{1, 2})
	_ = s.Ack("b")
	s.Close()
	good, err := os.ReadFile(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("not a database"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "f.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, _, err := Open(path, testOpts(clock.Real{}))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrForeign) {
				t.Fatalf("Open: %v is neither ErrCorrupt nor ErrForeign", err)
			}
			return
		}
		defer s.Close()
		if _, err := s.Next(100, 0); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Next: %v", err)
		}
	})
}

// FuzzCheckFile feeds the file checker alone (no bbolt, no disk), for
// speed: it must return, without panicking, on any bytes.
func FuzzCheckFile(f *testing.F) {
	dir := f.TempDir()
	seed := filepath.Join(dir, "seed.db")
	s, _, err := Open(seed, testOpts(clock.Real{}))
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Put(context.Background(), mkItem("a", 0, 1, 9000)); err != nil {
		f.Fatal(err)
	}
	s.Close()
	good, err := os.ReadFile(seed)
	if err != nil {
		f.Fatal(err)
	}
	if err := checkFile(bytes.NewReader(good), int64(len(good))); err != nil {
		f.Fatalf("a good store fails the check: %v", err)
	}
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = checkFile(bytes.NewReader(b), int64(len(b)))
	})
}
