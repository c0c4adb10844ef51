package consumer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/skysieve/skysieve/ground/feed"
)

// MaxFeatureBytes bounds a payload read from the bus.
const MaxFeatureBytes = 64 << 10

// ErrBadFeature is wrapped by every Decode error.
var ErrBadFeature = errors.New("bad detection feature")

// Detection is what the consumer needs from a published Feature.
type Detection struct {
	ID          string
	Class       string
	Confidence  float64
	Priority    float64
	Satellite   string
	Station     string
	SceneID     string
	CaptureTime time.Time
	// DownlinkTime is when ground had the item complete; PublishTime when
	// it published it (both on ground's clock).
	DownlinkTime time.Time
	PublishTime  time.Time
	// ChipBytes is the evidence chip's size (0 without a chip).
	ChipBytes int
	// Footprint is the outer ring, [lon, lat].
	Footprint [][2]float64
}

// Decode parses and validates a GeoJSON Feature published by ground.
func Decode(b []byte) (*Detection, error) {
	if len(b) > MaxFeatureBytes {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrBadFeature, len(b), MaxFeatureBytes)
	}
	var f feed.Feature
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFeature, err)
	}
	switch {
	case f.Type != "Feature":
		return nil, fmt.Errorf("%w: type %q, want Feature", ErrBadFeature, f.Type)
	case f.ID == "" || len(f.ID) > 64:
		return nil, fmt.Errorf("%w: id %q must be 1..64 characters", ErrBadFeature, f.ID)
	case f.Properties.Class == "":
		return nil, fmt.Errorf("%w: %s has no class", ErrBadFeature, f.ID)
	case f.Properties.CaptureTime.IsZero():
		return nil, fmt.Errorf("%w: %s has no capture time", ErrBadFeature, f.ID)
	case f.Geometry.Type != "Polygon" || len(f.Geometry.Coordinates) == 0:
		return nil, fmt.Errorf("%w: %s geometry is %q with %d rings, want a Polygon", ErrBadFeature, f.ID, f.Geometry.Type, len(f.Geometry.Coordinates))
	}
	ring := f.Geometry.Coordinates[0]
	if len(ring) < 4 {
		return nil, fmt.Errorf("%w: %s ring has %d positions, want at least 4", ErrBadFeature, f.ID, len(ring))
	}
	for i, p := range ring {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
			return nil, fmt.Errorf("%w: %s position %d %v is not [lon, lat]", ErrBadFeature, f.ID, i, p)
		}
	}
	chipBytes := 0
	if c := f.Properties.Chip; c != nil && c.Bytes > 0 {
		chipBytes = c.Bytes
	}
	return &Detection{
		ID:           f.ID,
		Class:        f.Properties.Class,
		Confidence:   f.Properties.Confidence,
		Priority:     f.Properties.Priority,
		Satellite:    f.Properties.Satellite,
		Station:      f.Properties.Station,
		SceneID:      f.Properties.SceneID,
		CaptureTime:  f.Properties.CaptureTime,
		DownlinkTime: f.Properties.DownlinkTime,
		PublishTime:  f.Properties.PublishTime,
		ChipBytes:    chipBytes,
		Footprint:    ring,
	}, nil
}
