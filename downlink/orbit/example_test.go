package orbit_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/skysieve/skysieve/downlink/orbit"
)

// Parse a TLE, propagate it, and find the ground track and the view from
// a station.
func ExampleNewPropagator() {
	tles, err := orbit.ParseTLEs(strings.NewReader(`SENTINEL-2A
1 40697U 15028A   26324.50000000  .00000102  00000+0  45000-4 0  9999
2 40697  98.5683  33.6012 0001071  93.8760 266.2574 14.30818254 58319
`))
	if err != nil {
		panic(err)
	}
	p, err := orbit.NewPropagator(tles[0])
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 11, 21, 10, 19, 0, 0, time.UTC)
	teme, _ := p.Propagate(at)
	fmt.Printf("TEME radius %.0f km, speed %.2f km/s\n", teme.PositionKm.Norm(), teme.VelocityKmPerS.Norm())
	sub, _ := p.SubPoint(at)
	fmt.Printf("sub-satellite point %.2f°N %.2f°E at %.0f km\n", sub.LatDeg, sub.LonDeg, sub.AltKm)
	kiruna := orbit.NewSite(orbit.Geodetic{LatDeg: 67.8571, LonDeg: 20.9643, AltKm: 0.4})
	ecef := orbit.TEMEToECEF(teme, at)
	look := kiruna.LookAt(ecef)
	fmt.Printf("from Kiruna: azimuth %.1f°, elevation %.1f°, range %.0f km\n", look.AzimuthDeg, look.ElevationDeg, look.RangeKm)
	// Output:
	// TEME radius 7160 km, speed 7.46 km/s
	// sub-satellite point 71.04°N 25.19°E at 800 km
	// from Kiruna: azimuth 23.1°, elevation 60.8°, range 901 km
}
