package contact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// Plan file format identifiers.
const (
	PlanFormat  = "skysieve-contact-plan"
	PlanVersion = 1
	// TimeLayout is how plan files and reports write times: RFC 3339 in
	// UTC with milliseconds.
	TimeLayout = "2006-01-02T15:04:05.000Z07:00"
)

// Limits on a plan file read from outside.
const (
	MaxPlanBytes          = 64 << 20
	MaxContactsPerPlan    = 100000
	MaxSamplesPerContact  = 100000
	maxContactDurationSec = 30 * 86400
)

// ErrPlan: a plan file is malformed or inconsistent.
var ErrPlan = errors.New("invalid contact plan")

type planFile struct {
	Format   string        `json:"format"`
	Version  int           `json:"version"`
	Contacts []planContact `json:"contacts"`
}

type planContact struct {
	Satellite        string       `json:"satellite"`
	SatNum           int          `json:"norad_id"`
	Station          string       `json:"station"`
	AOS              string       `json:"aos"`
	LOS              string       `json:"los"`
	TCA              string       `json:"tca"`
	MaxElevationDeg  float64      `json:"max_elevation_deg"`
	CapacityBytes    int64        `json:"capacity_bytes"`
	StartsInProgress bool         `json:"starts_in_progress,omitempty"`
	EndsInProgress   bool         `json:"ends_in_progress,omitempty"`
	Samples          []planSample `json:"samples"`
}

type planSample struct {
	OffsetSec      float64 `json:"t_s"`
	ElevationDeg   float64 `json:"el_deg"`
	AzimuthDeg     float64 `json:"az_deg"`
	RangeKm        float64 `json:"range_km"`
	RateBitsPerSec float64 `json:"rate_bps"`
	Loss           float64 `json:"loss"`
}

// FormatTime writes t as TimeLayout in UTC.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// WritePlan checks each contact as ReadPlan will (including that
// CapacityBytes matches the samples) and writes them as a JSON plan file: an object with "format",
// "version" and "contacts" (one contact per line), each contact carrying its window, culmination,
// capacity and link samples, so a reader needs no orbit to use it. Times
// are RFC 3339 UTC with milliseconds; AOS/LOS/TCA are stored rounded to
// the millisecond.
func WritePlan(w io.Writer, contacts []Contact) error {
	pf := planFile{Format: PlanFormat, Version: PlanVersion, Contacts: make([]planContact, len(contacts))}
	for i := range contacts {
		c := &contacts[i]
		if err := c.validate(); err != nil {
			return fmt.Errorf("contact: write plan: contact %d: %w", i+1, err)
		}
		pc := planContact{
			Satellite: c.Satellite, SatNum: c.SatNum, Station: c.Station,
			AOS: FormatTime(c.AOS), LOS: FormatTime(c.LOS), TCA: FormatTime(c.TCA),
			MaxElevationDeg:  roundTo(c.MaxElevationDeg, 1e4),
			CapacityBytes:    c.CapacityBytes,
			StartsInProgress: c.StartsInProgress, EndsInProgress: c.EndsInProgress,
			Samples: make([]planSample, len(c.Samples)),
		}
		for j, s := range c.Samples {
			pc.Samples[j] = planSample(s)
		}
		pf.Contacts[i] = pc
	}
	// One contact per line: compact, yet diffable and greppable.
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "{\"format\":%q,\"version\":%d,\"contacts\":[", pf.Format, pf.Version)
	for i, pc := range pf.Contacts {
		b, err := json.Marshal(pc)
		if err != nil {
			return fmt.Errorf("contact: write plan: %w", err)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
		buf.Write(b)
	}
	buf.WriteString("\n]}\n")
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("contact: write plan: %w", err)
	}
	return nil
}

// LoadPlan reads a plan file written by WritePlan (see ReadPlan).
func LoadPlan(path string) ([]Contact, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("contact: plan: %w", err)
	}
	defer f.Close()
	cs, err := ReadPlan(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cs, nil
}

// ReadPlan decodes and validates a plan from untrusted bytes: unknown
// fields, a wrong format or version, unparsable times, AOS after TCA or
// LOS, samples that do not run from offset 0 to LOS in order, rates or
// losses out of range, and a capacity that disagrees with the samples are
// all errors wrapping ErrPlan and naming the contact.
func ReadPlan(r io.Reader) ([]Contact, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxPlanBytes+1))
	if err != nil {
		return nil, fmt.Errorf("contact: plan: %w", err)
	}
	if len(b) > MaxPlanBytes {
		return nil, fmt.Errorf("contact: plan exceeds %d bytes: %w", MaxPlanBytes, ErrPlan)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var pf planFile
	if err := dec.Decode(&pf); err != nil {
		return nil, fmt.Errorf("contact: plan: decode: %v: %w", err, ErrPlan)
	}
	if dec.More() {
		return nil, fmt.Errorf("contact: plan: trailing data after the plan object: %w", ErrPlan)
	}
	if pf.Format != PlanFormat {
		return nil, fmt.Errorf("contact: plan: format %q, want %q: %w", pf.Format, PlanFormat, ErrPlan)
	}
	if pf.Version != PlanVersion {
		return nil, fmt.Errorf("contact: plan: version %d, this reader knows %d: %w", pf.Version, PlanVersion, ErrPlan)
	}
	if len(pf.Contacts) > MaxContactsPerPlan {
		return nil, fmt.Errorf("contact: plan: %d contacts exceeds %d: %w", len(pf.Contacts), MaxContactsPerPlan, ErrPlan)
	}
	out := make([]Contact, len(pf.Contacts))
	for i, pc := range pf.Contacts {
		c, err := pc.contact()
		if err != nil {
			return nil, fmt.Errorf("contact: plan: contact %d (%s over %s): %v: %w", i+1, pc.Satellite, pc.Station, err, ErrPlan)
		}
		out[i] = c
	}
	return out, nil
}

