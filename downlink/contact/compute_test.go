package contact

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/orbit"
)

// checkContactProperties verifies what every computed contact promises,
// against an independent propagation.
func checkContactProperties(t *testing.T, cs []Contact, sats []orbit.TLE, stations []Station, from, to time.Time) {
	t.Helper()
	props := map[string]*orbit.Propagator{}
	for _, s := range sats {
		p, err := orbit.NewPropagator(s)
		if err != nil {
			t.Fatal(err)
		}
		props[s.DisplayName()] = p
	}
	st := map[string]Station{}
	for _, s := range stations {
		st[s.Name] = s
	}
	lastLOS := map[[2]string]time.Time{}
	for i, c := range cs {
		if i > 0 && c.AOS.Before(cs[i-1].AOS) {
			t.Fatalf("contact %d not sorted by AOS", i)
		}
		p, s := props[c.Satellite], st[c.Station]
		if p == nil || s.Name == "" {
			t.Fatalf("contact %d names unknown %q / %q", i, c.Satellite, c.Station)
		}
		key := [2]string{c.Satellite, c.Station}
		if prev, ok := lastLOS[key]; ok && !c.AOS.After(prev) {
			t.Errorf("%s over %s: pass at %v overlaps the previous one ending %v", c.Satellite, c.Station, c.AOS, prev)
		}
		lastLOS[key] = c.LOS
		if c.AOS.Before(from) || c.LOS.After(to) || !c.LOS.After(c.AOS) || c.TCA.Before(c.AOS) || c.TCA.After(c.LOS) {
			t.Fatalf("%s over %s: bad window %v %v %v", c.Satellite, c.Station, c.AOS, c.TCA, c.LOS)
		}
		if c.StartsInProgress != c.AOS.Equal(from) || c.EndsInProgress != c.LOS.Equal(to) {
			t.Errorf("%s over %s: in-progress flags %v/%v for %v–%v", c.Satellite, c.Station, c.StartsInProgress, c.EndsInProgress, c.AOS, c.LOS)
		}
		el := func(tm time.Time) float64 { return elevationAt(t, p, s, tm) }
		const tol = 1e-3 // degrees
		// AOS/LOS on the mask, and within 0.1 s of the true crossing.
		if !c.StartsInProgress {
			if e := el(c.AOS); math.Abs(e-s.MaskDeg) > tol {
				t.Errorf("%s over %s: elevation %g at AOS, mask %g", c.Satellite, c.Station, e, s.MaskDeg)
			}
			if c.Duration() > time.Second {
				if el(c.AOS.Add(-100*time.Millisecond)) >= s.MaskDeg || el(c.AOS.Add(100*time.Millisecond)) < s.MaskDeg {
					t.Errorf("%s over %s: AOS %v is more than 0.1 s off the crossing", c.Satellite, c.Station, c.AOS)
				}
			}
		}
		if !c.EndsInProgress {
			if e := el(c.LOS); math.Abs(e-s.MaskDeg) > tol {
				t.Errorf("%s over %s: elevation %g at LOS, mask %g", c.Satellite, c.Station, e, s.MaskDeg)
			}
			if c.Duration() > time.Second {
				if el(c.LOS.Add(100*time.Millisecond)) >= s.MaskDeg || el(c.LOS.Add(-100*time.Millisecond)) < s.MaskDeg {
					t.Errorf("%s over %s: LOS %v is more than 0.1 s off the crossing", c.Satellite, c.Station, c.LOS)
				}
			}
		}
		// Culmination: the reported maximum is the elevation at TCA and no
		// neighbour or sample beats it.
		if e := el(c.TCA); math.Abs(e-c.MaxElevationDeg) > tol {
			t.Errorf("%s over %s: elevation %g at TCA, reported max %g", c.Satellite, c.Station, e, c.MaxElevationDeg)
		}
		for _, d := range []time.Duration{-time.Second, time.Second} {
			if tm := c.TCA.Add(d); !tm.Before(c.AOS) && !tm.After(c.LOS) && el(tm) > c.MaxElevationDeg+tol {
				t.Errorf("%s over %s: elevation at TCA%+v exceeds the maximum", c.Satellite, c.Station, d)
			}
		}
		for _, smp := range c.Samples {
			if smp.ElevationDeg > c.MaxElevationDeg+tol || smp.ElevationDeg < s.MaskDeg-tol {
				t.Errorf("%s over %s: sample elevation %g outside [mask, max %g]", c.Satellite, c.Station, smp.ElevationDeg, c.MaxElevationDeg)
			}
		}
		// Capacity is the integral of the rate the contact reports.
		bits := 0.0
		const dt = 0.05
		for x := 0.0; x < c.Duration().Seconds(); x += dt {
			bits += c.RateBitsPerSecAt(c.AOS.Add(time.Duration(x*1e9))) * math.Min(dt, c.Duration().Seconds()-x)
		}
		if got := float64(c.CapacityBytes); math.Abs(bits/8-got) > 0.002*got+1e4 {
			t.Errorf("%s over %s: capacity %d, integrated rate %.0f", c.Satellite, c.Station, c.CapacityBytes, bits/8)
		}
		// Zero is allowed: a low pass may never close the link.
		if c.ExpectedGoodBytes() > c.CapacityBytes || c.CapacityBytes < 0 {
			t.Errorf("%s over %s: capacity %d, expected good bytes %d", c.Satellite, c.Station, c.CapacityBytes, c.ExpectedGoodBytes())
		}
	}
}

