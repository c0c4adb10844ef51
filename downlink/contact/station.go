package contact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/skysieve/skysieve/downlink/orbit"
	"go.yaml.in/yaml/v3"
)

// ErrStations: a stations file is malformed or holds an invalid station.
var ErrStations = errors.New("invalid stations file")

// Station is a ground station: where it is, the lowest elevation it
// tracks at, and its link model.
type Station struct {
	Name    string
	LatDeg  float64
	LonDeg  float64
	AltM    float64
	MaskDeg float64
	Link    LinkModel
}

// Site returns the station prepared for look-angle computation.
func (s Station) Site() orbit.Site {
	return orbit.NewSite(orbit.Geodetic{LatDeg: s.LatDeg, LonDeg: s.LonDeg, AltKm: s.AltM / 1e3})
}

// stationYAML is the file form; pointers tell absent fields from zeros.
type stationYAML struct {
	Name    *string  `yaml:"name"`
	LatDeg  *float64 `yaml:"lat_deg"`
	LonDeg  *float64 `yaml:"lon_deg"`
	AltM    *float64 `yaml:"alt_m"`
	MaskDeg *float64 `yaml:"mask_deg"`

	FrequencyHz         *float64 `yaml:"frequency_hz"`
	EIRPdBW             *float64 `yaml:"eirp_dbw"`
	GTdBPerK            *float64 `yaml:"gt_dbk"`
	SymbolRateBaud      *float64 `yaml:"symbol_rate_baud"`
	ZenithAttenuationDB *float64 `yaml:"zenith_attenuation_db"`
	MarginDB            *float64 `yaml:"margin_db"`
	LossFloor           *float64 `yaml:"loss_floor"`
	LossAtMask          *float64 `yaml:"loss_at_mask"`
	LossScaleDeg        *float64 `yaml:"loss_scale_deg"`
}

// DefaultMaskDeg is the elevation mask of a station that names none.
const DefaultMaskDeg = 5.0

// maxStationsBytes bounds a stations file.
const maxStationsBytes = 1 << 20

// LoadStations reads a stations file (see ParseStations).
func LoadStations(path string) ([]Station, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("contact: stations: %w", err)
	}
	defer f.Close()
	st, err := ParseStations(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// ParseStations reads a YAML list of stations:
//
//   - name: Svalbard
//     lat_deg: 78.2298
//     lon_deg: 15.4078
//     alt_m: 500
//     mask_deg: 5          # optional, DefaultMaskDeg
//     gt_dbk: 33           # optional link-model fields, DefaultLinkModel
//
// name, lat_deg and lon_deg are required; unknown keys, duplicate names
// and out-of-range values are errors wrapping ErrStations.
func ParseStations(r io.Reader) ([]Station, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxStationsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("contact: stations: %w", err)
	}
	if len(b) > maxStationsBytes {
		return nil, fmt.Errorf("contact: stations file exceeds %d bytes: %w", maxStationsBytes, ErrStations)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var raw []stationYAML
	if err := dec.Decode(&raw); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("contact: stations file is empty: %w", ErrStations)
		}
		return nil, fmt.Errorf("contact: stations: %v: %w", err, ErrStations)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("contact: stations file lists no stations: %w", ErrStations)
	}
	seen := make(map[string]bool)
	out := make([]Station, 0, len(raw))
	for i, y := range raw {
		s, err := y.station()
		if err != nil {
			return nil, fmt.Errorf("contact: station %d: %v: %w", i+1, err, ErrStations)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("contact: station %d: duplicate name %q: %w", i+1, s.Name, ErrStations)
		}
		seen[s.Name] = true
		out = append(out, s)
	}
	return out, nil
}

func (y stationYAML) station() (Station, error) {
	if y.Name == nil || strings.TrimSpace(*y.Name) == "" {
		return Station{}, errors.New("name missing")
	}
	s := Station{Name: strings.TrimSpace(*y.Name), MaskDeg: DefaultMaskDeg, Link: DefaultLinkModel()}
	if y.LatDeg == nil || y.LonDeg == nil {
		return Station{}, fmt.Errorf("%s: lat_deg and lon_deg are required", s.Name)
	}
	s.LatDeg, s.LonDeg = *y.LatDeg, *y.LonDeg
	set := func(dst *float64, src *float64) {
		if src != nil {
			*dst = *src
		}
	}
	set(&s.AltM, y.AltM)
	set(&s.MaskDeg, y.MaskDeg)
	set(&s.Link.FrequencyHz, y.FrequencyHz)
	set(&s.Link.EIRPdBW, y.EIRPdBW)
	set(&s.Link.GTdBPerK, y.GTdBPerK)
	set(&s.Link.SymbolRateBaud, y.SymbolRateBaud)
	set(&s.Link.ZenithAttenuationDB, y.ZenithAttenuationDB)
	set(&s.Link.MarginDB, y.MarginDB)
	set(&s.Link.LossFloor, y.LossFloor)
	set(&s.Link.LossAtMask, y.LossAtMask)
	set(&s.Link.LossScaleDeg, y.LossScaleDeg)
	if err := s.Validate(); err != nil {
		return Station{}, err
	}
	return s, nil
}

// Validate checks every field is finite and in range.
func (s Station) Validate() error {
	checks := []struct {
		name   string
		v      float64
		lo, hi float64
	}{
		{"lat_deg", s.LatDeg, -90, 90},
		{"lon_deg", s.LonDeg, -180, 360},
		{"alt_m", s.AltM, -500, 9000},
		{"mask_deg", s.MaskDeg, -5, 85},
		{"frequency_hz", s.Link.FrequencyHz, 1e6, 1e12},
		{"eirp_dbw", s.Link.EIRPdBW, -50, 100},
		{"gt_dbk", s.Link.GTdBPerK, -50, 100},
		{"symbol_rate_baud", s.Link.SymbolRateBaud, 1, 1e11},
		{"zenith_attenuation_db", s.Link.ZenithAttenuationDB, 0, 50},
		{"margin_db", s.Link.MarginDB, -20, 50},
		{"loss_floor", s.Link.LossFloor, 0, 1},
		{"loss_at_mask", s.Link.LossAtMask, 0, 1},
		{"loss_scale_deg", s.Link.LossScaleDeg, 0.01, 90},
	}
	for _, c := range checks {
		if math.IsNaN(c.v) || c.v < c.lo || c.v > c.hi {
			return fmt.Errorf("%s: %s = %g outside [%g, %g]", s.Name, c.name, c.v, c.lo, c.hi)
		}
	}
	if s.Name == "" {
		return errors.New("name missing")
	}
	return nil
}
