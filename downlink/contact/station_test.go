package contact

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestLoadStationsFile(t *testing.T) {
	st, err := LoadStations("../../testdata/stations.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) < 10 {
		t.Fatalf("%d stations, want at least 10", len(st))
	}
	byName := map[string]Station{}
	for _, s := range st {
		byName[s.Name] = s
	}
	for _, n := range []string{"Svalbard", "Inuvik", "Fairbanks", "Kiruna", "Troll", "Hartebeesthoek", "Punta Arenas", "Awarua", "Singapore"} {
		if _, ok := byName[n]; !ok {
			t.Errorf("station %s missing", n)
		}
	}
	sv := byName["Svalbard"]
	if sv.Link.GTdBPerK != 34 || sv.Link.SymbolRateBaud != DefaultLinkModel().SymbolRateBaud {
		t.Errorf("Svalbard link %+v: want gt_dbk 34 and default symbol rate", sv.Link)
	}
	if sg := byName["Singapore"]; sg.MaskDeg != 10 {
		t.Errorf("Singapore mask %g, want 10", sg.MaskDeg)
	}
}

func TestParseStationsDefaults(t *testing.T) {
	st, err := ParseStations(strings.NewReader("- name: X\n  lat_deg: 10\n  lon_deg: 20\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Station{Name: "X", LatDeg: 10, LonDeg: 20, MaskDeg: DefaultMaskDeg, Link: DefaultLinkModel()}
	if st[0] != want {
		t.Errorf("got %+v, want %+v", st[0], want)
	}
}

func TestParseStationsErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"empty", "", "empty"},
		{"empty list", "[]", "no stations"},
		{"not a list", "name: X\n", "stations"},
		{"unknown key", "- name: X\n  lat_deg: 1\n  lon_deg: 2\n  colour: red\n", "colour"},
		{"no name", "- lat_deg: 1\n  lon_deg: 2\n", "name missing"},
		{"no lon", "- name: X\n  lat_deg: 1\n", "lon_deg"},
		{"latitude", "- name: X\n  lat_deg: 91\n  lon_deg: 2\n", "lat_deg = 91"},
		{"mask", "- name: X\n  lat_deg: 1\n  lon_deg: 2\n  mask_deg: 90\n", "mask_deg"},
		{"nan", "- name: X\n  lat_deg: .nan\n  lon_deg: 2\n", "lat_deg"},
		{"loss", "- name: X\n  lat_deg: 1\n  lon_deg: 2\n  loss_floor: 2\n", "loss_floor"},
		{"duplicate", "- name: X\n  lat_deg: 1\n  lon_deg: 2\n- name: X\n  lat_deg: 3\n  lon_deg: 4\n", "duplicate"},
		{"not yaml", "- name: [\n", "stations"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseStations(strings.NewReader(c.text))
			if !errors.Is(err, ErrStations) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want ErrStations mentioning %q", err, c.want)
			}
		})
	}
}

// Property: with everything else fixed, rate never falls and loss never
// rises as the satellite climbs and comes closer.
func TestLinkMonotonic(t *testing.T) {
	m := DefaultLinkModel()
	const altKm, mask = 786.0, 5.0
	prev := m.Evaluate(mask, slantRangeKm(altKm, mask), mask)
	if prev.RateBitsPerSec <= 0 || prev.Loss <= m.LossFloor || prev.Loss > m.LossFloor+m.LossAtMask+1e-12 {
		t.Fatalf("at the mask: %+v", prev)
	}
	for el := mask; el <= 90; el += 0.25 {
		s := m.Evaluate(el, slantRangeKm(altKm, el), mask)
		if s.RateBitsPerSec < prev.RateBitsPerSec || s.Loss > prev.Loss {
			t.Fatalf("el %g: %+v after %+v", el, s, prev)
		}
		prev = s
	}
	top := ModCods[len(ModCods)-1]
	if prev.ModCod != top.Name || prev.RateBitsPerSec != top.BitsPerSymbol*m.SymbolRateBaud {
		t.Errorf("zenith: %+v, want %s", prev, top.Name)
	}
	if prev.Loss-m.LossFloor > 1e-6 {
		t.Errorf("zenith loss %g, want about the floor %g", prev.Loss, m.LossFloor)
	}
	// A link that cannot close carries nothing and loses everything.
	weak := m
	weak.EIRPdBW = -40
	if s := weak.Evaluate(90, altKm, mask); s.RateBitsPerSec != 0 || s.Loss != 1 || s.ModCod != "" {
		t.Errorf("closed link: %+v", s)
	}
}

// slantRangeKm is the range to a satellite at altKm seen at elevation el
// from a spherical Earth.
func slantRangeKm(altKm, elDeg float64) float64 {
	const re = 6371.0
	e := elDeg * math.Pi / 180
	r := re + altKm
	s := re * math.Sin(e)
	return -s + math.Sqrt(s*s+r*r-re*re)
}
