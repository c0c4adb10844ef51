package feed

import (
	"encoding/json"
	"encoding/xml"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
)

func testDetection(class string) *record.Detection {
	return &record.Detection{
		ID:         "00112233445566778899aabbccddeeff",
		Class:      class,
		Confidence: 0.91,
		Priority:   0.8,
		// Clockwise on purpose: lon grows east, lat north.
		Footprint:   [][2]float64{{10, 45}, {10, 46}, {11, 46}, {11, 45}, {10, 45}},
		CaptureTime: time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC),
		Satellite:   "SKY-1",
		SceneID:     "scene-1",
		TileRow:     3,
		TileCol:     4,
		ChipFormat:  "png",
		ChipBytes:   100,
	}
}

var testDelivery = Delivery{
	Station:      "svalbard",
	Pass:         "SKY-1/2026-08-01T10:05:00Z",
	DownlinkTime: time.Date(2026, 8, 1, 10, 6, 0, 0, time.UTC),
	PublishTime:  time.Date(2026, 8, 1, 10, 6, 1, 0, time.UTC),
	ChipBucket:   "CHIPS",
	ChipName:     "00112233445566778899aabbccddeeff",
}

func TestGeoJSONFeature(t *testing.T) {
	b, err := GeoJSON(testDetection("vessel"), testDelivery)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Type     string
		ID       string
		BBox     []float64
		Geometry struct {
			Type        string
			Coordinates [][][]float64
		}
		Properties map[string]any
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.Type != "Feature" || f.Geometry.Type != "Polygon" || len(f.Geometry.Coordinates) != 1 {
		t.Fatalf("not a Polygon Feature: %s", b)
	}
	ring := f.Geometry.Coordinates[0]
	if ring[0][0] != ring[len(ring)-1][0] || ring[0][1] != ring[len(ring)-1][1] {
		t.Fatalf("ring not closed: %v", ring)
	}
	for _, p := range ring {
		if len(p) != 2 || p[0] < 10 || p[0] > 11 || p[1] < 45 || p[1] > 46 {
			t.Fatalf("position %v is not [lon, lat]", p)
		}
	}
	r := make([][2]float64, len(ring))
	for i, p := range ring {
		r[i] = [2]float64{p[0], p[1]}
	}
	if signedArea2(r) <= 0 {
		t.Fatalf("exterior ring is not counter-clockwise: %v", ring)
	}
	if want := []float64{10, 45, 11, 46}; len(f.BBox) != 4 || f.BBox[0] != want[0] || f.BBox[3] != want[3] {
		t.Fatalf("bbox %v, want %v", f.BBox, want)
	}
	for _, k := range []string{"class", "confidence", "priority", "capture_time", "downlink_time", "publish_time", "satellite", "station", "pass", "chip"} {
		if _, ok := f.Properties[k]; !ok {
			t.Errorf("property %q missing", k)
		}
	}
	chip := f.Properties["chip"].(map[string]any)
	if chip["bucket"] != "CHIPS" || chip["name"] != testDelivery.ChipName {
		t.Errorf("chip ref %v", chip)
	}
}

func TestCounterClockwiseProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		n := 3 + rng.IntN(10)
		ring := make([][2]float64, 0, n+1)
		for j := 0; j < n; j++ {
			ring = append(ring, [2]float64{rng.Float64()*360 - 180, rng.Float64()*180 - 90})
		}
		ring = append(ring, ring[0])
		got := counterClockwise(ring)
		if signedArea2(got) < 0 {
			t.Fatalf("ring %v stays clockwise", ring)
		}
		if got[0] != got[len(got)-1] || len(got) != len(ring) {
			t.Fatalf("ring %v lost closure or points", got)
		}
	}
}

func TestCAPAlertParsesBack(t *testing.T) {
	for _, class := range []string{record.ClassFire, record.ClassFlood} {
		t.Run(class, func(t *testing.T) {
			d := testDetection(class)
			b, err := CAP(d, testDelivery, "ground@skysieve.example")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), "<?xml") {
				t.Fatalf("no XML declaration: %.60s", b)
			}
			var a Alert
			if err := xml.Unmarshal(b, &a); err != nil {
				t.Fatalf("CAP does not parse: %v\n%s", err, b)
			}
			if a.XMLName.Space != CAPNamespace || a.XMLName.Local != "alert" {
				t.Fatalf("root %v", a.XMLName)
			}
			for name, v := range map[string]string{"identifier": a.Identifier, "sender": a.Sender, "sent": a.Sent, "status": a.Status, "msgType": a.MsgType, "scope": a.Scope} {
				if v == "" {
					t.Errorf("required %s missing", name)
				}
			}
			if a.Sent != "2026-08-01T10:06:01-00:00" {
				t.Errorf("sent %q, want CAP form with -00:00", a.Sent)
			}
			if len(a.Info) != 1 {
				t.Fatalf("%d info blocks", len(a.Info))
			}
			in := a.Info[0]
			if len(in.Category) == 0 || in.Event == "" || in.Urgency == "" || in.Severity == "" || in.Certainty == "" {
				t.Fatalf("info lacks a required field: %+v", in)
			}
			if want := SevereClasses[class].Category; in.Category[0] != want {
				t.Errorf("category %q want %q", in.Category[0], want)
			}
			poly := strings.Fields(in.Area[0].Polygon[0])
			if len(poly) != len(d.Footprint) || poly[0] != poly[len(poly)-1] {
				t.Fatalf("polygon %q not closed", poly)
			}
			for i, pair := range poly {
				latS, lonS, ok := strings.Cut(pair, ",")
				lat, err1 := strconv.ParseFloat(latS, 64)
				lon, err2 := strconv.ParseFloat(lonS, 64)
				if !ok || err1 != nil || err2 != nil {
					t.Fatalf("pair %q is not lat,lon", pair)
				}
				if lat != d.Footprint[i][1] || lon != d.Footprint[i][0] {
					t.Fatalf("pair %d = %v,%v, want lat,lon of %v", i, lat, lon, d.Footprint[i])
				}
			}
		})
	}
}

func TestCAPRejects(t *testing.T) {
	cases := []struct {
		name   string
		d      *record.Detection
		sender string
	}{
		{"not severe", testDetection(record.ClassVessel), "g@x"},
		{"bad sender", testDetection(record.ClassFire), "has space"},
		{"empty sender", testDetection(record.ClassFire), ""},
		{"invalid record", &record.Detection{ID: "zz"}, "g@x"},
	}
	for _, c := range cases {
		if _, err := CAP(c.d, testDelivery, c.sender); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}
