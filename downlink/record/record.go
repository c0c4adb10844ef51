// Package record is the detection record both ends of the link agree on:
// what flight sends for each kept tile and what ground publishes. It is
// encoded as JSON (small, self-describing, easy for responders to read in a
// hex dump) and decoded with strict limits, since on ground it arrives from
// the radio.
package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// MaxEncodedBytes bounds an encoded record (chips travel as separate items).
const MaxEncodedBytes = 16 << 10

// Classes of detections. Severe classes produce CAP alerts on ground.
const (
	ClassFire   = "fire"
	ClassFlood  = "flood"
	ClassVessel = "vessel"
)

// Detection is one kept tile.
type Detection struct {
	// ID is stable for the same tile of the same scene (hex, 16..64 chars),
	// so re-triaging a scene yields the same ids.
	ID         string  `json:"id"`
	Class      string  `json:"class"`
	Confidence float64 `json:"confidence"`
	// Priority is class severity × confidence × freshness, in [0, 1].
	Priority float64 `json:"priority"`
	// Footprint is a closed WGS84 ring of [lon, lat] pairs (RFC 7946 order).
	Footprint   [][2]float64 `json:"footprint"`
	CaptureTime time.Time    `json:"capture_time"`
	Satellite   string       `json:"satellite"`
	SceneID     string       `json:"scene_id"`
	// TileRow and TileCol locate the tile in its scene.
	TileRow int `json:"tile_row"`
	TileCol int `json:"tile_col"`
	// Chip describes the evidence chip, sent as its own item.
	ChipFormat string `json:"chip_format,omitempty"`
	ChipBytes  int    `json:"chip_bytes,omitempty"`
	ChipSHA256 string `json:"chip_sha256,omitempty"`
}

// Marshal encodes d after validating it.
func Marshal(d *Detection) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("record: encode %s: %w", d.ID, err)
	}
	if len(b) > MaxEncodedBytes {
		return nil, fmt.Errorf("record: %s encodes to %d bytes, limit %d", d.ID, len(b), MaxEncodedBytes)
	}
	return b, nil
}

// Unmarshal decodes and validates a record from untrusted bytes.
func Unmarshal(b []byte) (*Detection, error) {
	if len(b) > MaxEncodedBytes {
		return nil, fmt.Errorf("record: %d bytes exceeds limit %d", len(b), MaxEncodedBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var d Detection
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("record: decode: %w", err)
	}
	if dec.More() {
		return nil, errors.New("record: trailing data after record")
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Validate checks the fields a consumer relies on.
func (d *Detection) Validate() error {
	if n := len(d.ID); n < 16 || n > 64 {
		return fmt.Errorf("record: id %q must be 16..64 hex characters", d.ID)
	}
	for _, c := range d.ID {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Errorf("record: id %q is not lower-case hex", d.ID)
		}
	}
	if d.Class == "" || len(d.Class) > 32 {
		return fmt.Errorf("record %s: class %q must be 1..32 characters", d.ID, d.Class)
	}
	for _, c := range d.Class {
		if !(c >= 'a' && c <= 'z' || c == '_' || c >= '0' && c <= '9') {
			return fmt.Errorf("record %s: class %q may hold only a-z, 0-9 and _", d.ID, d.Class)
		}
	}
	if !(d.Confidence >= 0 && d.Confidence <= 1) {
		return fmt.Errorf("record %s: confidence %v outside [0,1]", d.ID, d.Confidence)
	}
	if !(d.Priority >= 0 && d.Priority <= 1) {
		return fmt.Errorf("record %s: priority %v outside [0,1]", d.ID, d.Priority)
	}
	if len(d.Footprint) < 4 || len(d.Footprint) > 64 {
		return fmt.Errorf("record %s: footprint has %d points, want a closed ring of 4..64", d.ID, len(d.Footprint))
	}
	if d.Footprint[0] != d.Footprint[len(d.Footprint)-1] {
		return fmt.Errorf("record %s: footprint ring is not closed", d.ID)
	}
	for i, p := range d.Footprint {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
			return fmt.Errorf("record %s: footprint point %d %v is not a WGS84 lon/lat", d.ID, i, p)
		}
	}
	if d.CaptureTime.IsZero() {
		return fmt.Errorf("record %s: capture time missing", d.ID)
	}
	if d.ChipBytes < 0 {
		return fmt.Errorf("record %s: chip size %d is negative", d.ID, d.ChipBytes)
	}
	return nil
}