func (pc planContact) contact() (Contact, error) {
	c := Contact{
		Satellite: pc.Satellite, SatNum: pc.SatNum, Station: pc.Station,
		MaxElevationDeg: pc.MaxElevationDeg, CapacityBytes: pc.CapacityBytes,
		StartsInProgress: pc.StartsInProgress, EndsInProgress: pc.EndsInProgress,
	}
	var err error
	for _, f := range []struct {
		name string
		s    string
		dst  *time.Time
	}{{"aos", pc.AOS, &c.AOS}, {"los", pc.LOS, &c.LOS}, {"tca", pc.TCA, &c.TCA}} {
		if *f.dst, err = time.Parse(time.RFC3339Nano, f.s); err != nil {
			return Contact{}, fmt.Errorf("%s %q is not an RFC 3339 time", f.name, f.s)
		}
		*f.dst = f.dst.UTC()
	}
	if len(pc.Samples) > MaxSamplesPerContact {
		return Contact{}, fmt.Errorf("%d samples exceeds %d", len(pc.Samples), MaxSamplesPerContact)
	}
	c.Samples = make([]Sample, len(pc.Samples))
	for j, s := range pc.Samples {
		c.Samples[j] = Sample(s)
	}
	if err := c.validate(); err != nil {
		return Contact{}, err
	}
	return c, nil
}

// validate checks the invariants every Contact keeps.
func (c *Contact) validate() error {
	switch {
	case c.Satellite == "":
		return errors.New("satellite missing")
	case c.Station == "":
		return errors.New("station missing")
	case !c.LOS.After(c.AOS):
		return fmt.Errorf("los %s not after aos %s", FormatTime(c.LOS), FormatTime(c.AOS))
	case c.TCA.Before(c.AOS) || c.TCA.After(c.LOS):
		return fmt.Errorf("tca %s outside [aos, los]", FormatTime(c.TCA))
	case c.LOS.Sub(c.AOS).Seconds() > maxContactDurationSec:
		return fmt.Errorf("window of %s is longer than %d days", c.LOS.Sub(c.AOS), maxContactDurationSec/86400)
	case !finiteIn(c.MaxElevationDeg, -90, 90):
		return fmt.Errorf("max_elevation_deg %g outside [-90, 90]", c.MaxElevationDeg)
	case c.CapacityBytes < 0:
		return fmt.Errorf("capacity_bytes %d negative", c.CapacityBytes)
	case c.SatNum < 0:
		return fmt.Errorf("norad_id %d negative", c.SatNum)
	case len(c.Samples) < 2:
		return fmt.Errorf("%d samples, need at least AOS and LOS", len(c.Samples))
	}
	dur := c.LOS.Sub(c.AOS).Seconds()
	if c.Samples[0].OffsetSec != 0 {
		return fmt.Errorf("first sample at %g s, want 0", c.Samples[0].OffsetSec)
	}
	if last := c.Samples[len(c.Samples)-1].OffsetSec; math.Abs(last-dur) > 2e-3 {
		return fmt.Errorf("last sample at %g s, want LOS at %g s", last, dur)
	}
	for j, s := range c.Samples {
		switch {
		case j > 0 && !(s.OffsetSec > c.Samples[j-1].OffsetSec):
			return fmt.Errorf("sample %d: t_s %g not after %g", j, s.OffsetSec, c.Samples[j-1].OffsetSec)
		case !finiteIn(s.ElevationDeg, -90, 90):
			return fmt.Errorf("sample %d: el_deg %g outside [-90, 90]", j, s.ElevationDeg)
		case !finiteIn(s.AzimuthDeg, 0, 360):
			return fmt.Errorf("sample %d: az_deg %g outside [0, 360]", j, s.AzimuthDeg)
		case !finiteIn(s.RangeKm, 0, 1e7):
			return fmt.Errorf("sample %d: range_km %g outside [0, 1e7]", j, s.RangeKm)
		case !finiteIn(s.RateBitsPerSec, 0, 1e12):
			return fmt.Errorf("sample %d: rate_bps %g outside [0, 1e12]", j, s.RateBitsPerSec)
		case !finiteIn(s.Loss, 0, 1):
			return fmt.Errorf("sample %d: loss %g outside [0, 1]", j, s.Loss)
		}
	}
	// Capacity must agree with the profile it summarises.
	want := c.CapacityBytesBetween(c.AOS, c.LOS)
	if d := math.Abs(float64(want - c.CapacityBytes)); d > math.Max(8, 1e-9*float64(want)) {
		return fmt.Errorf("capacity_bytes %d disagrees with the samples' %d", c.CapacityBytes, want)
	}
	return nil
}

func finiteIn(v, lo, hi float64) bool { return v >= lo && v <= hi }
