package contact_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/downlink/orbit"
)

const sentinel2A = `SENTINEL-2A
1 40697U 15028A   26324.50000000  .00000102  00000+0  45000-4 0  9999
2 40697  98.5683  33.6012 0001071  93.8760 266.2574 14.30818254 58319
`

// Compute the passes of one satellite over one station, then ask a pass
// about its link.
func ExampleCompute() {
	sats, err := orbit.ParseTLEs(strings.NewReader(sentinel2A))
	if err != nil {
		panic(err)
	}
	kiruna := contact.Station{Name: "Kiruna", LatDeg: 67.8571, LonDeg: 20.9643, AltM: 400,
		MaskDeg: 5, Link: contact.DefaultLinkModel()}
	from := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	cs, err := contact.Compute(sats, []contact.Station{kiruna}, from, from.Add(6*time.Hour), contact.Options{})
	if err != nil {
		panic(err)
	}
	for _, c := range cs {
		fmt.Printf("%s over %s: AOS %s, %2.0f min, max elevation %4.1f°, %5.1f GB\n",
			c.Satellite, c.Station, c.AOS.Format("15:04"), c.Duration().Minutes(),
			c.MaxElevationDeg, float64(c.CapacityBytes)/1e9)
	}
	c := cs[0]
	fmt.Printf("first pass at TCA: %.0f Mbit/s, %.1f%% frame loss; last clipped: %v\n",
		c.RateBitsPerSecAt(c.TCA)/1e6, 100*c.ExpectedLossAt(c.TCA), cs[len(cs)-1].EndsInProgress)
	// Output:
	// SENTINEL-2A over Kiruna: AOS 06:54,  8 min, max elevation 10.8°,   9.5 GB
	// SENTINEL-2A over Kiruna: AOS 08:34, 12 min, max elevation 32.0°,  20.7 GB
	// SENTINEL-2A over Kiruna: AOS 10:13, 13 min, max elevation 89.2°,  26.3 GB
	// SENTINEL-2A over Kiruna: AOS 11:53,  7 min, max elevation 37.4°,  13.1 GB
	// first pass at TCA: 178 Mbit/s, 3.7% frame loss; last clipped: true
}

// A plan written by the ground is loaded by flight without any orbit.
func ExampleWritePlan() {
	sats, _ := orbit.ParseTLEs(strings.NewReader(sentinel2A))
	svalbard := contact.Station{Name: "Svalbard", LatDeg: 78.2298, LonDeg: 15.4078, AltM: 480,
		MaskDeg: 5, Link: contact.DefaultLinkModel()}
	from := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	cs, _ := contact.Compute(sats, []contact.Station{svalbard}, from, from.Add(3*time.Hour), contact.Options{})

	var plan bytes.Buffer
	if err := contact.WritePlan(&plan, cs); err != nil {
		panic(err)
	}
	loaded, err := contact.ReadPlan(&plan)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(loaded) == len(cs), loaded[0].CapacityBytes == cs[0].CapacityBytes)
	// Output: true true
}
