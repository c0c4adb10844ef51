package world

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/sim/scenario"
)

// ErrTrack is wrapped when a satellite's track cannot be computed.
var ErrTrack = errors.New("ground track failed")

// Track gives a satellite's sub-satellite point at a time.
type Track func(t time.Time) (latDeg, lonDeg float64, err error)

// Box is a lat/lon rectangle in degrees (north-up scenes do not cross the
// antimeridian by construction: Build skips such captures).
type Box struct {
	MinLatDeg, MaxLatDeg, MinLonDeg, MaxLonDeg float64
}

// Contains reports whether the point lies in the box.
func (b Box) Contains(latDeg, lonDeg float64) bool {
	return latDeg >= b.MinLatDeg && latDeg <= b.MaxLatDeg && lonDeg >= b.MinLonDeg && lonDeg <= b.MaxLonDeg
}

// Capture is one planned scene.
type Capture struct {
	// ID is stable for the same scenario: satellite and capture time.
	ID        string
	Satellite string
	Time      time.Time
	// Bounds is the north-up footprint; the scene's pixel (0,0) is its
	// north-west corner.
	Bounds            Box
	CenterLatDeg      float64
	CenterLonDeg      float64
	PixelDegLat       float64
	PixelDegLon       float64
	CloudFraction     float64
	LandFraction      float64
	RawBytes          int64
	Events            []int // indexes into World.Events present at capture
	Seed              uint64
	SunElevationDeg   float64
	CoastDistanceKm   float64
	CenterIsLand      bool
	WidthPx, HeightPx int
	GSDm              float64
}

// Event is one ground-truth happening.
type Event struct {
	ID     string
	Class  string // record.ClassFire, ClassFlood or ClassVessel
	LatDeg float64
	LonDeg float64
	// RadiusM is the event's extent (a disc).
	RadiusM    float64
	Start, End time.Time
}

// ActiveAt reports whether the event is happening at t.
func (e Event) ActiveAt(t time.Time) bool { return !t.Before(e.Start) && t.Before(e.End) }

// BoundsDeg is the event's bounding box.
func (e Event) BoundsDeg() Box {
	dLat := e.RadiusM / 111320
	dLon := dLat / math.Max(0.05, math.Cos(e.LatDeg*math.Pi/180))
	return Box{e.LatDeg - dLat, e.LatDeg + dLat, e.LonDeg - dLon, e.LonDeg + dLon}
}

// World is the planned captures (in time order) and the events.
type World struct {
	Captures []Capture
	Events   []Event
}

// Build plans captures along each satellite's track and places events.
// Satellites are visited in name order so the result does not depend on
// map order.
func Build(scn *scenario.Scenario, tracks map[string]Track) (*World, error) {
	names := make([]string, 0, len(tracks))
	for n := range tracks {
		names = append(names, n)
	}
	sort.Strings(names)
	w := &World{}
	sc := scn.Scene
	for _, name := range names {
		tr := tracks[name]
		for t := scn.Start; t.Before(scn.End()); t = t.Add(sc.Interval) {
			lat, lon, err := tr(t)
			if err != nil {
				return nil, fmt.Errorf("%w: %s at %s: %v", ErrTrack, name, t.Format(time.RFC3339), err)
			}
			if math.Abs(lat) > sc.MaxLatDeg {
				continue
			}
			sun := SunElevationDeg(t, lat, lon)
			if sun < sc.MinSunElevationDeg {
				continue
			}
			land := IsLand(lat, lon)
			coast := CoastDistanceKm(lat, lon)
			if !land && coast > sc.CoastKm {
				continue
			}
			c, ok := planCapture(scn, name, t, lat, lon)
			if !ok {
				continue
			}
			c.SunElevationDeg, c.CoastDistanceKm, c.CenterIsLand = sun, coast, land
			w.Captures = append(w.Captures, c)
		}
	}
	sort.SliceStable(w.Captures, func(i, j int) bool { return w.Captures[i].Time.Before(w.Captures[j].Time) })
	for i := range w.Captures {
		c := &w.Captures[i]
		c.Seed = mix(uint64(scn.Seed), c.ID)
		rng := rand.New(rand.NewPCG(c.Seed, 1))
		c.CloudFraction = CloudFraction(c.CenterLatDeg, c.Time, scn.Clouds.Scale, rng.Float64())
		c.LandFraction = landFraction(c.Bounds)
	}
	w.placeEvents(scn)
	return w, nil
}

func planCapture(scn *scenario.Scenario, sat string, t time.Time, lat, lon float64) (Capture, bool) {
	sc := scn.Scene
	dLat := sc.GSDm / 111320
	cosLat := math.Cos(lat * math.Pi / 180)
	if cosLat < 0.05 {
		return Capture{}, false // too near a pole for a north-up lat/lon grid
	}
	dLon := dLat / cosLat
	halfH, halfW := dLat*float64(sc.HeightPx)/2, dLon*float64(sc.WidthPx)/2
	b := Box{lat - halfH, lat + halfH, lon - halfW, lon + halfW}
	if b.MinLonDeg < -180 || b.MaxLonDeg > 180 {
		return Capture{}, false
	}
	return Capture{
		ID:           fmt.Sprintf("%s-%s", sat, t.UTC().Format("20060102T150405Z")),
		Satellite:    sat,
		Time:         t,
		Bounds:       b,
		CenterLatDeg: lat,
		CenterLonDeg: lon,
		PixelDegLat:  dLat,
		PixelDegLon:  dLon,
		RawBytes:     sc.RawBytes(),
		WidthPx:      sc.WidthPx,
		HeightPx:     sc.HeightPx,
		GSDm:         sc.GSDm,
	}, true
}

