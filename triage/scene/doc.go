// Package scene holds a multi-band Earth-observation image in memory with
// its capture time, satellite and georeference, reads it from real
// GeoTIFFs and from Skysieve's own scene format, and locates its pixels on
// the WGS84 ellipsoid.
//
// # Model
//
// A Scene is Width×Height pixels with one float32 plane per band, holding
// top-of-atmosphere reflectance (0..1, slightly above 1 for bright cloud).
// The default bands are DefaultBands: blue, green, red, NIR, SWIR-1 and
// SWIR-2, the six Landsat 7/8/9 and Sentinel-2 share. A Geo is a north-up
// affine georeference in WGS84 lon/lat (EPSG 4326) or WGS84 UTM (326zz
// north, 327zz south); pixel (col, row)'s upper-left corner is at
// (OriginX + col·PixelSizeX, OriginY − row·PixelSizeY).
//
// Open sniffs a file and reads either format. Write, WriteFile (atomic:
// temporary file, sync, rename, as the camera hands scenes to flight's
// spool) and Read handle the native format; ReadGeoTIFF reads GeoTIFFs
// from any io.ReaderAt.
//
// Geolocation: Geo.PixelToLonLat and Geo.LonLatToPixel convert between image
// positions and WGS84 degrees with the Krüger series for the transverse
// Mercator (Karney 2011, sub-millimetre within a zone). Footprint gives a
// pixel window's closed [lon, lat] ring in GeoJSON order. UTMGeo builds a
// Geo centred on a lon/lat (the simulator's ground track). Tiles cuts a
// scene into equal tiles with their footprints. RequireBands checks a scene
// against a model's band list and names any difference.
//
// # GeoTIFF
//
// The reader takes the first image of a classic TIFF (either byte order)
// or a BigTIFF: 8- or 16-bit unsigned samples, chunky or planar, strips or
// tiles, no compression, deflate (8 or 32946) or LZW (5), optionally with
// the horizontal predictor (2). The georeference comes from
// ModelTiepoint + ModelPixelScale (or a north-up ModelTransformation) and
// the GeoKeyDirectory: a projected WGS84 UTM CRS, or one whose datum agrees
// with WGS84 to within a pixel and is read as WGS84 (SIRGAS 2000 UTM, e.g.
// EPSG 31985 for L7_ETMs.tif's zone 25S, which coincides with WGS84 to
// centimetres; ETRS89 and NAD83 UTM to a metre or two), or geographic 4326
// (and NAD83, ETRS89, SIRGAS 2000 lon/lat). PixelIsPoint rasters are
// shifted half a pixel so the origin is always a corner.
//
// Digital numbers become reflectance through a Calibration: by default
// value/10,000 for uint16 files, and for six-band uint8 files the Landsat 7
// ETM+ calibration DefaultETMPlus (bands 1–5 and 7; see its comment for the
// assumptions). Other uint8 files need WithCalibration.
//
// Every size, count and offset in a file is checked against the file length
// and a sample cap (WithMaxSamples, default DefaultMaxSamples) before
// anything is allocated, and each strip or tile must be able to decode to
// its size (deflate expands at most 1032:1, LZW 2560:1). A tile side may
// not pass its image's side (rounded up to 16) by more than 1024 pixels.
// Both readers work to a memory budget (WithMaxBytes, default
// DefaultMaxBytes): the cost of the whole read, float32 planes plus every
// buffer, offset table and decoder, is computed from the header and
// checked before the first large allocation, so a decompression bomb (a
// half-megabyte file claiming a 16384×16384 image) is refused with
// ErrTooLarge naming its cost and the budget, having allocated nothing
// much. Compressed bytes past the most a chunk's decoded size can take are
// never read, and a metadata tag may hold at most 2^18 values. WithRequiredBands checks a model's band contract against
// the header, before decoding. A truncated, lying or unsupported file
// fails with an error wrapping ErrCorrupt, ErrTooLarge, ErrUnsupported,
// ErrBands, ErrCRS or ErrFormat and naming the problem, never a panic.
// Package scenetest builds such bombs for tests.
//
// # Native scene format, version 1
//
// All integers are little-endian; floats are IEEE-754 binary64. CRC32C is
// the Castagnoli CRC-32 (hash/crc32.Castagnoli).
//
//	offset  size  field
//	0       8     magic "SKYSCENE"
//	8       2     version, 1
//	10      2     flags, 0 (reserved; readers reject other values)
//	12      4     H, length of the header body that follows (54..65536)
//	16      H     header body:
//	  +0    4       width in pixels (1..2^20)
//	  +4    4       height in pixels (1..2^20)
//	  +8    2       band count B (1..64)
//	  +10   8       capture time, int64 nanoseconds since 1970-01-01 UTC
//	                (the zero time.Time is stored as -2^63)
//	  +18   4       EPSG code (int32): 4326, 326zz or 327zz
//	  +22   8       OriginX  (map units: metres or degrees)
//	  +30   8       OriginY
//	  +38   8       PixelSizeX (> 0)
//	  +46   8       PixelSizeY (> 0; rows go south)
//	  +54   2+n     satellite id: uint16 length n (≤ 256), then n bytes
//	  ...   2+n     scene id: uint16 length n (≤ 256), then n bytes
//	  ...   B×(1+n) band names in plane order: uint8 length n (1..64), then
//	                n bytes; names are unique
//	16+H    4     CRC32C of bytes 0 .. 16+H-1 (prefix and header body)
//	then, for each band in order:
//	        2·W·H   the plane, row-major from the north-west corner, uint16
//	                samples = round(reflectance × 10,000) clamped to
//	                0..65535
//	        4       CRC32C of the plane's 2·W·H bytes
//
// The body must be exactly H bytes (no slack), and the file ends after the
// last plane's CRC (bytes after it are not read). Read checks each CRC as
// it arrives and reads planes in 1 MiB steps, so a stream that lies about
// its size runs out before it can make the reader allocate much.
package scene
