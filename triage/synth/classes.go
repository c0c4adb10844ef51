package synth

// Per-pixel classes of the segmentation model contract (v2), in the output
// channel order of the default model. The names are the contract's.
const (
	ClassOther uint8 = iota
	ClassCloudThick
	ClassCloudThin
	ClassShadow
	ClassWater
	ClassFire
	ClassHull
	// NumClasses counts the per-pixel classes.
	NumClasses
)

// ClassNames names the per-pixel classes, indexed by class.
var ClassNames = []string{"other", "cloud_thick", "cloud_thin", "shadow", "water", "fire", "hull"}

// Thresholds that turn per-pixel truth into classes (contract v2).
const (
	// ThinCloud is the cloud opacity from which a pixel is thin cloud
	// (up to OpaqueCloud, from which it is thick cloud).
	ThinCloud = 0.1
	// ShadowMin is the opacity of the sun-ward cloud from which a pixel
	// counts as cloud shadow.
	ShadowMin = 0.5
	// HullMin is the hull cover from which a pixel is hull.
	HullMin = 0.5
)

// PixelClass returns the class of pixel i by the contract's precedence:
// cloud_thick > fire > hull > cloud_thin > shadow > water > other. A fire or
// hull under thin cloud keeps its class, so a model learns to see through
// thin cloud; shadow counts only on pixels that are not themselves cloud.
func (t *Truth) PixelClass(i int) uint8 {
	c := t.Cloud[i]
	switch {
	case c >= OpaqueCloud:
		return ClassCloudThick
	case t.Fire[i]:
		return ClassFire
	case t.VesselCover[i] >= HullMin:
		return ClassHull
	case c >= ThinCloud:
		return ClassCloudThin
	case t.Shadow != nil && t.Shadow[i] >= ShadowMin:
		return ClassShadow
	case t.Water[i]:
		return ClassWater
	}
	return ClassOther
}

// PixelClasses returns every pixel's class, row-major (Width×Height).
func (t *Truth) PixelClasses() []uint8 {
	out := make([]uint8, t.Width*t.Height)
	for i := range out {
		out[i] = t.PixelClass(i)
	}
	return out
}
