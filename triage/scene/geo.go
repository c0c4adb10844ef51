package scene

import (
	"fmt"
	"math"
)

// EPSGWGS84 is the EPSG code of WGS84 longitude/latitude in degrees.
const EPSGWGS84 = 4326

// UTMEPSG returns the EPSG code of WGS84 / UTM zone (1..60) north or south:
// 326zz or 327zz.
func UTMEPSG(zone int, north bool) int {
	if north {
		return 32600 + zone
	}
	return 32700 + zone
}

// UTMZone returns the standard UTM zone (1..60) and hemisphere of a WGS84
// point. It uses plain 6° zones and ignores the Norway and Svalbard
// exceptions, which only matter for maps, not for a scene's own projection.
func UTMZone(lonDeg, latDeg float64) (zone int, north bool) {
	zone = int(math.Floor((normLonDeg(lonDeg)+180)/6)) + 1
	if zone > 60 {
		zone = 60
	}
	return zone, latDeg >= 0
}

// utm reports whether the Geo is in WGS84 UTM and which zone.
func (g Geo) utm() (zone int, north, ok bool) {
	switch {
	case g.EPSG > 32600 && g.EPSG <= 32660:
		return g.EPSG - 32600, true, true
	case g.EPSG > 32700 && g.EPSG <= 32760:
		return g.EPSG - 32700, false, true
	}
	return 0, false, false
}

// Validate reports whether g is a georeference this package can use: EPSG
// 4326 or 326zz/327zz, finite origin, positive finite pixel sizes.
func (g Geo) Validate() error {
	if _, _, ok := g.utm(); !ok && g.EPSG != EPSGWGS84 {
		return fmt.Errorf("%w: EPSG %d (want 4326, 326zz or 327zz)", ErrCRS, g.EPSG)
	}
	for _, v := range []struct {
		name string
		val  float64
		pos  bool
	}{
		{"OriginX", g.OriginX, false}, {"OriginY", g.OriginY, false},
		{"PixelSizeX", g.PixelSizeX, true}, {"PixelSizeY", g.PixelSizeY, true},
	} {
		if math.IsNaN(v.val) || math.IsInf(v.val, 0) || (v.pos && v.val <= 0) {
			return fmt.Errorf("%w: %s is %v", ErrCRS, v.name, v.val)
		}
	}
	return nil
}

// PixelToMap returns the map coordinate (metres for UTM, degrees for 4326)
// of image position (col, row); integer positions are pixel corners, +0.5
// is a pixel centre.
func (g Geo) PixelToMap(col, row float64) (x, y float64) {
	return g.OriginX + col*g.PixelSizeX, g.OriginY - row*g.PixelSizeY
}

// MapToPixel is the inverse of PixelToMap.
func (g Geo) MapToPixel(x, y float64) (col, row float64) {
	return (x - g.OriginX) / g.PixelSizeX, (g.OriginY - y) / g.PixelSizeY
}

// PixelToLonLat returns the WGS84 longitude and latitude (degrees) of image
// position (col, row): integer positions are pixel corners, +0.5 is a pixel
// centre. For UTM it uses the Krüger series (error well under a millimetre
// within a zone). It fails with ErrCRS for an unusable Geo.
func (g Geo) PixelToLonLat(col, row float64) (lonDeg, latDeg float64, err error) {
	if err := g.Validate(); err != nil {
		return 0, 0, err
	}
	x, y := g.PixelToMap(col, row)
	if g.EPSG == EPSGWGS84 {
		return x, y, nil
	}
	zone, north, _ := g.utm()
	lonDeg, latDeg = utmToLonLat(zone, north, x, y)
	if math.IsNaN(lonDeg) || math.IsNaN(latDeg) {
		return 0, 0, fmt.Errorf("%w: pixel (%g, %g) maps to no point", ErrOutOfRange, col, row)
	}
	return lonDeg, latDeg, nil
}

