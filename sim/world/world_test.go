package world

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/sim/scenario"
)

func TestIsLand(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lat, lon float64
		land     bool
	}{
		{"Paris", 48.85, 2.35, true},
		{"Sahara", 23, 10, true},
		{"Amazonas", -3.1, -60, true},
		{"Kansas", 38.5, -98, true},
		{"Moscow", 55.75, 37.6, true},
		{"Beijing", 39.9, 116.4, true},
		{"Alice Springs", -23.7, 133.9, true},
		{"Tokyo", 35.7, 139.7, true},
		{"mid-Atlantic", 30, -40, false},
		{"mid-Pacific", 0, -150, false},
		{"Indian Ocean", -20, 80, false},
		{"Caspian Sea", 42, 51, false},
		{"Black Sea", 43, 34, false},
		{"Baltic", 58, 20, false},
		{"Gulf of Mexico", 25, -90, false},
		{"Hudson Bay", 60, -86, false},
		{"Mediterranean", 35, 18, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsLand(tc.lat, tc.lon); got != tc.land {
				t.Fatalf("IsLand(%v, %v) = %v, want %v", tc.lat, tc.lon, got, tc.land)
			}
		})
	}
}

func TestDistances(t *testing.T) {
	// Lisbon sits on the coast; the middle of the Sahara is far from it.
	if d := CoastDistanceKm(38.7, -9.1); d > 60 {
		t.Errorf("Lisbon coast distance %.0f km", d)
	}
	if d := CoastDistanceKm(23, 10); d < 500 {
		t.Errorf("Sahara coast distance %.0f km", d)
	}
	// Memphis is on the Mississippi.
	if d := RiverDistanceKm(35.1, -90.0); d > 30 {
		t.Errorf("Memphis river distance %.0f km", d)
	}
}

func TestSunElevation(t *testing.T) {
	noon := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	if e := SunElevationDeg(noon, 0, 0); e < 85 {
		t.Errorf("equinox noon at (0,0): %.1f°", e)
	}
	if e := SunElevationDeg(noon, 0, 180); e > -85 {
		t.Errorf("equinox midnight at (0,180): %.1f°", e)
	}
	june := time.Date(2026, 6, 21, 0, 0, 0, 0, time.UTC)
	if e := SunElevationDeg(june, 80, 0); e < 5 {
		t.Errorf("midsummer midnight sun at 80°N: %.1f°", e)
	}
}

func TestCloudClimatology(t *testing.T) {
	march := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	itcz := CloudFraction(0, march, 1, 0.5)
	subtropic := CloudFraction(22, march, 1, 0.5)
	storm := CloudFraction(58, march, 1, 0.5)
	if !(itcz > subtropic && storm > subtropic) {
		t.Fatalf("ITCZ %.2f, subtropics %.2f, storm track %.2f", itcz, subtropic, storm)
	}
	for lat := -90.0; lat <= 90; lat += 5 {
		for _, u := range []float64{0, 0.5, 0.999} {
			if c := CloudFraction(lat, march, 2, u); c < 0 || c > 1 {
				t.Fatalf("cloud fraction %v at %v", c, lat)
			}
		}
	}
	if c := CloudFraction(0, march, 0, 0.5); c != 0 {
		t.Fatalf("scale 0 gives %v, want clear sky", c)
	}
}

// circularTrack is a sun-synchronous-like ground track: 98° inclination,
// 99-minute period, Earth turning beneath it.
func circularTrack(phase float64) Track {
	const periodS = 99 * 60.0
	inc := 98 * math.Pi / 180
	t0 := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	return func(t time.Time) (float64, float64, error) {
		s := t.Sub(t0).Seconds()
		u := 2*math.Pi*s/periodS + phase
		lat := math.Asin(math.Sin(inc)*math.Sin(u)) * 180 / math.Pi
		lon := math.Atan2(math.Cos(inc)*math.Sin(u), math.Cos(u))*180/math.Pi - 360*s/86164
		return lat, wrapLon(lon), nil
	}
}

func testScenario(t *testing.T) *scenario.Scenario {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"x.tle", "st.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(cfg, []byte("tle_file: x.tle\nstations_file: st.yaml\nevents:\n  fires: 20\n  floods: 10\n  vessels: 20\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	scn, err := scenario.Load(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	return scn
}

// TestBuildProperties checks what every world must satisfy: captures in
// time order, in daylight, over land or coast; events where their kind
// makes sense, each active in at least one capture that contains it.
func TestBuildProperties(t *testing.T) {
	scn := testScenario(t)
	tracks := map[string]Track{"SAT-B": circularTrack(1), "SAT-A": circularTrack(0)}
	w, err := Build(scn, tracks)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Captures) < 100 {
		t.Fatalf("only %d captures in a day", len(w.Captures))
	}
	for i, c := range w.Captures {
		if i > 0 && c.Time.Before(w.Captures[i-1].Time) {
			t.Fatalf("capture %d out of time order", i)
		}
		if math.Abs(c.CenterLatDeg) > scn.Scene.MaxLatDeg {
			t.Fatalf("capture %s beyond %v° latitude", c.ID, scn.Scene.MaxLatDeg)
		}
		if c.SunElevationDeg < scn.Scene.MinSunElevationDeg {
			t.Fatalf("capture %s in the dark (%.1f°)", c.ID, c.SunElevationDeg)
		}
		if !c.CenterIsLand && c.CoastDistanceKm > scn.Scene.CoastKm {
			t.Fatalf("capture %s over open ocean", c.ID)
		}
		if c.CloudFraction < 0 || c.CloudFraction > 1 {
			t.Fatalf("capture %s cloud %v", c.ID, c.CloudFraction)
		}
	}
	counts := map[string]int{}
	seen := make([]bool, len(w.Events))
	for _, c := range w.Captures {
		for _, j := range c.Events {
			seen[j] = true
		}
	}
	for j, e := range w.Events {
		counts[e.Class]++
		land := IsLand(e.LatDeg, e.LonDeg)
		switch e.Class {
		case record.ClassFire, record.ClassFlood:
			if !land {
				t.Errorf("%s at sea (%.3f, %.3f)", e.ID, e.LatDeg, e.LonDeg)
			}
		case record.ClassVessel:
			if land {
				t.Errorf("%s on land (%.3f, %.3f)", e.ID, e.LatDeg, e.LonDeg)
			}
		}
		if !seen[j] {
			t.Errorf("%s is in no capture", e.ID)
		}
	}
	if counts[record.ClassFire] != 20 || counts[record.ClassVessel] != 20 || counts[record.ClassFlood] == 0 {
		t.Fatalf("event counts %v", counts)
	}
	again, err := Build(scn, tracks)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w, again) {
		t.Fatal("the same scenario gave a different world")
	}
	scn.Seed++
	other, err := Build(scn, tracks)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(w.Events, other.Events) {
		t.Fatal("another seed gave the same events")
	}
}
