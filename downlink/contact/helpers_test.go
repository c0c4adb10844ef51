package contact

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/orbit"
)

func loadSats(t testing.TB) []orbit.TLE {
	t.Helper()
	f, err := os.Open("../../testdata/tle/eo-sats.tle")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tles, err := orbit.ParseTLEs(f)
	if err != nil {
		t.Fatal(err)
	}
	return tles
}

func loadStations(t testing.TB) []Station {
	t.Helper()
	st, err := LoadStations("../../testdata/stations.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func stationNamed(t testing.TB, st []Station, name string) Station {
	t.Helper()
	for _, s := range st {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no station %s", name)
	return Station{}
}

// elevationAt is the independent elevation of sat seen from st at tm.
func elevationAt(t testing.TB, p *orbit.Propagator, st Station, tm time.Time) float64 {
	t.Helper()
	s, err := p.ECEF(tm)
	if err != nil {
		t.Fatal(err)
	}
	return st.Site().LookAt(s).ElevationDeg
}

var planStart = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// fmtSscan reads the first load average from /proc/loadavg text.
func fmtSscan(s string, la *[3]float64) (int, error) {
	return fmt.Sscan(s, &la[0], &la[1], &la[2])
}
