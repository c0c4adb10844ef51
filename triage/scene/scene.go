package scene

import (
	"fmt"
	"time"
)

// Standard band names: the six bands Landsat 7/8/9 and Sentinel-2 share.
const (
	BandBlue  = "blue"
	BandGreen = "green"
	BandRed   = "red"
	BandNIR   = "nir"
	BandSWIR1 = "swir1" // ~1.6 µm
	BandSWIR2 = "swir2" // ~2.2 µm
)

// DefaultBands is the default band set in order.
var DefaultBands = []string{BandBlue, BandGreen, BandRed, BandNIR, BandSWIR1, BandSWIR2}

// Scene is a multi-band image. Data holds one plane per band, row-major,
// Width×Height values each, as top-of-atmosphere reflectance (0..1, may
// slightly exceed 1 for bright targets).
type Scene struct {
	ID          string
	Satellite   string
	CaptureTime time.Time
	Width       int
	Height      int
	Bands       []string
	Data        [][]float32
	Geo         Geo
}

// Geo is an affine georeference: the map coordinate of pixel (col, row)'s
// upper-left corner is (OriginX + col*PixelSizeX, OriginY - row*PixelSizeY)
// in the CRS named by EPSG (4326 for lon/lat degrees, 326zz/327zz for WGS84
// UTM zone zz north/south, metres).
type Geo struct {
	EPSG       int
	OriginX    float64
	OriginY    float64
	PixelSizeX float64
	PixelSizeY float64
}

// Limits on a Scene's metadata, enforced by Validate and by the readers.
const (
	MaxBands       = 64  // bands per scene
	MaxNameBytes   = 64  // bytes per band name
	MaxIDBytes     = 256 // bytes of Scene.ID and of Scene.Satellite
	MaxSideSamples = 1 << 20
)

// Plane returns the named band's plane, or nil if there is no such band.
func (s *Scene) Plane(name string) []float32 {
	for i, b := range s.Bands {
		if b == name && i < len(s.Data) {
			return s.Data[i]
		}
	}
	return nil
}

// Validate reports whether s is self-consistent: positive sizes within
// MaxSideSamples, 1..MaxBands uniquely named bands, one Width×Height plane
// per band, IDs within MaxIDBytes, a zero capture time or one in the years
// 1700..2200, and a usable Geo. It does not look at the
// sample values.
func (s *Scene) Validate() error {
	if s == nil {
		return fmt.Errorf("%w: nil scene", ErrInvalidScene)
	}
	if s.Width <= 0 || s.Height <= 0 || s.Width > MaxSideSamples || s.Height > MaxSideSamples {
		return fmt.Errorf("%w: size %dx%d", ErrInvalidScene, s.Width, s.Height)
	}
	if len(s.Bands) == 0 || len(s.Bands) > MaxBands {
		return fmt.Errorf("%w: %d bands (want 1..%d)", ErrInvalidScene, len(s.Bands), MaxBands)
	}
	if len(s.Data) != len(s.Bands) {
		return fmt.Errorf("%w: %d bands but %d planes", ErrInvalidScene, len(s.Bands), len(s.Data))
	}
	seen := make(map[string]bool, len(s.Bands))
	for i, b := range s.Bands {
		if b == "" || len(b) > MaxNameBytes {
			return fmt.Errorf("%w: band %d name %q (want 1..%d bytes)", ErrInvalidScene, i, b, MaxNameBytes)
		}
		if seen[b] {
			return fmt.Errorf("%w: band %q appears twice", ErrInvalidScene, b)
		}
		seen[b] = true
		if len(s.Data[i]) != s.Width*s.Height {
			return fmt.Errorf("%w: band %q has %d samples, want %dx%d", ErrInvalidScene, b, len(s.Data[i]), s.Width, s.Height)
		}
	}
	if y := s.CaptureTime.Year(); !s.CaptureTime.IsZero() && (y < 1700 || y > 2200) {
		// The native format stores int64 nanoseconds since 1970.
		return fmt.Errorf("%w: capture time %v outside 1700..2200", ErrInvalidScene, s.CaptureTime)
	}
	if len(s.ID) > MaxIDBytes || len(s.Satellite) > MaxIDBytes {
		return fmt.Errorf("%w: ID or Satellite longer than %d bytes", ErrInvalidScene, MaxIDBytes)
	}
	if err := s.Geo.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidScene, err)
	}
	return nil
}
