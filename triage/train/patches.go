package train

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// The training-patch file ("SKYPATCH", version 1) holds K patches of P×P
// pixels, each B bands of float32 reflectance and one uint8 class per pixel.
// All integers and floats are little-endian:
//
//	magic    [8]byte  "SKYPATCH"
//	version  uint32   1
//	count    uint32   K, patches in the file
//	bands    uint32   B
//	patch    uint32   P, the patch edge in pixels
//	classes  uint32   C, per-pixel classes; every label is < C
//	nameLen  uint32   length of names
//	names    [nameLen]byte  band names, comma-separated, then '\n', then class names, comma-separated
//	then K records, each:
//	  kind   uint8    why the patch was cut (Kind*)
//	  pad    [3]byte  zero
//	  data   [B][P][P]float32  reflectance, band-major, row-major
//	  labels [P][P]uint8       class per pixel
//
// triage/train/train_seg.py reads it and validates every field above.
const (
	PatchMagic   = "SKYPATCH"
	PatchVersion = 1
	// MaxPatch bounds the patch edge a file may declare.
	MaxPatch = 512
)

// Patch kinds: why a patch was cut. The dumper oversamples the hard ones.
const (
	KindRandom uint8 = iota
	KindCloudEdgeWater
	KindFlood
	KindHull
	KindFire
	KindShadow
	KindCoast
)

// KindNames names the patch kinds, indexed by kind.
var KindNames = []string{"random", "cloud_edge_water", "flood", "hull", "fire", "shadow", "coast"}

// Patch is one training patch: Data holds Bands planes of Size×Size
// reflectance, Labels one class per pixel.
type Patch struct {
	Kind   uint8
	Data   []float32
	Labels []uint8
}

// PatchHeader describes a patch file.
type PatchHeader struct {
	Count, Patch int
	Bands        []string
	Classes      []string
}

// PatchWriter writes a patch file. It writes exactly the Count patches its
// header declares: Close fails when fewer were written.
type PatchWriter struct {
	h   PatchHeader
	w   *bufio.Writer
	n   int
	buf []byte
}

// NewPatchWriter writes h to w and returns a writer for its patches.
func NewPatchWriter(w io.Writer, h PatchHeader) (*PatchWriter, error) {
	if h.Count < 0 || h.Count > math.MaxUint32 || h.Patch <= 0 || h.Patch > MaxPatch || len(h.Bands) == 0 || len(h.Classes) == 0 || len(h.Classes) > 256 {
		return nil, fmt.Errorf("train: bad patch header: %d patches of %d px, %d bands, %d classes", h.Count, h.Patch, len(h.Bands), len(h.Classes))
	}
	names := strings.Join(h.Bands, ",") + "\n" + strings.Join(h.Classes, ",")
	bw := bufio.NewWriterSize(w, 1<<20)
	var hdr []byte
	hdr = append(hdr, PatchMagic...)
	for _, v := range []int{PatchVersion, h.Count, len(h.Bands), h.Patch, len(h.Classes), len(names)} {
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(v))
	}
	hdr = append(hdr, names...)
	if _, err := bw.Write(hdr); err != nil {
		return nil, fmt.Errorf("train: writing patch header: %w", err)
	}
	return &PatchWriter{h: h, w: bw}, nil
}

// Write appends one patch, checking its sizes and labels against the header.
func (pw *PatchWriter) Write(p Patch) error {
	px := pw.h.Patch * pw.h.Patch
	if pw.n >= pw.h.Count {
		return fmt.Errorf("train: patch %d beyond the %d the header declares", pw.n, pw.h.Count)
	}
	if len(p.Data) != len(pw.h.Bands)*px || len(p.Labels) != px {
		return fmt.Errorf("train: patch %d has %d values and %d labels, want %d and %d", pw.n, len(p.Data), len(p.Labels), len(pw.h.Bands)*px, px)
	}
	pw.buf = append(pw.buf[:0], p.Kind, 0, 0, 0)
	for _, v := range p.Data {
		pw.buf = binary.LittleEndian.AppendUint32(pw.buf, math.Float32bits(v))
	}
	for i, c := range p.Labels {
		if int(c) >= len(pw.h.Classes) {
			return fmt.Errorf("train: patch %d pixel %d has class %d of %d", pw.n, i, c, len(pw.h.Classes))
		}
	}
	pw.buf = append(pw.buf, p.Labels...)
	if _, err := pw.w.Write(pw.buf); err != nil {
		return fmt.Errorf("train: writing patch %d: %w", pw.n, err)
	}
	pw.n++
	return nil
}

