package triage

// FeatureCollection is a GeoJSON (RFC 7946) feature collection.
type FeatureCollection struct {
	Type     string    `json:"type"`
	Features []Feature `json:"features"`
}

// Feature is one detection as a GeoJSON feature: its footprint polygon and
// its record's fields as properties.
type Feature struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Geometry   Polygon        `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

// Polygon is a GeoJSON polygon with one ring.
type Polygon struct {
	Type        string         `json:"type"`
	Coordinates [][][2]float64 `json:"coordinates"`
}

// GeoJSON renders detections as a feature collection.
func GeoJSON(ds []Detection) FeatureCollection {
	fc := FeatureCollection{Type: "FeatureCollection", Features: []Feature{}}
	for _, d := range ds {
		r := d.Record
		fc.Features = append(fc.Features, Feature{
			Type:     "Feature",
			ID:       r.ID,
			Geometry: Polygon{Type: "Polygon", Coordinates: [][][2]float64{r.Footprint}},
			Properties: map[string]any{
				"class": r.Class, "confidence": r.Confidence, "priority": r.Priority,
				"capture_time": r.CaptureTime, "satellite": r.Satellite, "scene_id": r.SceneID,
				"tile_row": r.TileRow, "tile_col": r.TileCol,
				"chip_format": r.ChipFormat, "chip_bytes": r.ChipBytes, "chip_sha256": r.ChipSHA256,
			},
		})
	}
	return fc
}
