package feed

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
)

// CAPNamespace is the XML namespace of CAP 1.2.
const CAPNamespace = "urn:oasis:names:tc:emergency:cap:1.2"

// capTimeLayout is CAP's dateTime form: no fractional seconds, and UTC
// written as "-00:00" because CAP forbids "Z".
const capTimeLayout = "2006-01-02T15:04:05-07:00"

// Severe is how a severe class is described in CAP.
type Severe struct {
	// Category is a CAP category (Geo, Met, Safety, Fire, ...).
	Category string
	// Event names the event type in words.
	Event string
}

// SevereClasses are the classes that produce CAP alerts.
var SevereClasses = map[string]Severe{
	record.ClassFire:  {Category: "Fire", Event: "Wildfire"},
	record.ClassFlood: {Category: "Met", Event: "Flood"},
}

// IsSevere reports whether class produces a CAP alert.
func IsSevere(class string) bool {
	_, ok := SevereClasses[class]
	return ok
}

// Alert is a CAP 1.2 alert message, elements in the schema's order.
type Alert struct {
	XMLName    xml.Name `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Identifier string   `xml:"identifier"`
	Sender     string   `xml:"sender"`
	Sent       string   `xml:"sent"`
	Status     string   `xml:"status"`
	MsgType    string   `xml:"msgType"`
	Source     string   `xml:"source,omitempty"`
	Scope      string   `xml:"scope"`
	Info       []Info   `xml:"info"`
}

// Info is a CAP info block.
type Info struct {
	Language    string      `xml:"language,omitempty"`
	Category    []string    `xml:"category"`
	Event       string      `xml:"event"`
	Urgency     string      `xml:"urgency"`
	Severity    string      `xml:"severity"`
	Certainty   string      `xml:"certainty"`
	Effective   string      `xml:"effective,omitempty"`
	SenderName  string      `xml:"senderName,omitempty"`
	Headline    string      `xml:"headline,omitempty"`
	Description string      `xml:"description,omitempty"`
	Parameter   []Parameter `xml:"parameter"`
	Area        []Area      `xml:"area"`
}

// Parameter is a CAP name/value pair.
type Parameter struct {
	ValueName string `xml:"valueName"`
	Value     string `xml:"value"`
}

// Area is a CAP area: a description and polygons of "lat,lon" pairs.
type Area struct {
	AreaDesc string   `xml:"areaDesc"`
	Polygon  []string `xml:"polygon"`
}

// CAPTime formats t as a CAP dateTime in UTC ("...-00:00").
func CAPTime(t time.Time) string {
	s := t.UTC().Format(capTimeLayout)
	return strings.TrimSuffix(s, "+00:00") + "-00:00"
}

// CAPPolygon writes a closed [lon, lat] ring as CAP's space-separated
// "lat,lon" pairs.
func CAPPolygon(ring [][2]float64) string {
	var sb strings.Builder
	for i, p := range ring {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(strconv.FormatFloat(p[1], 'f', -1, 64))
		sb.WriteByte(',')
		sb.WriteString(strconv.FormatFloat(p[0], 'f', -1, 64))
	}
	return sb.String()
}

// certainty maps model confidence to CAP certainty: a satellite detection
// is never "Observed" by a person, so at most "Likely" (p > ~50%).
func certainty(confidence float64) string {
	if confidence > 0.5 {
		return "Likely"
	}
	return "Possible"
}

// NewAlert builds the CAP alert for a severe detection. sender identifies
// the publishing ground service (CAP wants a globally unique sender, such
// as an e-mail-like address).
func NewAlert(d *record.Detection, del Delivery, sender string) (*Alert, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	sev, ok := SevereClasses[d.Class]
	if !ok {
		return nil, fmt.Errorf("feed: class %q of %s is not severe; no CAP alert", d.Class, d.ID)
	}
	if sender == "" || strings.ContainsAny(sender, " ,<&") {
		return nil, fmt.Errorf("feed: CAP sender %q must be non-empty without spaces, commas, < or &", sender)
	}
	return &Alert{
		Identifier: "skysieve-" + d.ID,
		Sender:     sender,
		Sent:       CAPTime(del.PublishTime),
		Status:     "Actual",
		MsgType:    "Alert",
		Source:     "satellite " + d.Satellite,
		Scope:      "Public",
		Info: []Info{{
			Language:   "en-US",
			Category:   []string{sev.Category},
			Event:      sev.Event,
			Urgency:    "Immediate",
			Severity:   "Severe",
			Certainty:  certainty(d.Confidence),
			Effective:  CAPTime(d.CaptureTime),
			SenderName: "Skysieve ground service",
			Headline:   fmt.Sprintf("%s detected by satellite %s", sev.Event, d.Satellite),
			Description: fmt.Sprintf("Onboard triage classified tile %d,%d of scene %s as %s with confidence %.2f; captured %s, received by station %s.",
				d.TileRow, d.TileCol, d.SceneID, d.Class, d.Confidence, CAPTime(d.CaptureTime), del.Station),
			Parameter: []Parameter{
				{ValueName: "skysieve:detection_id", Value: d.ID},
				{ValueName: "skysieve:confidence", Value: strconv.FormatFloat(d.Confidence, 'f', 3, 64)},
				{ValueName: "skysieve:subject", Value: "detections." + d.Class + "." + d.ID},
			},
			Area: []Area{{
				AreaDesc: fmt.Sprintf("Footprint of scene %s tile %d,%d", d.SceneID, d.TileRow, d.TileCol),
				Polygon:  []string{CAPPolygon(d.Footprint)},
			}},
		}},
	}, nil
}

// CAP encodes the CAP 1.2 alert for a severe detection as XML with a
// declaration.
func CAP(d *record.Detection, del Delivery, sender string) ([]byte, error) {
	a, err := NewAlert(d, del, sender)
	if err != nil {
		return nil, err
	}
	b, err := xml.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("feed: encode CAP %s: %w", d.ID, err)
	}
	return append([]byte(xml.Header), b...), nil
}