func TestComputeProperties(t *testing.T) {
	sats := loadSats(t)
	stations := loadStations(t)
	from, to := planStart, planStart.Add(24*time.Hour)
	cs, err := Compute(sats, stations, from, to, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) < 200 {
		t.Fatalf("%d contacts for 6 satellites × 13 stations in a day, want hundreds", len(cs))
	}
	checkContactProperties(t, cs, sats, stations, from, to)
	// Svalbard is passed on nearly every orbit of a sun-synchronous
	// satellite (14.3 orbits a day).
	n := 0
	for _, c := range cs {
		if c.Station == "Svalbard" && c.Satellite == "SENTINEL-2A" {
			n++
		}
	}
	if n < 10 {
		t.Errorf("Sentinel-2A over Svalbard: %d passes in a day, want at least 10", n)
	}
}

// TestComputeMatchesBruteForce compares the contacts with elevation
// sampled every second: each second is inside a contact exactly when the
// satellite is above the mask.
func TestComputeMatchesBruteForce(t *testing.T) {
	sats := loadSats(t)[:1]
	all := loadStations(t)
	stations := []Station{stationNamed(t, all, "Svalbard"), stationNamed(t, all, "Singapore"), stationNamed(t, all, "Troll")}
	from, to := planStart.Add(3*time.Hour+500*time.Millisecond), planStart.Add(15*time.Hour)
	cs, err := Compute(sats, stations, from, to, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := orbit.NewPropagator(sats[0])
	for _, st := range stations {
		var mine []Contact
		for _, c := range cs {
			if c.Station == st.Name {
				mine = append(mine, c)
			}
		}
		if len(mine) == 0 {
			t.Fatalf("no contacts over %s", st.Name)
		}
		site := st.Site()
		k := 0
		for tm := from; !tm.After(to); tm = tm.Add(time.Second) {
			s, _ := p.ECEF(tm)
			el := site.ElevationDeg(s.PositionKm)
			for k < len(mine) && mine[k].LOS.Before(tm) {
				k++
			}
			inside := k < len(mine) && !tm.Before(mine[k].AOS) && !tm.After(mine[k].LOS)
			if math.Abs(el-st.MaskDeg) < 1e-3 {
				continue // on the mask to within rounding
			}
			if inside != (el >= st.MaskDeg) {
				t.Fatalf("%s at %v: elevation %.4f (mask %g) but inside a contact = %v", st.Name, tm, el, st.MaskDeg, inside)
			}
		}
	}
}

// A pass whose peak barely clears the mask lasts seconds, far less than
// the search step; it must still be found, and a mask just above the peak
// must give no contact.
func TestGrazingPass(t *testing.T) {
	sats := loadSats(t)[:1]
	kiruna := stationNamed(t, loadStations(t), "Kiruna")
	from, to := planStart, planStart.Add(12*time.Hour)
	cs, err := Compute(sats, []Station{kiruna}, from, to, Options{})
	if err != nil || len(cs) == 0 {
		t.Fatalf("%v, %d contacts", err, len(cs))
	}
	// Take the lowest pass that is not clipped.
	ref := cs[0]
	for _, c := range cs {
		if !c.StartsInProgress && !c.EndsInProgress && (ref.StartsInProgress || c.MaxElevationDeg < ref.MaxElevationDeg) {
			ref = c
		}
	}
	// The grid starts off the culmination so no coarse sample lands on it.
	win := 40 * time.Minute
	gFrom, gTo := ref.TCA.Add(-win+37*time.Second), ref.TCA.Add(win)
	for _, above := range []float64{0.02, 0.002} {
		graze := kiruna
		graze.MaskDeg = ref.MaxElevationDeg - above
		got, err := Compute(sats, []Station{graze}, gFrom, gTo, Options{SearchStep: 120 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("peak %g° above mask: %d contacts, want 1", above, len(got))
		}
		g := got[0]
		if g.Duration() > 60*time.Second || math.Abs(g.MaxElevationDeg-ref.MaxElevationDeg) > 1e-3 || g.TCA.Sub(ref.TCA).Abs() > 2*time.Second {
			t.Errorf("grazing pass %+v vs reference TCA %v max %g", g, ref.TCA, ref.MaxElevationDeg)
		}
		checkContactProperties(t, got, sats, []Station{graze}, gFrom, gTo)
	}
	miss := kiruna
	miss.MaskDeg = ref.MaxElevationDeg + 0.002
	got, err := Compute(sats, []Station{miss}, gFrom, gTo, Options{SearchStep: 120 * time.Second})
	if err != nil || len(got) != 0 {
		t.Errorf("mask above the peak: %v, %d contacts", err, len(got))
	}
}

// Starting inside a pass clips it and flags it; its LOS and culmination
// do not move.
func TestPassInProgress(t *testing.T) {
	sats := loadSats(t)[:1]
	st := []Station{stationNamed(t, loadStations(t), "Svalbard")}
	full, err := Compute(sats, st, planStart, planStart.Add(6*time.Hour), Options{})
	if err != nil || len(full) < 2 {
		t.Fatalf("%v, %d contacts", err, len(full))
	}
	ref := full[1]
	from := ref.TCA.Add(-30 * time.Second)
	to := ref.TCA.Add(30 * time.Second)
	got, err := Compute(sats, st, from, to, Options{})
	if err != nil || len(got) != 1 {
		t.Fatalf("%v, %d contacts", err, len(got))
	}
	g := got[0]
	if !g.StartsInProgress || !g.EndsInProgress || !g.AOS.Equal(from) || !g.LOS.Equal(to) {
		t.Errorf("clipped pass %v–%v flags %v/%v, want %v–%v both flagged", g.AOS, g.LOS, g.StartsInProgress, g.EndsInProgress, from, to)
	}
	if g.TCA.Sub(ref.TCA).Abs() > 20*time.Millisecond {
		t.Errorf("TCA %v, unclipped %v", g.TCA, ref.TCA)
	}
	late, err := Compute(sats, st, ref.AOS.Add(time.Minute), planStart.Add(6*time.Hour), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !late[0].StartsInProgress || late[0].LOS.Sub(ref.LOS).Abs() > time.Millisecond {
		t.Errorf("late start: %v–%v, want in progress ending %v", late[0].AOS, late[0].LOS, ref.LOS)
	}
}

// A geostationary satellite seen from under it never sets: one contact
// spans the interval. From 80° north it never rises above a 5° mask.
func TestGeostationary(t *testing.T) {
	const geo = "1 28626U 05008A   06176.46683397 -.00000205  00000-0  10000-3 0  2190\n" +
		"2 28626   0.0019 286.9433 0000335  13.7918  55.6504  1.00270176  4891\n"
	sats, err := orbit.ParseTLEs(stringsReader(geo))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := orbit.NewPropagator(sats[0])
	from := sats[0].Epoch
	sub, _ := p.SubPoint(from)
	under := Station{Name: "under", LatDeg: 0, LonDeg: sub.LonDeg, MaskDeg: 5, Link: DefaultLinkModel()}
	north := Station{Name: "north", LatDeg: 80, LonDeg: sub.LonDeg, MaskDeg: 5, Link: DefaultLinkModel()}
	to := from.Add(48 * time.Hour)
	cs, err := Compute(sats, []Station{under, north}, from, to, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Station != "under" || !cs[0].StartsInProgress || !cs[0].EndsInProgress {
		t.Fatalf("got %+v, want one interval-long contact from the station underneath", cs)
	}
	if cs[0].MaxElevationDeg < 85 {
		t.Errorf("max elevation %g from underneath", cs[0].MaxElevationDeg)
	}
	// 36 000 km is far: the link closes only at a low MODCOD.
	if r := cs[0].RateBitsPerSecAt(from.Add(time.Hour)); r >= DefaultLinkModel().SymbolRateBaud*ModCods[len(ModCods)-1].BitsPerSymbol {
		t.Errorf("GEO rate %g is the top MODCOD", r)
	}
}

func TestComputeErrors(t *testing.T) {
	sats := loadSats(t)[:1]
	st := loadStations(t)[:1]
	if _, err := Compute(sats, st, planStart, planStart, Options{}); !errors.Is(err, ErrInterval) {
		t.Errorf("empty interval: %v", err)
	}
	bad := st[0]
	bad.LatDeg = 100
	if _, err := Compute(sats, []Station{bad}, planStart, planStart.Add(time.Hour), Options{}); err == nil {
		t.Error("invalid station accepted")
	}
	// MINOTAUR R/B from the verification set decays within an hour.
	const decaying = "1 28872U 05037B   05333.02012661  .25992681  00000-0  24476-3 0  1534\n" +
		"2 28872  96.4736 157.9986 0303955 244.0492 110.6523 16.46015938 10708\n"
	ds, err := orbit.ParseTLEs(stringsReader(decaying))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compute(ds, st, ds[0].Epoch, ds[0].Epoch.Add(3*time.Hour), Options{})
	if !errors.Is(err, orbit.ErrDecayed) {
		t.Errorf("decaying satellite: %v, want ErrDecayed", err)
	}
}
