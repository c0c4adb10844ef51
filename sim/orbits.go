package sim

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/downlink/orbit"
	"github.com/skysieve/skysieve/sim/passes"
	"github.com/skysieve/skysieve/sim/scenario"
	"github.com/skysieve/skysieve/sim/world"
)

// Geometry is the scenario's orbital setting: satellites, stations, the
// contact plan and the ground tracks.
type Geometry struct {
	TLEs     []orbit.TLE
	Stations []contact.Station
	Contacts []contact.Contact
	Plan     passes.Plan
	Tracks   map[string]world.Track
}

// LoadGeometry reads the scenario's TLE and stations files and computes
// the contacts over the scenario's interval.
func LoadGeometry(scn *scenario.Scenario) (*Geometry, error) {
	f, err := os.Open(scn.TLEFile)
	if err != nil {
		return nil, fmt.Errorf("sim: tle_file: %w", err)
	}
	defer f.Close()
	all, err := orbit.ParseTLEs(f)
	if err != nil {
		return nil, fmt.Errorf("sim: tle_file %s: %w", scn.TLEFile, err)
	}
	g := &Geometry{Tracks: map[string]world.Track{}}
	for _, t := range all {
		if len(scn.Satellites) == 0 || slices.Contains(scn.Satellites, t.DisplayName()) {
			g.TLEs = append(g.TLEs, t)
		}
	}
	for _, want := range scn.Satellites {
		if !slices.ContainsFunc(g.TLEs, func(t orbit.TLE) bool { return t.DisplayName() == want }) {
			return nil, fmt.Errorf("sim: satellites: %q is not in %s", want, scn.TLEFile)
		}
	}
	if len(g.TLEs) == 0 {
		return nil, fmt.Errorf("sim: tle_file %s holds no satellites", scn.TLEFile)
	}
	if g.Stations, err = contact.LoadStations(scn.StationsFile); err != nil {
		return nil, fmt.Errorf("sim: stations_file: %w", err)
	}
	for i := range g.Stations {
		g.Stations[i].MaskDeg = max(g.Stations[i].MaskDeg, scn.MinElevationDeg)
	}
	if g.Contacts, err = contact.Compute(g.TLEs, g.Stations, scn.Start, scn.End(), contact.Options{}); err != nil {
		return nil, fmt.Errorf("sim: contacts: %w", err)
	}
	g.Plan = PlanFromContacts(g.Contacts)
	for _, t := range g.TLEs {
		p, err := orbit.NewPropagator(t)
		if err != nil {
			return nil, fmt.Errorf("sim: satellite %s: %w", t.DisplayName(), err)
		}
		g.Tracks[t.DisplayName()] = func(at time.Time) (float64, float64, error) {
			sp, err := p.SubPoint(at)
			return sp.LatDeg, sp.LonDeg, err
		}
	}
	return g, nil
}

// Satellites returns the satellite names in file order.
func (g *Geometry) Satellites() []string {
	out := make([]string, len(g.TLEs))
	for i, t := range g.TLEs {
		out[i] = t.DisplayName()
	}
	return out
}

// ContactsOf returns sat's contacts.
func (g *Geometry) ContactsOf(sat string) []contact.Contact {
	var out []contact.Contact
	for _, c := range g.Contacts {
		if c.Satellite == sat {
			out = append(out, c)
		}
	}
	return out
}

// PlanFromContacts converts computed contacts to the simulator's passes.
func PlanFromContacts(cs []contact.Contact) passes.Plan {
	pl := make(passes.Plan, 0, len(cs))
	for _, c := range cs {
		p := passes.Pass{Satellite: c.Satellite, Station: c.Station, AOS: c.AOS, LOS: c.LOS, TCA: c.TCA, MaxElevationDeg: c.MaxElevationDeg}
		for _, s := range c.Samples {
			p.Samples = append(p.Samples, passes.Sample{
				At:             c.AOS.Add(time.Duration(s.OffsetSec * float64(time.Second))),
				ElevationDeg:   s.ElevationDeg,
				RateBitsPerSec: s.RateBitsPerSec,
				Loss:           s.Loss,
			})
		}
		pl = append(pl, p)
	}
	pl.Sort()
	return pl
}
