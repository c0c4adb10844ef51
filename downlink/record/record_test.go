package record

import (
	"strings"
	"testing"
	"time"
)

func sample() *Detection {
	return &Detection{
		ID: "0123456789abcdef", Class: ClassFire, Confidence: 0.9, Priority: 0.8,
		Footprint:   [][2]float64{{-34.9, -8.0}, {-34.8, -8.0}, {-34.8, -8.1}, {-34.9, -8.1}, {-34.9, -8.0}},
		CaptureTime: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), Satellite: "SKY-1", SceneID: "s1",
	}
}

func TestRoundTrip(t *testing.T) {
	b, err := Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	d, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != sample().ID || !d.CaptureTime.Equal(sample().CaptureTime) || d.Footprint[2] != sample().Footprint[2] {
		t.Fatalf("round trip changed record: %+v", d)
	}
}

func TestRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		mut  func(*Detection)
		want string
	}{
		{"short id", func(d *Detection) { d.ID = "abc" }, "16..64"},
		{"upper id", func(d *Detection) { d.ID = "0123456789ABCDEF" }, "hex"},
		{"class", func(d *Detection) { d.Class = "fire.>" }, "class"},
		{"confidence", func(d *Detection) { d.Confidence = 2 }, "confidence"},
		{"open ring", func(d *Detection) { d.Footprint[4] = [2]float64{0, 0} }, "closed"},
		{"lat", func(d *Detection) { d.Footprint[1][1] = 95 }, "WGS84"},
		{"no time", func(d *Detection) { d.CaptureTime = time.Time{} }, "capture"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := sample()
			c.mut(d)
			if _, err := Marshal(d); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Marshal = %v, want error containing %q", err, c.want)
			}
		})
	}
	if _, err := Unmarshal([]byte(`{"id":"0123456789abcdef","extra":1}`)); err == nil {
		t.Fatal("unknown field accepted")
	}
}

func FuzzUnmarshal(f *testing.F) {
	b, _ := Marshal(sample())
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := Unmarshal(in)
		if err != nil {
			return
		}
		if _, err := Marshal(d); err != nil {
			t.Fatalf("decoded record does not re-encode: %v", err)
		}
	})
}
