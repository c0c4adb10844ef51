package contact

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func computeSmallPlan(t testing.TB) []Contact {
	t.Helper()
	sats := loadSats(t)[:2]
	all := loadStations(t)
	st := []Station{stationNamed(t, all, "Svalbard"), stationNamed(t, all, "Awarua")}
	cs, err := Compute(sats, st, planStart.Add(7*time.Minute+123*time.Millisecond), planStart.Add(12*time.Hour), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) < 5 {
		t.Fatalf("only %d contacts", len(cs))
	}
	return cs
}

// A plan read back is the plan written: same windows, same samples, same
// answers from the profile methods.
func TestPlanRoundTrip(t *testing.T) {
	cs := computeSmallPlan(t)
	path := filepath.Join(t.TempDir(), "plan.json")
	var buf bytes.Buffer
	if err := WritePlan(&buf, cs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cs) {
		t.Fatalf("%d contacts back, wrote %d", len(got), len(cs))
	}
	for i := range cs {
		a, b := cs[i], got[i]
		if !a.AOS.Equal(b.AOS) || !a.LOS.Equal(b.LOS) || !a.TCA.Equal(b.TCA) {
			t.Errorf("contact %d: times %v %v %v back as %v %v %v", i, a.AOS, a.TCA, a.LOS, b.AOS, b.TCA, b.LOS)
		}
		if !reflect.DeepEqual(a.Samples, b.Samples) || a.CapacityBytes != b.CapacityBytes ||
			a.Satellite != b.Satellite || a.SatNum != b.SatNum || a.Station != b.Station ||
			a.StartsInProgress != b.StartsInProgress || a.EndsInProgress != b.EndsInProgress {
			t.Errorf("contact %d differs after the round trip", i)
		}
		for x := -5 * time.Second; x < a.Duration()+5*time.Second; x += 777 * time.Millisecond {
			tm := a.AOS.Add(x)
			if a.RateBitsPerSecAt(tm) != b.RateBitsPerSecAt(tm) || a.ExpectedLossAt(tm) != b.ExpectedLossAt(tm) {
				t.Fatalf("contact %d: profile differs at %v", i, tm)
			}
		}
	}
	// Writing again gives the same bytes.
	var again bytes.Buffer
	if err := WritePlan(&again, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("re-encoding the loaded plan changes it")
	}
}

func TestProfileMethods(t *testing.T) {
	c := computeSmallPlan(t)[1]
	if r := c.RateBitsPerSecAt(c.AOS.Add(-time.Second)); r != 0 {
		t.Errorf("rate before AOS %g", r)
	}
	if r := c.RateBitsPerSecAt(c.LOS); r != 0 {
		t.Errorf("rate at LOS %g", r)
	}
	if l := c.ExpectedLossAt(c.LOS.Add(time.Second)); l != 1 {
		t.Errorf("loss after LOS %g", l)
	}
	// The horizon is worse than culmination.
	if c.RateBitsPerSecAt(c.TCA) < c.RateBitsPerSecAt(c.AOS) || c.ExpectedLossAt(c.TCA) > c.ExpectedLossAt(c.AOS) {
		t.Errorf("link at TCA (%g bit/s, loss %g) not better than at AOS (%g, %g)",
			c.RateBitsPerSecAt(c.TCA), c.ExpectedLossAt(c.TCA), c.RateBitsPerSecAt(c.AOS), c.ExpectedLossAt(c.AOS))
	}
	mid := c.AOS.Add(c.Duration() / 3)
	if a, b := c.CapacityBytesBetween(c.AOS, mid), c.CapacityBytesBetween(mid, c.LOS); absI(a+b-c.CapacityBytes) > 2 {
		t.Errorf("split capacity %d + %d != %d", a, b, c.CapacityBytes)
	}
	prof := c.Profile(30 * time.Second)
	if len(prof) < 2 || prof[0].OffsetSec != 0 || prof[len(prof)-1].OffsetSec != c.Duration().Seconds() {
		t.Fatalf("profile endpoints wrong: %d samples", len(prof))
	}
	for _, s := range prof[:len(prof)-1] {
		tm := c.AOS.Add(time.Duration(s.OffsetSec * 1e9))
		if s.RateBitsPerSec != c.RateBitsPerSecAt(tm) {
			t.Errorf("profile rate at +%gs %g, RateBitsPerSecAt %g", s.OffsetSec, s.RateBitsPerSec, c.RateBitsPerSecAt(tm))
		}
	}
}

func absI(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestReadPlanErrors(t *testing.T) {
	cs := computeSmallPlan(t)[:1]
	var buf bytes.Buffer
	if err := WritePlan(&buf, cs); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	aos := FormatTime(cs[0].AOS)
	cases := []struct{ name, text, want string }{
		{"empty", "", "decode"},
		{"not json", "{", "decode"},
		{"trailing", good + "{}", "trailing"},
		{"format", strings.Replace(good, PlanFormat, "other", 1), "format"},
		{"version", strings.Replace(good, `"version":1`, `"version":2`, 1), "version"},
		{"unknown field", strings.Replace(good, `"station"`, `"colour":1,"station"`, 1), "colour"},
		{"bad time", strings.Replace(good, aos, "yesterday", 1), "aos"},
		{"los before aos", strings.Replace(good, `"los":"`+FormatTime(cs[0].LOS), `"los":"`+aos, 1), "los"},
		{"capacity", strings.Replace(good, `"capacity_bytes":`, `"capacity_bytes":1`, 1), "capacity"},
		{"negative rate", strings.Replace(good, `"rate_bps":`, `"rate_bps":-`, 1), "rate_bps"},
		{"loss", strings.Replace(good, `"loss":0`, `"loss":1`, 1), "loss"},
		{"no samples", strings.Replace(good, `"samples":[`, `"samples":[],"x":[`, 1), "x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadPlan(strings.NewReader(c.text))
			if !errors.Is(err, ErrPlan) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want ErrPlan mentioning %q", err, c.want)
			}
		})
	}
}

func FuzzReadPlan(f *testing.F) {
	cs := computeSmallPlan(f)[:2]
	var buf bytes.Buffer
	if err := WritePlan(&buf, cs); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"skysieve-contact-plan","version":1,"contacts":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ReadPlan(bytes.NewReader(b))
		if err != nil {
			return
		}
		// Whatever is accepted answers questions without panicking and
		// survives a round trip.
		for i := range got {
			c := &got[i]
			_ = c.RateBitsPerSecAt(c.TCA)
			_ = c.ExpectedLossAt(c.AOS)
			_ = c.Profile(time.Second)
		}
		var out bytes.Buffer
		if err := WritePlan(&out, got); err != nil {
			t.Fatalf("accepted plan does not re-encode: %v", err)
		}
	})
}

func FuzzParseStations(f *testing.F) {
	b, err := os.ReadFile("../../testdata/stations.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("- name: X\n  lat_deg: 1\n  lon_deg: 2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseStations(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, s := range st {
			if err := s.Validate(); err != nil {
				t.Fatalf("accepted invalid station: %v", err)
			}
		}
	})
}
