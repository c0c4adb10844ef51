// Package scene holds a multi-band Earth-observation image in memory with
// its capture time, satellite and georeference, and reads it from real
// GeoTIFFs and from Skysieve's own scene format.
package scene

import "time"

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
