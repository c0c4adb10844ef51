package scene_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/skysieve/skysieve/triage/scene"
)

// Open a small GeoTIFF crop of the Landsat 7 Olinda scene and locate its
// centre.
func ExampleOpen() {
	s, err := scene.Open("../../testdata/scenes/olinda_64.tif")
	if err != nil {
		log.Fatal(err)
	}
	lon, lat, err := s.Geo.PixelToLonLat(float64(s.Width)/2, float64(s.Height)/2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.ID, s.Width, s.Height, s.Bands, s.Geo.EPSG)
	fmt.Printf("centre %.3f %.3f\n", lon, lat)
	// Output:
	// olinda_64 64 64 [blue green red nir swir1 swir2] 32725
	// centre -34.855 -8.010
}

// Make a scene along a ground track, write it in the native format and
// read it back.
func ExampleWrite() {
	g, err := scene.UTMGeo(-34.85, -7.99, 30, 4, 2)
	if err != nil {
		log.Fatal(err)
	}
	s := &scene.Scene{ID: "demo", Satellite: "SKY-1", Width: 4, Height: 2, Geo: g, Bands: []string{"nir"},
		Data: [][]float32{{0.01, 0.02, 0.3, 0.31, 0.02, 0.02, 0.29, 0.3}}}
	var buf bytes.Buffer
	if err := scene.Write(&buf, s); err != nil {
		log.Fatal(err)
	}
	back, err := scene.Read(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.ID, back.Geo.EPSG, back.Data[0][2])
	// Output: demo 32725 0.3
}

// A tile's footprint is a closed, counter-clockwise WGS84 ring.
func ExampleFootprint() {
	g := scene.Geo{EPSG: 32725, OriginX: 288776.25, OriginY: 9120760.75, PixelSizeX: 28.5, PixelSizeY: 28.5}
	for _, p := range scene.Footprint(g, 0, 0, 64, 64) {
		fmt.Printf("[%.5f, %.5f]\n", p[0], p[1])
	}
	// Output:
	// [-34.91617, -7.94982]
	// [-34.91624, -7.96631]
	// [-34.89970, -7.96639]
	// [-34.89962, -7.94990]
	// [-34.91617, -7.94982]
}