// Close flushes the file; it fails when fewer patches were written than declared.
func (pw *PatchWriter) Close() error {
	if err := pw.w.Flush(); err != nil {
		return fmt.Errorf("train: flushing patches: %w", err)
	}
	if pw.n != pw.h.Count {
		return fmt.Errorf("train: wrote %d patches, the header declares %d", pw.n, pw.h.Count)
	}
	return nil
}

// ErrBadPatchFile is wrapped by every error ReadPatches returns for a malformed file.
var ErrBadPatchFile = errors.New("bad patch file")

// ReadPatchHeader reads and checks a patch file's header; the records follow in r.
func ReadPatchHeader(r io.Reader) (PatchHeader, error) {
	var fixed [8 + 6*4]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return PatchHeader{}, fmt.Errorf("train: %w: header: %v", ErrBadPatchFile, err)
	}
	if string(fixed[:8]) != PatchMagic {
		return PatchHeader{}, fmt.Errorf("train: %w: magic %q, want %q", ErrBadPatchFile, fixed[:8], PatchMagic)
	}
	u := func(k int) int { return int(binary.LittleEndian.Uint32(fixed[8+4*k:])) }
	if v := u(0); v != PatchVersion {
		return PatchHeader{}, fmt.Errorf("train: %w: version %d, want %d", ErrBadPatchFile, v, PatchVersion)
	}
	h := PatchHeader{Count: u(1), Patch: u(3)}
	bands, classes, nameLen := u(2), u(4), u(5)
	if h.Patch <= 0 || h.Patch > MaxPatch || bands <= 0 || bands > 64 || classes <= 0 || classes > 256 || nameLen > 4096 {
		return PatchHeader{}, fmt.Errorf("train: %w: %d px patches, %d bands, %d classes, %d bytes of names", ErrBadPatchFile, h.Patch, bands, classes, nameLen)
	}
	names := make([]byte, nameLen)
	if _, err := io.ReadFull(r, names); err != nil {
		return PatchHeader{}, fmt.Errorf("train: %w: names: %v", ErrBadPatchFile, err)
	}
	b, c, ok := strings.Cut(string(names), "\n")
	h.Bands, h.Classes = strings.Split(b, ","), strings.Split(c, ",")
	if !ok || len(h.Bands) != bands || len(h.Classes) != classes {
		return PatchHeader{}, fmt.Errorf("train: %w: names %q do not match %d bands and %d classes", ErrBadPatchFile, names, bands, classes)
	}
	return h, nil
}

// ReadPatch reads the next record of a file with header h.
func ReadPatch(r io.Reader, h PatchHeader) (Patch, error) {
	px := h.Patch * h.Patch
	buf := make([]byte, 4+4*len(h.Bands)*px+px)
	if _, err := io.ReadFull(r, buf); err != nil {
		return Patch{}, fmt.Errorf("train: %w: record: %v", ErrBadPatchFile, err)
	}
	p := Patch{Kind: buf[0], Data: make([]float32, len(h.Bands)*px)}
	for i := range p.Data {
		p.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4+4*i:]))
	}
	p.Labels = buf[4+4*len(p.Data):]
	for i, c := range p.Labels {
		if int(c) >= len(h.Classes) {
			return Patch{}, fmt.Errorf("train: %w: pixel %d has class %d of %d", ErrBadPatchFile, i, c, len(h.Classes))
		}
	}
	return p, nil
}
