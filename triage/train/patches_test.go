package train

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

func smallSynth(seed uint64, i int) (*scene.Scene, *synth.Truth) {
	spec := synth.RandomSpec(synth.MixWide, seed, i)
	spec.Width, spec.Height = 128, 128
	return synth.Generate(spec)
}

// TestDumpRoundTrip dumps patches, reads them back, and checks they are the
// scene's pixels and labels, that hard cases are oversampled, and that the
// dump is a pure function of its config.
func TestDumpRoundTrip(t *testing.T) {
	const seed = 3
	t.Logf("seed %d", seed)
	c := DumpConfig{Seed: seed, Count: 40, Patch: 32, PerScene: 5}
	var a, b bytes.Buffer
	st, err := Dump(&a, smallSynth, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Dump(&b, smallSynth, c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two dumps of the same config differ")
	}
	if st.Kinds[KindRandom] == c.Count {
		t.Fatal("no hard-case patch cut")
	}
	r := bytes.NewReader(a.Bytes())
	h, err := ReadPatchHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	if h.Count != c.Count || h.Patch != c.Patch || !slices.Equal(h.Bands, scene.DefaultBands) || !slices.Equal(h.Classes, synth.ClassNames) {
		t.Fatalf("header %+v", h)
	}
	// The first patch comes from scene 0: find it there.
	p, err := ReadPatch(r, h)
	if err != nil {
		t.Fatal(err)
	}
	s, tr := smallSynth(seed, 0)
	cls := tr.PixelClasses()
	found := false
	for y0 := 0; y0+c.Patch <= s.Height && !found; y0++ {
		for x0 := 0; x0+c.Patch <= s.Width && !found; x0++ {
			found = s.Data[0][y0*s.Width+x0] == p.Data[0] && s.Data[5][(y0+c.Patch-1)*s.Width+x0+c.Patch-1] == p.Data[len(p.Data)-1] &&
				cls[y0*s.Width+x0] == p.Labels[0] && cls[(y0+c.Patch-1)*s.Width+x0+c.Patch-1] == p.Labels[len(p.Labels)-1]
		}
	}
	if !found {
		t.Fatal("first patch is not a window of scene 0")
	}
	for k := 1; k < c.Count; k++ {
		if _, err := ReadPatch(r, h); err != nil {
			t.Fatalf("patch %d: %v", k, err)
		}
	}
	if r.Len() != 0 {
		t.Fatalf("%d bytes after the last patch", r.Len())
	}
}

func TestPatchFileBad(t *testing.T) {
	var buf bytes.Buffer
	pw, err := NewPatchWriter(&buf, PatchHeader{Count: 1, Patch: 8, Bands: []string{"a"}, Classes: []string{"x", "y"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.Write(Patch{Data: make([]float32, 64), Labels: append(make([]uint8, 63), 2)}); err == nil {
		t.Fatal("label 2 of 2 classes written")
	}
	if err := pw.Close(); err == nil {
		t.Fatal("closed with 0 of 1 patches written")
	}
	good := buf.Bytes()
	for name, mutate := range map[string]func(b []byte) []byte{
		"magic":     func(b []byte) []byte { b[0] = 'X'; return b },
		"version":   func(b []byte) []byte { b[8] = 9; return b },
		"patch 0":   func(b []byte) []byte { b[20] = 0; return b },
		"names":     func(b []byte) []byte { b[28] = 1; return b },
		"truncated": func(b []byte) []byte { return b[:20] },
	} {
		b := mutate(append([]byte(nil), good...))
		if _, err := ReadPatchHeader(bytes.NewReader(b)); !errors.Is(err, ErrBadPatchFile) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}
