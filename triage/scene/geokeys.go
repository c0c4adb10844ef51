package scene

import (
	"fmt"
	"math"
)

// GeoKey ids (GeoTIFF 1.1, OGC 19-008r4) this package reads.
const (
	keyModelType       = 1024
	keyRasterType      = 1025
	keyGeographicType  = 2048
	keyGeogAngularUnit = 2054
	keyProjectedCSType = 3072
	keyProjLinearUnits = 3076
	modelTypeProjected = 1
	modelTypeGeograph  = 2
	rasterPixelIsPoint = 2
	unitMetre          = 9001
	unitDegree         = 9102
	epsgUserDefined    = 32767
)

// geoKeys reads the GeoKeyDirectory's SHORT-valued keys; keys stored in the
// double or ASCII parameter tags are skipped (none of those we need).
func (f *tiffFile) geoKeys() (map[uint16]uint16, error) {
	dir, ok, err := f.uints(tagGeoKeyDirectory)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: no GeoKeyDirectory tag (34735): not a GeoTIFF", ErrCRS)
	}
	if len(dir) < 4 {
		return nil, fmt.Errorf("%w: GeoKeyDirectory has %d values, want at least 4", ErrCorrupt, len(dir))
	}
	if dir[0] != 1 {
		return nil, fmt.Errorf("%w: GeoKeyDirectory version %d (want 1)", ErrUnsupported, dir[0])
	}
	n := dir[3]
	if n > uint64(len(dir)-4)/4 {
		return nil, fmt.Errorf("%w: GeoKeyDirectory claims %d keys but holds %d", ErrCorrupt, n, (len(dir)-4)/4)
	}
	keys := make(map[uint16]uint16, n)
	for i := uint64(0); i < n; i++ {
		k := dir[4+4*i : 8+4*i]
		if k[1] == 0 && k[2] == 1 {
			keys[uint16(k[0])] = uint16(k[3])
		}
	}
	return keys, nil
}

// utmAliases maps projected CRSs whose datum coincides with WGS84 within a
// pixel to the WGS84 UTM zone: SIRGAS 2000 (centimetres: both realise
// ITRF), ETRS89 and NAD83 (within about a metre or two of WGS84 today).
// Their ellipsoid, GRS80, differs from WGS84's by 0.1 mm in the semi-minor
// axis, which is negligible here.
func utmAliasEPSG(code int) (int, bool) {
	switch {
	case code >= 31965 && code <= 31976: // SIRGAS 2000 / UTM 11N..22N
		return UTMEPSG(code-31965+11, true), true
	case code >= 31977 && code <= 31985: // SIRGAS 2000 / UTM 17S..25S
		return UTMEPSG(code-31977+17, false), true
	case code >= 25828 && code <= 25838: // ETRS89 / UTM 28N..38N
		return UTMEPSG(code-25800, true), true
	case code >= 26901 && code <= 26923: // NAD83 / UTM 1N..23N
		return UTMEPSG(code-26900, true), true
	case code > 32600 && code <= 32660, code > 32700 && code <= 32760:
		return code, true
	}
	return 0, false
}

// geographicAlias maps geographic CRSs that coincide with WGS84 within a
// pixel (WGS84, NAD83, ETRS89, SIRGAS 2000) to 4326.
func geographicAlias(code int) bool {
	switch code {
	case 4326, 4269, 4258, 4674:
		return true
	}
	return false
}

// geo builds the scene's georeference from the GeoKeys and the tiepoint
// and pixel-scale (or a north-up ModelTransformation) tags.
func (f *tiffFile) geo() (Geo, error) {
	keys, err := f.geoKeys()
	if err != nil {
		return Geo{}, err
	}
	var g Geo
	switch mt := keys[keyModelType]; mt {
	case modelTypeProjected:
		code := int(keys[keyProjectedCSType])
		epsg, ok := utmAliasEPSG(code)
		if !ok {
			return Geo{}, fmt.Errorf("%w: projected CRS EPSG %d (this reader knows WGS84, SIRGAS 2000, ETRS89 and NAD83 UTM zones)", ErrUnsupported, code)
		}
		if u, ok := keys[keyProjLinearUnits]; ok && u != unitMetre {
			return Geo{}, fmt.Errorf("%w: projected linear unit %d (want metre, 9001)", ErrUnsupported, u)
		}
		g.EPSG = epsg
	case modelTypeGeograph:
		code := int(keys[keyGeographicType])
		if !geographicAlias(code) {
			return Geo{}, fmt.Errorf("%w: geographic CRS EPSG %d (this reader knows 4326 and datums within a metre of it)", ErrUnsupported, code)
		}
		if u, ok := keys[keyGeogAngularUnit]; ok && u != unitDegree {
			return Geo{}, fmt.Errorf("%w: angular unit %d (want degree, 9102)", ErrUnsupported, u)
		}
		g.EPSG = EPSGWGS84
	default:
		return Geo{}, fmt.Errorf("%w: GTModelTypeGeoKey %d (want 1 projected or 2 geographic)", ErrUnsupported, mt)
	}
	if err := f.affine(&g); err != nil {
		return Geo{}, err
	}
	if keys[keyRasterType] == rasterPixelIsPoint {
		// The tiepoint names a pixel centre; Geo's origin is a corner.
		g.OriginX -= g.PixelSizeX / 2
		g.OriginY += g.PixelSizeY / 2
	}
	if err := g.Validate(); err != nil {
		return Geo{}, err
	}
	return g, nil
}

// affine fills the origin and pixel size from ModelTiepoint + ModelPixelScale
// or, failing those, a ModelTransformation without rotation.
func (f *tiffFile) affine(g *Geo) error {
	tie, hasTie, err := f.doubles(tagModelTiepoint)
	if err != nil {
		return err
	}
	scale, hasScale, err := f.doubles(tagModelPixelScale)
	if err != nil {
		return err
	}
	if hasTie && hasScale {
		if len(tie) < 6 || len(scale) < 2 {
			return fmt.Errorf("%w: ModelTiepoint has %d values and ModelPixelScale %d (want ≥6 and ≥2)", ErrCorrupt, len(tie), len(scale))
		}
		if !(scale[0] > 0) || !(scale[1] > 0) || math.IsInf(scale[0], 0) || math.IsInf(scale[1], 0) {
			return fmt.Errorf("%w: pixel scale %g × %g (want positive: north-up images only)", ErrUnsupported, scale[0], scale[1])
		}
		g.PixelSizeX, g.PixelSizeY = scale[0], scale[1]
		g.OriginX = tie[3] - tie[0]*scale[0]
		g.OriginY = tie[4] + tie[1]*scale[1]
		return nil
	}
	m, ok, err := f.doubles(tagModelTransform)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: neither ModelTiepoint+ModelPixelScale nor ModelTransformation present", ErrCRS)
	}
	if len(m) != 16 {
		return fmt.Errorf("%w: ModelTransformation has %d values (want 16)", ErrCorrupt, len(m))
	}
	if m[1] != 0 || m[4] != 0 || !(m[0] > 0) || !(m[5] < 0) {
		return fmt.Errorf("%w: ModelTransformation is rotated or not north-up", ErrUnsupported)
	}
	g.PixelSizeX, g.PixelSizeY = m[0], -m[5]
	g.OriginX, g.OriginY = m[3], m[7]
	return nil
}
