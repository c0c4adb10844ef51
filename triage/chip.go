package triage

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"

	"github.com/skysieve/skysieve/triage/scene"
)

// ChipQualities are the JPEG qualities tried, best first, before a chip is
// shrunk to fit its byte budget.
var ChipQualities = []int{90, 75, 60, 45, 30, 20}

// MinChipBudgetBytes is the smallest budget a chip can always meet: a
// baseline JPEG's tables alone take about 600 bytes.
const MinChipBudgetBytes = 1024

// Chip renders the size×size window at (x0, y0) of s as a true-colour JPEG
// quicklook (red, green, blue bands; the first three bands if the scene has
// no band named so) no larger than budgetBytes. It steps the JPEG quality
// down, then halves the image, until the chip fits.
func Chip(s *scene.Scene, bands []string, x0, y0, size, budgetBytes int) ([]byte, error) {
	if budgetBytes < MinChipBudgetBytes {
		return nil, fmt.Errorf("triage: chip budget %d bytes is below the minimum %d", budgetBytes, MinChipBudgetBytes)
	}
	rgb := [3]int{0, 1, 2}
	for i, name := range []string{scene.BandRed, scene.BandGreen, scene.BandBlue} {
		for j, b := range s.Bands {
			if b == name {
				rgb[i] = j
			}
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			o := img.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				img.Pix[o+c] = stretch(s.Data[min(rgb[c], len(s.Data)-1)][(y0+y)*s.Width+x0+x])
			}
			img.Pix[o+3] = 255
		}
	}
	var buf bytes.Buffer
	for cur := image.Image(img); cur.Bounds().Dx() >= 4; cur = halve(cur) {
		for _, q := range ChipQualities {
			buf.Reset()
			if err := jpeg.Encode(&buf, cur, &jpeg.Options{Quality: q}); err != nil {
				return nil, fmt.Errorf("triage: encode chip: %w", err)
			}
			if buf.Len() <= budgetBytes {
				return bytes.Clone(buf.Bytes()), nil
			}
		}
	}
	return nil, fmt.Errorf("triage: chip of %d×%d pixels does not fit %d bytes", size, size, budgetBytes)
}

// stretch maps TOA reflectance to 8-bit display brightness: 0.3 and above
// is white, with a square-root curve to lift dark land and water.
func stretch(v float32) uint8 {
	if !(v > 0) {
		return 0
	}
	f := math.Sqrt(float64(v) / 0.3)
	if f >= 1 {
		return 255
	}
	return uint8(f*255 + 0.5)
}

// halve box-filters an image to half its size.
func halve(src image.Image) image.Image {
	b := src.Bounds()
	w, h := b.Dx()/2, b.Dy()/2
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var sum [3]uint32
			for dy := 0; dy < 2; dy++ {
				for dx := 0; dx < 2; dx++ {
					r, g, bl, _ := src.At(b.Min.X+2*x+dx, b.Min.Y+2*y+dy).RGBA()
					sum[0] += r >> 8
					sum[1] += g >> 8
					sum[2] += bl >> 8
				}
			}
			o := dst.PixOffset(x, y)
			dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = uint8(sum[0]/4), uint8(sum[1]/4), uint8(sum[2]/4), 255
		}
	}
	return dst
}
