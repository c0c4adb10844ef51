package feed

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
)

// Delivery holds the facts of one downlink that the record itself does not
// carry.
type Delivery struct {
	// Station is the ground station that received the item's last symbol.
	Station string
	// Pass identifies the contact (satellite and start time), if known.
	Pass string
	// DownlinkTime is when the item was complete on ground.
	DownlinkTime time.Time
	// PublishTime is when ground publishes it.
	PublishTime time.Time
	// ChipBucket and ChipName locate the evidence chip in the Object Store;
	// empty when the record has no chip.
	ChipBucket string
	ChipName   string
}

// Feature is a GeoJSON Feature with a Polygon geometry.
type Feature struct {
	Type       string     `json:"type"`
	ID         string     `json:"id"`
	BBox       []float64  `json:"bbox,omitempty"`
	Geometry   Geometry   `json:"geometry"`
	Properties Properties `json:"properties"`
}

// Geometry is a GeoJSON Polygon: rings of [lon, lat] positions.
type Geometry struct {
	Type        string         `json:"type"`
	Coordinates [][][2]float64 `json:"coordinates"`
}

// Properties are the detection's attributes in the Feature.
type Properties struct {
	Class        string    `json:"class"`
	Confidence   float64   `json:"confidence"`
	Priority     float64   `json:"priority"`
	CaptureTime  time.Time `json:"capture_time"`
	DownlinkTime time.Time `json:"downlink_time"`
	PublishTime  time.Time `json:"publish_time"`
	Satellite    string    `json:"satellite"`
	Station      string    `json:"station"`
	Pass         string    `json:"pass,omitempty"`
	SceneID      string    `json:"scene_id"`
	TileRow      int       `json:"tile_row"`
	TileCol      int       `json:"tile_col"`
	Chip         *ChipRef  `json:"chip,omitempty"`
}

// ChipRef points at the evidence chip in the Object Store.
type ChipRef struct {
	Bucket string `json:"bucket"`
	Name   string `json:"name"`
	Format string `json:"format,omitempty"`
	Bytes  int    `json:"bytes,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// NewFeature builds the Feature for d as delivered. d must be valid
// (record.Validate).
func NewFeature(d *record.Detection, del Delivery) (*Feature, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	ring := counterClockwise(d.Footprint)
	f := &Feature{
		Type:     "Feature",
		ID:       d.ID,
		BBox:     bbox(ring),
		Geometry: Geometry{Type: "Polygon", Coordinates: [][][2]float64{ring}},
		Properties: Properties{
			Class:        d.Class,
			Confidence:   d.Confidence,
			Priority:     d.Priority,
			CaptureTime:  d.CaptureTime.UTC(),
			DownlinkTime: del.DownlinkTime.UTC(),
			PublishTime:  del.PublishTime.UTC(),
			Satellite:    d.Satellite,
			Station:      del.Station,
			Pass:         del.Pass,
			SceneID:      d.SceneID,
			TileRow:      d.TileRow,
			TileCol:      d.TileCol,
		},
	}
	if del.ChipName != "" {
		f.Properties.Chip = &ChipRef{Bucket: del.ChipBucket, Name: del.ChipName,
			Format: d.ChipFormat, Bytes: d.ChipBytes, SHA256: d.ChipSHA256}
	}
	return f, nil
}

// GeoJSON encodes the Feature for d as delivered.
func GeoJSON(d *record.Detection, del Delivery) ([]byte, error) {
	f, err := NewFeature(d, del)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("feed: encode feature %s: %w", d.ID, err)
	}
	return b, nil
}

// signedArea2 is twice the signed planar area of a closed ring (positive
// when counter-clockwise in lon/lat).
func signedArea2(ring [][2]float64) float64 {
	var a float64
	for i := 0; i+1 < len(ring); i++ {
		a += ring[i][0]*ring[i+1][1] - ring[i+1][0]*ring[i][1]
	}
	return a
}

// counterClockwise returns a copy of the closed ring, reversed if it runs
// clockwise.
func counterClockwise(ring [][2]float64) [][2]float64 {
	out := make([][2]float64, len(ring))
	copy(out, ring)
	if signedArea2(out) < 0 {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

func bbox(ring [][2]float64) []float64 {
	minLon, minLat := math.Inf(1), math.Inf(1)
	maxLon, maxLat := math.Inf(-1), math.Inf(-1)
	for _, p := range ring {
		minLon, maxLon = math.Min(minLon, p[0]), math.Max(maxLon, p[0])
		minLat, maxLat = math.Min(minLat, p[1]), math.Max(maxLat, p[1])
	}
	return []float64{minLon, minLat, maxLon, maxLat}
}