// LonLatToPixel returns the image position (col, row) of a WGS84 point,
// the inverse of PixelToLonLat. The position may lie outside the image;
// callers check bounds. For UTM, points more than 30° of longitude from the
// zone's central meridian fail with ErrOutOfRange (the projection is
// meaningless there).
func (g Geo) LonLatToPixel(lonDeg, latDeg float64) (col, row float64, err error) {
	if err := g.Validate(); err != nil {
		return 0, 0, err
	}
	if math.IsNaN(lonDeg) || math.IsNaN(latDeg) || math.Abs(latDeg) > 90 {
		return 0, 0, fmt.Errorf("%w: lon %g lat %g", ErrOutOfRange, lonDeg, latDeg)
	}
	if g.EPSG == EPSGWGS84 {
		col, row = g.MapToPixel(lonDeg, latDeg)
		return col, row, nil
	}
	zone, north, _ := g.utm()
	if math.Abs(normLonDeg(lonDeg-utmCentralMeridianDeg(zone))) > 30 {
		return 0, 0, fmt.Errorf("%w: lon %g is too far from UTM zone %d", ErrOutOfRange, lonDeg, zone)
	}
	x, y := lonLatToUTM(zone, north, lonDeg, latDeg)
	col, row = g.MapToPixel(x, y)
	return col, row, nil
}

// Footprint returns the WGS84 outline of the pixel window with upper-left
// pixel (col0, row0) and size w×h pixels: a closed ring of [lon, lat] pairs
// in RFC 7946 order (counter-clockwise: upper-left, lower-left, lower-right,
// upper-right, upper-left again), ready for GeoJSON and record.Detection.
// Each edge is densified with a point every 64 pixels so long edges follow
// the projection. It returns nil if g is unusable or w or h is not
// positive.
func Footprint(g Geo, col0, row0, w, h int) [][2]float64 {
	if w <= 0 || h <= 0 || g.Validate() != nil {
		return nil
	}
	c0, r0 := float64(col0), float64(row0)
	c1, r1 := float64(col0+w), float64(row0+h)
	corners := [][2]float64{{c0, r0}, {c0, r1}, {c1, r1}, {c1, r0}, {c0, r0}}
	ring := make([][2]float64, 0, 5)
	for i := 0; i+1 < len(corners); i++ {
		a, b := corners[i], corners[i+1]
		lenPx := math.Max(math.Abs(b[0]-a[0]), math.Abs(b[1]-a[1]))
		steps := int(math.Ceil(lenPx / 64))
		for s := 0; s < steps; s++ {
			f := float64(s) / float64(steps)
			lon, lat, err := g.PixelToLonLat(a[0]+f*(b[0]-a[0]), a[1]+f*(b[1]-a[1]))
			if err != nil {
				return nil
			}
			ring = append(ring, [2]float64{lon, lat})
		}
	}
	return append(ring, ring[0])
}

// UTMGeo builds a north-up WGS84 UTM georeference for a width×height image
// with square pixels of pixelSizeM metres whose centre lies at the given
// WGS84 point, in that point's standard UTM zone. The simulator uses it to
// lay scenes along a ground track.
func UTMGeo(lonDeg, latDeg, pixelSizeM float64, width, height int) (Geo, error) {
	if !(pixelSizeM > 0) || math.IsInf(pixelSizeM, 0) || width <= 0 || height <= 0 {
		return Geo{}, fmt.Errorf("%w: pixel size %g m, %dx%d pixels", ErrCRS, pixelSizeM, width, height)
	}
	if math.IsNaN(lonDeg) || math.IsInf(lonDeg, 0) || !(math.Abs(latDeg) <= 84) {
		return Geo{}, fmt.Errorf("%w: centre lon %g lat %g outside UTM (|lat| ≤ 84°)", ErrOutOfRange, lonDeg, latDeg)
	}
	zone, north := UTMZone(lonDeg, latDeg)
	x, y := lonLatToUTM(zone, north, lonDeg, latDeg)
	return Geo{
		EPSG:       UTMEPSG(zone, north),
		OriginX:    x - float64(width)/2*pixelSizeM,
		OriginY:    y + float64(height)/2*pixelSizeM,
		PixelSizeX: pixelSizeM,
		PixelSizeY: pixelSizeM,
	}, nil
}