func mix(seed uint64, s string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", seed, s)
	return h.Sum64()
}

// landFraction samples the mask on a 5×5 grid over the box.
func landFraction(b Box) float64 {
	n := 0
	for i := range 5 {
		for j := range 5 {
			lat := b.MinLatDeg + (b.MaxLatDeg-b.MinLatDeg)*(float64(i)+0.5)/5
			lon := b.MinLonDeg + (b.MaxLonDeg-b.MinLonDeg)*(float64(j)+0.5)/5
			if IsLand(lat, lon) {
				n++
			}
		}
	}
	return float64(n) / 25
}

type placement struct {
	class    string
	count    int
	duration time.Duration
	minR     float64
	maxR     float64
	ok       func(lat, lon float64) bool
}

func (w *World) placeEvents(scn *scenario.Scenario) {
	if len(w.Captures) == 0 {
		return
	}
	ev := scn.Events
	kinds := []placement{
		{record.ClassFire, ev.Fires, ev.FireDuration, 150, 1200, func(lat, lon float64) bool {
			return math.Abs(lat) < 62 && IsLand(lat, lon)
		}},
		{record.ClassFlood, ev.Floods, ev.FloodDuration, 1000, 4000, func(lat, lon float64) bool {
			return IsLand(lat, lon) && (RiverDistanceKm(lat, lon) < 40 || CoastDistanceKm(lat, lon) < 30)
		}},
		{record.ClassVessel, ev.Vessels, ev.VesselDuration, 40, 150, func(lat, lon float64) bool {
			return !IsLand(lat, lon)
		}},
	}
	rng := rand.New(rand.NewPCG(uint64(scn.Seed), 0x5eed))
	for _, k := range kinds {
		for n := 0; n < k.count; n++ {
			e, ok := w.placeOne(rng, k)
			if !ok {
				break // no captured footprint suits this kind
			}
			e.ID = fmt.Sprintf("%s-%03d", k.class, n)
			w.Events = append(w.Events, e)
		}
	}
	for i := range w.Captures {
		c := &w.Captures[i]
		for j, e := range w.Events {
			if e.ActiveAt(c.Time) && c.Bounds.Contains(e.LatDeg, e.LonDeg) {
				c.Events = append(c.Events, j)
			}
		}
	}
}

// placeOne picks a captured footprint and a point in its inner part where
// the kind makes sense; the event is active at that capture.
func (w *World) placeOne(rng *rand.Rand, k placement) (Event, bool) {
	for range 400 {
		c := w.Captures[rng.IntN(len(w.Captures))]
		b := c.Bounds
		for range 20 {
			lat := b.MinLatDeg + (b.MaxLatDeg-b.MinLatDeg)*(0.1+0.8*rng.Float64())
			lon := b.MinLonDeg + (b.MaxLonDeg-b.MinLonDeg)*(0.1+0.8*rng.Float64())
			if !k.ok(lat, lon) {
				continue
			}
			start := c.Time.Add(-time.Duration(rng.Float64() * 0.9 * float64(k.duration)))
			return Event{
				Class:   k.class,
				LatDeg:  lat,
				LonDeg:  lon,
				RadiusM: k.minR + (k.maxR-k.minR)*rng.Float64(),
				Start:   start,
				End:     start.Add(k.duration),
			}, true
		}
	}
	return Event{}, false
}

// CloudFraction is the cloud cover of a scene centred at latDeg at time t:
// a zonal climatology (cloudy ITCZ following the sun's declination, clear
// subtropical highs near ±22°, cloudy storm tracks near ±58°) scaled by
// scale and perturbed by u ∈ [0,1) (±0.3), clamped to [0, 1].
func CloudFraction(latDeg float64, t time.Time, scale, u float64) float64 {
	itcz := 0.3 * declinationDeg(t)
	sq := func(x float64) float64 { return x * x }
	c := 0.42 +
		0.33*math.Exp(-sq((latDeg-itcz)/7)) -
		0.25*math.Exp(-sq((math.Abs(latDeg)-22)/7)) +
		0.25*math.Exp(-sq((math.Abs(latDeg)-58)/10))
	c = c*scale + 0.6*(u-0.5)
	return math.Max(0, math.Min(1, c))
}

// declinationDeg is the sun's declination (Cooper's formula, ±0.5°).
func declinationDeg(t time.Time) float64 {
	doy := float64(t.UTC().YearDay())
	return 23.44 * math.Sin(2*math.Pi*(284+doy)/365)
}

// SunElevationDeg is the sun's elevation at a point (accurate to about a
// degree: ample for deciding whether it is day).
func SunElevationDeg(t time.Time, latDeg, lonDeg float64) float64 {
	t = t.UTC()
	hours := float64(t.Hour()) + float64(t.Minute())/60 + float64(t.Second())/3600
	hourAngle := (hours-12)*15 + lonDeg
	d := declinationDeg(t) * math.Pi / 180
	phi := latDeg * math.Pi / 180
	h := hourAngle * math.Pi / 180
	s := math.Sin(phi)*math.Sin(d) + math.Cos(phi)*math.Cos(d)*math.Cos(h)
	return math.Asin(math.Max(-1, math.Min(1, s))) * 180 / math.Pi
}
